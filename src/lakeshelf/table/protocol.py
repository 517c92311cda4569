"""The Delta protocol features lakeshelf honours; tables needing others are refused by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeshelf.errors import UnsupportedFeatureError

if TYPE_CHECKING:
    from deltalake import DeltaTable

#: Reader features whose semantics lakeshelf's read path implements.
SUPPORTED_READER_FEATURES = frozenset(
    {"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"}
)
MAX_READER_VERSION = 3
#: Writer features lakeshelf's writes keep correct (anything else is refused).
SUPPORTED_WRITER_FEATURES = frozenset(
    {"appendOnly", "timestampNtz", "deletionVectors", "vacuumProtocolCheck", "invariants"}
)


def check_reader_protocol(table: DeltaTable, uri: str) -> None:
    """Refuse tables whose reader protocol needs something lakeshelf does not implement."""
    protocol = table.protocol()
    if protocol.min_reader_version > MAX_READER_VERSION:
        raise UnsupportedFeatureError(
            f"{uri} needs Delta reader version {protocol.min_reader_version}; lakeshelf reads up to"
            f" {MAX_READER_VERSION}. Read it with an engine that supports it."
        )
    unknown = sorted(set(protocol.reader_features or []) - SUPPORTED_READER_FEATURES)
    if unknown:
        raise UnsupportedFeatureError(
            f"{uri} uses Delta reader feature(s) {', '.join(unknown)}, which lakeshelf does not"
            " implement; reading it could return wrong rows, so lakeshelf refuses."
        )


def check_writer_protocol(table: DeltaTable, uri: str, mode: str) -> None:
    """Refuse writes that would break a writer feature of the table."""
    protocol = table.protocol()
    config = table.metadata().configuration or {}
    problems = sorted(set(protocol.writer_features or []) - SUPPORTED_WRITER_FEATURES)
    if config.get("delta.columnMapping.mode", "none") != "none":
        problems.append("columnMapping")
    if any(key.startswith("delta.constraints.") for key in config):
        problems.append("checkConstraints")
    schema_text = table.schema().to_json()
    for marker, feature in (
        ("delta.generationExpression", "generatedColumns"),
        ("delta.identity", "identityColumns"),
    ):
        if marker in schema_text:
            problems.append(feature)
    if protocol.min_writer_version > 7:
        problems.append(f"writer version {protocol.min_writer_version}")
    if problems:
        raise UnsupportedFeatureError(
            f"{uri} uses Delta writer feature(s) {', '.join(sorted(set(problems)))} that lakeshelf"
            " cannot keep correct when writing; write to it with an engine that supports them."
        )
    if mode == "overwrite" and config.get("delta.appendOnly") == "true":
        raise UnsupportedFeatureError(f"{uri} is append-only (delta.appendOnly); overwrite refused")
