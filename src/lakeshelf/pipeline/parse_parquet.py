"""Parsing Parquet raw files with the declared schema; a file with a broken footer is set aside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeshelf.pipeline.parsed import ParsedBatch, parse_described
from lakeshelf.pipeline.raw_readers import parquet_rows, spark_file_to_path
from lakeshelf.table.spark import hadoop_can_open

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig
    from lakeshelf.pipeline.sources import RawFile
    from lakeshelf.storage import Location

_CONTEXT = [{"format": "parquet"}]


def parse_parquet(
    spark: SparkSession,
    cfg: DatasetConfig,
    files: list[RawFile],
    source: Location,
    unreadable: dict[str, str],
) -> ParsedBatch:
    """Parse Parquet ``files``; a file whose footer cannot be read is added to ``unreadable``.

    Raises:
        DataRejectedError: schema drift the dataset's policy does not allow.
    """
    per_file = _footer_columns(files, source, unreadable)

    def read_rows(paths: list[str], ddl: str) -> DataFrame:
        if hadoop_can_open(spark, source):
            return _spark_rows(spark, paths, ddl, source)
        return parquet_rows(spark, paths, ddl, source.options)

    return parse_described(spark, cfg, files, per_file, read_rows, _CONTEXT)


def _footer_columns(
    files: list[RawFile], source: Location, unreadable: dict[str, str]
) -> dict[str, list[str]]:
    """Each readable file's columns, from its footer; unreadable files go to ``unreadable``."""
    import pyarrow.parquet as pq

    fs = source.filesystem()
    per_file = {}
    for raw in files:
        try:
            with fs.open(raw.path, "rb") as handle:
                per_file[raw.path] = pq.read_schema(handle).names
        except Exception as exc:
            unreadable[raw.path] = f"not a readable Parquet file: {type(exc).__name__}: {exc}"
    return per_file


def _spark_rows(spark: SparkSession, paths: list[str], ddl: str, source: Location) -> DataFrame:
    """The files' rows read by Spark, with ``_source_file`` and the 1-based row ``_line``."""
    from pyspark.sql import functions as F

    data = (
        spark.read.schema(ddl)
        .parquet(*(source.spark_path(path) for path in paths))
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
    return data.join(F.broadcast(index), "_spark_file")
