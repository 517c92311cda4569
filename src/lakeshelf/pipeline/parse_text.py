"""Parsing CSV and JSON-lines raw files line by line, keeping every malformed line.

Files are read as text lines in the JVM, numbered per file, and parsed with Spark's ``from_csv``
/ ``from_json`` in PERMISSIVE mode: a row that does not parse keeps its raw text and is flagged,
never nulled. Line numbers rely on files not being split across tasks, which
:func:`lakeshelf.pipeline.parse.unsplit_files` arranges for the duration of an ingest. Where
Spark's Hadoop layer cannot open the source (``s3://`` without hadoop-aws), Python workers read
the lines instead (:mod:`lakeshelf.pipeline.raw_readers`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError, DataRejectedError
from lakeshelf.pipeline.parsed import ParsedBatch, check_drift, no_rows
from lakeshelf.pipeline.raw_readers import spark_file_to_path, text_lines
from lakeshelf.table.spark import hadoop_can_open

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig
    from lakeshelf.pipeline.sources import RawFile
    from lakeshelf.storage import Location

CORRUPT = "_corrupt_record"
#: Options that describe whole files, not one line: they do not apply to line-by-line parsing.
_FILE_OPTIONS = {"header", "inferschema", "encoding", "charset", "multiline", "samplingratio"}


@dataclass(frozen=True)
class TextFormat:
    """How a dataset's text files are laid out (from its source options)."""

    fmt: str  # csv or json
    options: dict[str, str]

    @property
    def has_header(self) -> bool:
        return self.fmt == "csv" and self.options.get("header", "false").lower() == "true"

    @property
    def sep(self) -> str:
        return self.options.get("sep", self.options.get("delimiter", ","))

    @property
    def quote(self) -> str:
        return self.options.get("quote", '"')

    def parser_options(self) -> dict[str, str]:
        """Options for ``from_csv`` / ``from_json``, flagging malformed rows instead of nulling."""
        kept = {k: v for k, v in self.options.items() if k.lower() not in _FILE_OPTIONS}
        return {**kept, "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}


def text_format(cfg: DatasetConfig) -> TextFormat:
    """The text layout of ``cfg``'s source.

    Raises:
        ConfigError: multi-line records, which line-by-line parsing cannot quarantine per row.
    """
    assert cfg.source is not None
    options = {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in cfg.source.options.items()
    }
    if options.get("multiLine", options.get("multiline", "false")).lower() == "true":
        raise ConfigError(
            f"dataset {cfg.name}: multiLine records are not supported (rows are parsed line by"
            " line so each bad row can be quarantined with its line number)"
        )
    return TextFormat(cfg.source.format, options)


def parse_text(
    spark: SparkSession, cfg: DatasetConfig, files: list[RawFile], source: Location
) -> ParsedBatch:
    """Parse CSV or JSON-lines ``files`` of dataset ``cfg`` (rows flagged, not yet persisted).

    Raises:
        DataRejectedError: schema drift the dataset's policy does not allow.
    """
    layout = text_format(cfg)
    lines, facts = numbered_lines(spark, files, source)
    per_file = _columns_per_file(layout, cfg, lines, facts)
    extra = check_drift(cfg, per_file, partial=layout.fmt == "json")
    columns = list(cfg.schema) + extra
    types = {**{c: "string" for c in extra}, **cfg.schema}
    data = lines.where("_raw != ''")
    if layout.has_header:
        data = data.where("_line > 1")
    parts, contexts = [], []
    for number, (cols, paths) in enumerate(_groups(layout, per_file, columns)):
        subset = data.where(_source_in(paths))
        parts.append(_parsed_group(subset, layout, cols, columns, types, number))
        contexts.append(_context(layout, cols, types))
    rows = parts[0] if parts else no_rows(spark, columns, types)
    for part in parts[1:]:
        rows = rows.unionByName(part)
    empty = [f.path for f in files if f.path not in facts]
    header_only = [p for p, f in facts.items() if layout.has_header and f["count"] == 1]
    return ParsedBatch(rows, columns, extra, contexts, empty, header_only)


def numbered_lines(
    spark: SparkSession, files: list[RawFile], source: Location
) -> tuple[DataFrame, dict[str, Any]]:
    """All lines of ``files`` with ``_source_file`` and 1-based ``_line``; per-file head and count.

    Files with no lines have no facts.
    """
    from pyspark.sql import functions as F

    if not files:
        return spark.createDataFrame([], "_raw string, _source_file string, _line long"), {}
    if not hadoop_can_open(spark, source):
        numbered = text_lines(spark, [f.path for f in files], source.options)
        per_file = numbered.groupBy("_source_file").agg(
            F.min_by("_raw", "_line").alias("_head"), F.count(F.lit(1)).alias("_count")
        )
        facts = {
            r["_source_file"]: {"head": r["_head"], "count": r["_count"]}
            for r in per_file.collect()
        }
        return numbered, facts
    return _spark_numbered_lines(spark, files, source)


def _spark_numbered_lines(
    spark: SparkSession, files: list[RawFile], source: Location
) -> tuple[DataFrame, dict[str, Any]]:
    """Lines read by Spark's text reader, numbered by each file's first row id."""
    from pyspark.sql import functions as F

    lines = (
        spark.read.format("text")
        .load([source.spark_path(f.path) for f in files])
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


def _columns_per_file(
    layout: TextFormat, cfg: DatasetConfig, lines: DataFrame, facts: dict[str, Any]
) -> dict[str, list[str]]:
    """The columns each file has: its CSV header (or the declared ones), or its JSON keys."""
    if layout.fmt == "csv":
        return {
            path: (
                _header_columns(f["head"], layout.sep, layout.quote)
                if layout.has_header
                else list(cfg.schema)
            )
            for path, f in facts.items()
        }
    return _json_keys(lines, facts)


def _groups(
    layout: TextFormat, per_file: dict[str, list[str]], columns: list[str]
) -> list[tuple[tuple[str, ...], list[str]]]:
    """Files that parse with the same columns, together (JSON files all parse alike)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for path, cols in per_file.items():
        groups.setdefault(tuple(cols) if layout.fmt == "csv" else tuple(columns), []).append(path)
    return sorted(groups.items())


def _source_in(paths: list[str]) -> Any:
    from pyspark.sql import functions as F

    return F.col("_source_file").isin(paths)


def _parsed_group(
    subset: DataFrame,
    layout: TextFormat,
    cols: tuple[str, ...],
    columns: list[str],
    types: dict[str, str],
    number: int,
) -> DataFrame:
    """One group's lines parsed into the batch's columns, with ``_bad`` for malformed lines."""
    from pyspark.sql import functions as F

    ddl = ", ".join(f"`{c}` {types[c]}" for c in cols) + f", `{CORRUPT}` string"
    parser = F.from_csv if layout.fmt == "csv" else F.from_json
    parsed = subset.select("*", parser(F.col("_raw"), ddl, layout.parser_options()).alias("_r"))
    selected = [
        (F.col(f"_r.`{c}`") if c in cols else F.lit(None).cast(types[c])).alias(c) for c in columns
    ]
    bad = F.col(f"_r.`{CORRUPT}`").isNotNull() | ~F.expr("is_valid_utf8(_raw)")
    return parsed.select(
        *selected,
        "_source_file",
        "_line",
        # invalid bytes become U+FFFD: stored text must be valid UTF-8 for every reader
        F.expr("make_valid_utf8(_raw)").alias("_raw"),
        F.lit(number).alias("_group"),
        bad.alias("_bad"),
    )


def _context(layout: TextFormat, cols: tuple[str, ...], types: dict[str, str]) -> dict[str, Any]:
    """How a group's rows were parsed, for the reasons of its malformed rows."""
    return {
        "format": layout.fmt,
        "columns": list(cols),
        "types": types,
        "sep": layout.sep,
        "quote": layout.quote,
        "null": layout.options.get("nullValue", ""),
    }


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
