"""A parsed batch of raw files, and the schema-drift rule both parsers apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import DataRejectedError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig
    from lakeshelf.pipeline.sources import RawFile


@dataclass
class ParsedBatch:
    """Every data row of a batch, parsed.

    ``rows`` has the table's data columns, then ``_source_file``, ``_line``, ``_raw``, ``_group``
    and ``_bad`` (true when the row did not parse; its data columns are then meaningless).
    """

    rows: DataFrame
    columns: list[str]
    extra_columns: list[str]
    contexts: list[dict[str, Any]]  # per _group: how its rows were parsed (for reasons)
    empty_files: list[str] = field(default_factory=list)
    header_only_files: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> why it could not be read


def no_rows(spark: SparkSession, columns: list[str], types: dict[str, str]) -> DataFrame:
    """An empty batch in the shape of :class:`ParsedBatch` rows (every file was unreadable)."""
    ddl = ", ".join(f"`{c}` {types[c]}" for c in columns)
    return spark.createDataFrame(
        [],
        f"{ddl}, _source_file string, _line long, _raw string, _group int, _bad boolean",
    )


def check_drift(cfg: DatasetConfig, per_file: dict[str, list[str]], *, partial: bool) -> list[str]:
    """Extra columns to add (additive policy); refuse drift the policy does not allow."""
    declared = list(cfg.schema)
    problems, extra = [], []
    for path, cols in sorted(per_file.items()):
        if len(set(cols)) != len(cols):
            problems.append(f"{path}: duplicate column names {cols}")
            continue
        missing = [] if partial else [c for c in declared if c not in cols]
        added = [c for c in cols if c not in declared]
        if missing or (added and cfg.schema_policy == "strict"):
            lines = [f"  - {c} (declared, missing from the file)" for c in missing]
            lines += [f"  + {c} (in the file, not declared)" for c in added]
            problems.append(f"{path}:\n" + "\n".join(lines))
        for c in added:
            if c not in extra:
                extra.append(c)
    if problems:
        hint = (
            "declare the new columns, or set schema_policy: additive to accept new nullable columns"
            if cfg.schema_policy == "strict"
            else "declared columns must be present in every file"
        )
        raise DataRejectedError(
            f"dataset {cfg.name}: raw files do not match the declared schema"
            f" (schema_policy: {cfg.schema_policy}); nothing was committed. {hint}.\n"
            + "\n".join(problems)
        )
    return extra


def parse_described(
    spark: SparkSession,
    cfg: DatasetConfig,
    files: list[RawFile],
    per_file: dict[str, list[str]],
    read_rows: Callable[[list[str], str], DataFrame],
    context: list[dict[str, Any]],
) -> ParsedBatch:
    """Parse files that carry their own schema (Parquet, Avro): every row parses.

    Args:
        per_file: each readable file's columns, from its footer or header (others are left out).
        read_rows: reads the given paths as the given DDL columns, plus ``_source_file`` and the
            1-based ``_line``.
        context: how the rows were parsed, for reasons.

    Raises:
        DataRejectedError: schema drift the dataset's policy does not allow.
    """
    from pyspark.sql import functions as F

    extra = check_drift(cfg, per_file, partial=False)
    columns = list(cfg.schema) + extra
    types = {**{c: "string" for c in extra}, **cfg.schema}
    readable = [f.path for f in files if f.path in per_file]
    if not readable:
        return ParsedBatch(no_rows(spark, columns, types), columns, extra, context)
    ddl = ", ".join(f"`{c}` {types[c]}" for c in columns)
    rows = read_rows(readable, ddl).select(
        *columns,
        "_source_file",
        "_line",
        F.lit(None).cast("string").alias("_raw"),
        F.lit(0).alias("_group"),
        F.lit(False).alias("_bad"),
    )
    return ParsedBatch(rows, columns, extra, context)
