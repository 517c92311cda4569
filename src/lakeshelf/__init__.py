"""lakeshelf: versioned, quality-gated datasets on Spark.

Spark reads and writes the Parquet data; delta-rs keeps the Delta transaction log.
"""

from lakeshelf.errors import (
    CommitConflictError,
    ConfigError,
    LakeshelfError,
    SchemaMismatchError,
    TableNotFoundError,
    UnsupportedFeatureError,
    VersionNotFoundError,
    WriteError,
)
from lakeshelf.ops import detail, history, restore
from lakeshelf.provenance import lineage, manifest, verify
from lakeshelf.read import read
from lakeshelf.session import prepare_session, spark_session
from lakeshelf.version import __version__
from lakeshelf.write import write

__all__ = [
    "CommitConflictError",
    "ConfigError",
    "LakeshelfError",
    "SchemaMismatchError",
    "TableNotFoundError",
    "UnsupportedFeatureError",
    "VersionNotFoundError",
    "WriteError",
    "__version__",
    "detail",
    "history",
    "lineage",
    "manifest",
    "prepare_session",
    "read",
    "restore",
    "spark_session",
    "verify",
    "write",
]
