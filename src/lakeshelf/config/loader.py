"""The one configuration loader: a folder of YAML files into a validated :class:`Project`.

``${VAR}`` in ``lake``, ``storage_options`` and ``spark`` values is replaced from the environment
at load time, so secrets stay out of committed files. Errors name the file and the key.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lakeshelf.config.models import DatasetConfig, LakeConfig, Project, Strict
from lakeshelf.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def conf_dir_from(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The configuration folder: ``explicit``, else ``$LAKESHELF_CONF``, else ``./conf``."""
    return Path(explicit or os.environ.get("LAKESHELF_CONF") or "conf").resolve()


def load_project(conf: str | os.PathLike[str] | None = None) -> Project:
    """Load and validate a configuration folder.

    Raises:
        ConfigError: a file is missing, is not YAML, or has unknown keys or invalid values; the
            message names the file and key.
    """
    conf_dir = conf_dir_from(conf)
    main = conf_dir / "lakeshelf.yaml"
    if not main.is_file():
        raise ConfigError(
            f"{main} not found: pass --conf DIR or set LAKESHELF_CONF to a folder holding"
            " lakeshelf.yaml"
        )
    lake = _model(LakeConfig, _interpolate(_yaml(main), main), main)
    datasets: dict[str, DatasetConfig] = {}
    hashes: dict[str, str] = {}
    for path in sorted((conf_dir / "datasets").glob("*.y*ml")):
        dataset = _model(DatasetConfig, _yaml(path), path)
        if dataset.name != path.stem:
            raise ConfigError(
                f"{path}: name {dataset.name!r} must match the file name {path.stem!r}"
            )
        datasets[dataset.name] = dataset
        hashes[dataset.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return Project(
        conf_dir=conf_dir, root=conf_dir.parent, lake=lake, datasets=datasets, config_hashes=hashes
    )


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def _model(model: type[Strict], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def _interpolate(data: dict[str, Any], path: Path) -> dict[str, Any]:
    def expand(value: Any, key: str) -> Any:
        if not isinstance(value, str):
            return value

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{path}: {key} refers to ${{{name}}}, which is not set")
            return os.environ[name]

        return _VAR.sub(lookup, value)

    result = dict(data)
    for section in ("storage_options", "spark"):
        values = result.get(section)
        if isinstance(values, dict):
            result[section] = {k: expand(v, f"{section}.{k}") for k, v in values.items()}
    if isinstance(result.get("lake"), str):
        result["lake"] = expand(result["lake"], "lake")
    return result


def project_of(conf: str | os.PathLike[str] | Project | None) -> Project:
    """The project ``conf`` names: a loaded project as it is, else :func:`load_project`."""
    return conf if isinstance(conf, Project) else load_project(conf)
