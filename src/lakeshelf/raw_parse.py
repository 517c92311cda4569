"""Parsing raw files against a declared schema, keeping every malformed row with its reason.

CSV and JSON-lines files are read as text lines in the JVM, numbered per file, and parsed with
Spark's ``from_csv`` / ``from_json`` in PERMISSIVE mode: a row that does not parse keeps its raw
text and is flagged, never nulled. Line numbers rely on files not being split across tasks, which
:func:`unsplit_files` arranges for the duration of an ingest. Parquet files are read by Spark with
the declared schema after their footers are checked.

Where Spark's Hadoop layer cannot open the source (``s3://`` without hadoop-aws), Python workers
read the files instead (:mod:`lakeshelf.raw_io`). A file that cannot be read at all (corrupt or
truncated Parquet or gzip) is set aside with the reason and the rest of the batch is parsed
without it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lakeshelf import storage
from lakeshelf.errors import DataRejectedError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig
    from lakeshelf.sources import RawFile

CORRUPT = "_corrupt_record"
REPLACEMENT = "\ufffd"
#: Options that describe whole files, not one line: they do not apply to line-by-line parsing.
_FILE_OPTIONS = {"header", "inferschema", "encoding", "charset", "multiline", "samplingratio"}


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


@contextlib.contextmanager
def unsplit_files(spark: SparkSession) -> Iterator[None]:
    """Keep every raw file within one task while active (line numbers depend on it)."""
    key = "spark.sql.files.maxPartitionBytes"
    previous = spark.conf.get(key, None)
    spark.conf.set(key, str(1 << 40))
    try:
        yield
    finally:
        if previous is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, previous)


def parse(
    spark: SparkSession,
    cfg: DatasetConfig,
    files: list[RawFile],
    storage_options: dict[str, Any] | None = None,
) -> ParsedBatch:
    """Parse ``files`` of dataset ``cfg``; the returned rows are persisted (caller unpersists).

    Files that cannot be read are left out of ``rows`` and listed in ``unreadable`` with the
    reason. Each such file costs one more parse of the rest; they are expected to be rare.

    Raises:
        DataRejectedError: schema drift the dataset's policy does not allow (the message holds a
            per-file diff).
    """
    from lakeshelf.raw_io import unreadable_file

    assert cfg.source is not None
    unreadable: dict[str, str] = {}
    while True:
        readable = [f for f in files if f.path not in unreadable]
        rows = None
        try:
            if cfg.source.format == "parquet":
                batch = _parse_parquet(spark, cfg, readable, storage_options, unreadable)
            else:
                batch = _parse_text(spark, cfg, readable, storage_options)
            rows = batch.rows.persist()
            rows.count()  # reads every file now, so a broken one fails here
        except Exception as exc:
            if rows is not None:
                rows.unpersist()
            failed = unreadable_file(exc, [f.path for f in readable])
            if failed is None:
                raise
            unreadable[failed[0]] = failed[1]
            continue
        batch.rows, batch.unreadable = rows, unreadable
        return batch


def spark_file_to_path(spark_path: str) -> str:
    """The path of a file as Spark's ``_metadata.file_path`` reports it, in lakeshelf's form."""
    parsed = urlparse(spark_path)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path)
    return spark_path


def _options(cfg: DatasetConfig) -> dict[str, str]:
    assert cfg.source is not None
    options = {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in cfg.source.options.items()
    }
    if options.get("multiLine", options.get("multiline", "false")).lower() == "true":
        from lakeshelf.errors import ConfigError

        raise ConfigError(
            f"dataset {cfg.name}: multiLine records are not supported (rows are parsed line by"
            " line so each bad row can be quarantined with its line number)"
        )
    return options


def _text_lines(
    spark: SparkSession, files: list[RawFile], storage_options: dict[str, Any] | None
) -> tuple[DataFrame, dict[str, Any]]:
    """All lines of ``files`` with ``_source_file`` and 1-based ``_line``; per-file head and count.

    Files with no lines have no facts.
    """
    from pyspark.sql import functions as F

    from lakeshelf import raw_io

    if not files:
        return spark.createDataFrame([], "_raw string, _source_file string, _line long"), {}
    if not storage.hadoop_can_open(spark, files[0].path):
        numbered = raw_io.text_lines(spark, [f.path for f in files], storage_options)
        per_file = numbered.groupBy("_source_file").agg(
            F.min_by("_raw", "_line").alias("_head"), F.count(F.lit(1)).alias("_count")
        )
        return numbered, {
            r["_source_file"]: {"head": r["_head"], "count": r["_count"]}
            for r in per_file.collect()
        }
    lines = (
        spark.read.format("text")
        .load([storage.spark_path(f.path) for f in files])
        .select(
            F.col("value").alias("_raw"),
            F.col("_metadata.file_path").alias("_spark_file"),
            F.monotonically_increasing_id().alias("_id"),
        )
    )
    firsts = (
        lines.groupBy("_spark_file")
        .agg(
            F.min("_id").alias("_first"),
            F.min_by("_raw", "_id").alias("_head"),
            F.count(F.lit(1)).alias("_count"),
        )
        .collect()
    )
    facts = {
        spark_file_to_path(r["_spark_file"]): {
            "spark": r["_spark_file"],
            "head": r["_head"],
            "count": r["_count"],
            "first": r["_first"],
        }
        for r in firsts
    }
    index = spark.createDataFrame(
        [(f["spark"], path, f["first"]) for path, f in facts.items()],
        "_spark_file string, _source_file string, _first long",
    )
    numbered = lines.join(F.broadcast(index), "_spark_file").select(
        "_raw", "_source_file", (F.col("_id") - F.col("_first") + 1).alias("_line")
    )
    return numbered, facts


def _parse_text(
    spark: SparkSession,
    cfg: DatasetConfig,
    files: list[RawFile],
    storage_options: dict[str, Any] | None,
) -> ParsedBatch:
    from pyspark.sql import functions as F

    assert cfg.source is not None
    fmt = cfg.source.format
    options = _options(cfg)
    declared = cfg.schema
    lines, facts = _text_lines(spark, files, storage_options)
    empty = [f.path for f in files if f.path not in facts]
    has_header = fmt == "csv" and options.get("header", "false").lower() == "true"
    sep = options.get("sep", options.get("delimiter", ","))
    quote = options.get("quote", '"')

    if fmt == "csv":
        per_file = {
            path: (_header_columns(f["head"], sep, quote) if has_header else list(declared))
            for path, f in facts.items()
        }
    else:
        per_file = _json_keys(lines, facts)
    extra = _check_drift(cfg, per_file, partial=fmt == "json")
    columns = list(declared) + extra
    types = {**{c: "string" for c in extra}, **declared}
    header_only = [p for p, f in facts.items() if has_header and f["count"] == 1]

    parse_options = {k: v for k, v in options.items() if k.lower() not in _FILE_OPTIONS}
    parse_options.update({"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT})
    data = lines.where(F.col("_raw") != "")
    if has_header:
        data = data.where(F.col("_line") > 1)

    groups: dict[tuple[str, ...], list[str]] = {}
    for path, cols in per_file.items():
        groups.setdefault(tuple(cols) if fmt == "csv" else tuple(columns), []).append(path)
    parts, contexts = [], []
    for number, (cols, paths) in enumerate(sorted(groups.items())):
        ddl = ", ".join(f"`{c}` {types[c]}" for c in cols) + f", `{CORRUPT}` string"
        subset = data.where(F.col("_source_file").isin(paths))
        parser = F.from_csv if fmt == "csv" else F.from_json
        parsed = subset.select("*", parser(F.col("_raw"), ddl, parse_options).alias("_r"))
        selected = [
            (F.col(f"_r.`{c}`") if c in cols else F.lit(None).cast(types[c])).alias(c)
            for c in columns
        ]
        bad = F.col(f"_r.`{CORRUPT}`").isNotNull() | ~F.expr("is_valid_utf8(_raw)")
        parts.append(
            parsed.select(
                *selected,
                "_source_file",
                "_line",
                # invalid bytes become U+FFFD: stored text must be valid UTF-8 for every reader
                F.expr("make_valid_utf8(_raw)").alias("_raw"),
                F.lit(number).alias("_group"),
                bad.alias("_bad"),
            )
        )
        contexts.append(
            {
                "format": fmt,
                "columns": list(cols),
                "types": types,
                "sep": sep,
                "quote": quote,
                "null": options.get("nullValue", ""),
            }
        )
    rows = parts[0] if parts else _no_rows(spark, columns, types)
    for part in parts[1:]:
        rows = rows.unionByName(part)
    return ParsedBatch(rows, columns, extra, contexts, empty, header_only)


def _no_rows(spark: SparkSession, columns: list[str], types: dict[str, str]) -> DataFrame:
    """An empty batch in the shape of :class:`ParsedBatch` rows (every file was unreadable)."""
    ddl = ", ".join(f"`{c}` {types[c]}" for c in columns)
    return spark.createDataFrame(
        [],
        f"{ddl}, _source_file string, _line long, _raw string, _group int, _bad boolean",
    )


def _header_columns(line: str | None, sep: str, quote: str) -> list[str]:
    if line is None:
        return []
    try:
        tokens = next(csv.reader([line], delimiter=sep, quotechar=quote), [])
    except csv.Error as exc:
        raise DataRejectedError(f"cannot read the CSV header {line!r}: {exc}") from None
    if tokens:
        tokens[0] = tokens[0].lstrip("\ufeff")
    return [t.strip() for t in tokens]


def _json_keys(lines: DataFrame, facts: dict[str, Any]) -> dict[str, list[str]]:
    from pyspark.sql import functions as F

    keys = (
        lines.where(F.col("_raw") != "")
        .select(
            "_source_file",
            F.explode(F.map_keys(F.from_json("_raw", "map<string,string>"))).alias("k"),
        )
        .distinct()
        .collect()
    )
    per_file: dict[str, list[str]] = {path: [] for path in facts}
    for row in sorted(keys, key=lambda r: (r["_source_file"], r["k"])):
        per_file.setdefault(row["_source_file"], []).append(row["k"])
    return per_file


def _check_drift(cfg: DatasetConfig, per_file: dict[str, list[str]], *, partial: bool) -> list[str]:
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


def _parse_parquet(
    spark: SparkSession,
    cfg: DatasetConfig,
    files: list[RawFile],
    storage_options: dict[str, Any] | None,
    unreadable: dict[str, str],
) -> ParsedBatch:
    """Parse Parquet ``files``; a file whose footer cannot be read is added to ``unreadable``."""
    import pyarrow.parquet as pq
    from pyspark.sql import functions as F

    from lakeshelf import raw_io

    per_file = {}
    for raw in files:
        fs = storage.filesystem(raw.path, storage_options)
        try:
            with fs.open(raw.path, "rb") as handle:
                per_file[raw.path] = pq.read_schema(handle).names
        except Exception as exc:
            unreadable[raw.path] = f"not a readable Parquet file: {type(exc).__name__}: {exc}"
    extra = _check_drift(cfg, per_file, partial=False)
    columns = list(cfg.schema) + extra
    types = {**{c: "string" for c in extra}, **cfg.schema}
    ddl = ", ".join(f"`{c}` {types[c]}" for c in columns)
    readable = [f.path for f in files if f.path in per_file]
    if not readable:
        return ParsedBatch(_no_rows(spark, columns, types), columns, extra, [{"format": "parquet"}])
    if storage.hadoop_can_open(spark, readable[0]):
        data = (
            spark.read.schema(ddl)
            .parquet(*(storage.spark_path(path) for path in readable))
            .select(
                "*",
                F.col("_metadata.file_path").alias("_spark_file"),
                (F.col("_metadata.row_index") + 1).alias("_line"),
            )
        )
        seen = [r["_spark_file"] for r in data.select("_spark_file").distinct().collect()]
        index = spark.createDataFrame(
            [(name, spark_file_to_path(name)) for name in seen],
            "_spark_file string, _source_file string",
        )
        data = data.join(F.broadcast(index), "_spark_file")
    else:
        data = raw_io.parquet_rows(spark, readable, ddl, storage_options)
    rows = data.select(
        *columns,
        "_source_file",
        "_line",
        F.lit(None).cast("string").alias("_raw"),
        F.lit(0).alias("_group"),
        F.lit(False).alias("_bad"),
    )
    return ParsedBatch(rows, columns, extra, [{"format": "parquet"}])


def reason(raw: str | None, context: dict[str, Any]) -> str:
    """Why one raw line did not parse, in words (runs only for malformed rows)."""
    if raw is None:
        return "unreadable row"
    if REPLACEMENT in raw:
        return "not valid UTF-8 text (invalid bytes shown as U+FFFD)"
    if context["format"] == "json":
        return _json_reason(raw, context)
    try:
        tokens = next(
            csv.reader([raw], delimiter=context["sep"], quotechar=context["quote"], strict=True)
        )
    except csv.Error as exc:
        return f"bad quoting: {exc}"
    columns = context["columns"]
    if len(tokens) != len(columns):
        return f"expected {len(columns)} fields, found {len(tokens)}"
    for column, value in zip(columns, tokens, strict=True):
        problem = _value_problem(value, context["types"][column], context["null"])
        if problem:
            return f"column {column}: {problem}"
    return "row does not match the declared schema"


def _json_reason(raw: str, context: dict[str, Any]) -> str:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} (character {exc.pos + 1})"
    if not isinstance(value, dict):
        return f"a JSON line must be an object, found {type(value).__name__}"
    for column, type_name in context["types"].items():
        item = value.get(column)
        if item is None or type_name == "string":
            continue
        if isinstance(item, (dict, list)) or (
            isinstance(item, str)
            and type_name
            not in (
                "date",
                "timestamp",
                "timestamp_ntz",
            )
        ):
            return f"field {column}: {json.dumps(item)[:60]} is not a valid {type_name}"
        problem = _value_problem(str(item), type_name, "")
        if problem:
            return f"field {column}: {problem}"
    return "row does not match the declared schema"


_INT_RANGES = {
    "tinyint": 7,
    "byte": 7,
    "smallint": 15,
    "short": 15,
    "int": 31,
    "integer": 31,
    "bigint": 63,
    "long": 63,
}


def _value_problem(value: str, type_name: str, null_value: str) -> str | None:
    if value == "" or value == null_value:
        return None
    kind = type_name.lower().split("(")[0]
    try:
        if kind in _INT_RANGES:
            number = int(value)
            bits = _INT_RANGES[kind]
            if not -(2**bits) <= number < 2**bits:
                return f"{value!r} is out of range for {type_name}"
        elif kind in ("float", "double"):
            float(value)
        elif kind == "decimal":
            Decimal(value)
        elif kind == "boolean":
            if value.lower() not in ("true", "false"):
                raise ValueError
        elif kind == "date":
            dt.date.fromisoformat(value)
        elif kind in ("timestamp", "timestamp_ntz"):
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, InvalidOperation):
        return f"{value[:60]!r} is not a valid {type_name}"
    return None
