"""lakeshelf: versioned, quality-gated datasets on Spark.

Spark reads and writes the Parquet data; delta-rs keeps the Delta transaction log. The names
below load on first use, so ``import lakeshelf`` (and ``lakeshelf --help``) starts no JVM and
imports neither pyspark nor delta-rs.

Rooms, in the order a publish flows through them: ``pipeline`` (ingest, transform, restore,
optimize) -> ``gate`` (suites on the staged data) -> ``table`` (one Delta commit) -> ``registry``
(records the version). ``storage``, ``config``, ``session`` and ``delta_format`` serve them;
``cli`` prints.
"""

from __future__ import annotations

import importlib
from typing import Any

from lakeshelf.errors import (
    CommitConflictError,
    CommitUnknownError,
    ConfigError,
    DamagedLogError,
    DataRejectedError,
    GateFailedError,
    LakeshelfError,
    SchemaMismatchError,
    TableNotFoundError,
    UnsupportedFeatureError,
    VersionNotFoundError,
    WriteError,
)
from lakeshelf.version import __version__

# public name -> the module that defines it
_LAZY = {
    "write": "lakeshelf.api",
    "read": "lakeshelf.api",
    "history": "lakeshelf.api",
    "detail": "lakeshelf.api",
    "restore": "lakeshelf.api",
    "optimize": "lakeshelf.api",
    "validate": "lakeshelf.api",
    "manifest": "lakeshelf.registry.provenance",
    "verify": "lakeshelf.api",
    "profile": "lakeshelf.api",
    "drift": "lakeshelf.api",
    "metrics": "lakeshelf.api",
    "split": "lakeshelf.registry.splits",
    "reproduce": "lakeshelf.api",
    "diff": "lakeshelf.api",
    "read_release": "lakeshelf.registry.releases",
    "lineage": "lakeshelf.registry.provenance",
    "spark_session": "lakeshelf.session",
    "prepare_session": "lakeshelf.session",
}

__all__ = [
    "CommitConflictError",
    "CommitUnknownError",
    "ConfigError",
    "DamagedLogError",
    "DataRejectedError",
    "GateFailedError",
    "LakeshelfError",
    "SchemaMismatchError",
    "TableNotFoundError",
    "UnsupportedFeatureError",
    "VersionNotFoundError",
    "WriteError",
    "__version__",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lakeshelf' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
