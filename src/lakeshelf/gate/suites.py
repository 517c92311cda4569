"""Quality suites: GX 1.x expectation suites stored as JSON in ``conf/suites/<name>.json``.

``{"name": ..., "expectations": [{"type": "expect_...", "kwargs": {...}, "meta": {...}}]}``;
``meta.severity: warn`` records a failure without blocking, the default ``error`` blocks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lakeshelf.errors import ConfigError


def load_suite(path: Path) -> dict[str, Any]:
    """Read a suite file.

    Raises:
        ConfigError: missing file, not JSON, or not a suite (``name`` and ``expectations``).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"suite {path} cannot be read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"suite {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise ConfigError(f"suite {path}: expected {{'name': ..., 'expectations': [...]}}")
    for index, item in enumerate(data["expectations"]):
        if not isinstance(item, dict) or not str(item.get("type", "")).startswith("expect_"):
            raise ConfigError(f"suite {path}: expectations[{index}] needs a 'type' like expect_...")
        severity = (item.get("meta") or {}).get("severity", "error")
        if severity not in ("error", "warn"):
            raise ConfigError(
                f"suite {path}: expectations[{index}].meta.severity must be error or warn"
            )
    data.setdefault("name", Path(path).stem)
    return data


def suite_path(conf_dir: Path, name: str) -> Path:
    """Where suite ``name`` of a project lives: ``conf/suites/<name>.json``."""
    return Path(conf_dir) / "suites" / f"{name}.json"


def dataset_suite(project: Any, name: str) -> dict[str, Any] | None:
    """The loaded suite of dataset ``name`` (None if it has none); ConfigError if unreadable."""
    configured = project.dataset(name).suite
    return load_suite(suite_path(project.conf_dir, configured)) if configured else None
