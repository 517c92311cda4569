"""Parsing Avro raw files with the declared schema; a file that cannot be read is set aside.

Each file's header (its writer schema) is read with fastavro first: that is where schema drift is
judged, per file, and a file without a readable header is set aside with the reason. The rows are
read by spark-avro where the session has it and Spark's Hadoop layer reaches the files; otherwise
Python workers read them with fastavro, one file per Spark partition. Columns are matched by
name: a declared column a file lacks reads as null (``schema_policy: additive``), and a value that
does not fit its declared type fails its file, which is then set aside like a truncated one.

Spark refuses a Python data source named ``avro`` (the name is reserved for spark-avro), so Avro
is routed here by the source's ``format``, never by registering a data source.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lakeshelf.pipeline.parsed import ParsedBatch, parse_described
from lakeshelf.pipeline.raw_readers import file_rows, spark_file_to_path
from lakeshelf.storage import Location
from lakeshelf.table.spark import hadoop_can_open, jvm_has_class

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakeshelf.config import DatasetConfig
    from lakeshelf.pipeline.sources import RawFile

_CONTEXT = [{"format": "avro"}]
#: In the spark-avro package only (Spark 4 ships AvroFileFormat itself, without the source).
SPARK_AVRO_CLASS = "org.apache.spark.sql.v2.avro.AvroDataSourceV2"


def parse_avro(
    spark: SparkSession,
    cfg: DatasetConfig,
    files: list[RawFile],
    source: Location,
    unreadable: dict[str, str],
) -> ParsedBatch:
    """Parse Avro ``files``; a file whose header cannot be read is added to ``unreadable``.

    Raises:
        DataRejectedError: schema drift the dataset's policy does not allow.
    """
    per_file = _header_columns(files, source, unreadable)

    def read_rows(paths: list[str], ddl: str) -> DataFrame:
        if jvm_has_class(spark, SPARK_AVRO_CLASS) and hadoop_can_open(spark, source):
            return _spark_rows(spark, paths, ddl, source)
        return _worker_rows(spark, paths, ddl, source.options)

    return parse_described(spark, cfg, files, per_file, read_rows, _CONTEXT)


def _header_columns(
    files: list[RawFile], source: Location, unreadable: dict[str, str]
) -> dict[str, list[str]]:
    """Each readable file's top-level field names, from its header; others go to ``unreadable``."""
    import fastavro

    fs = source.filesystem()
    per_file = {}
    for raw in files:
        try:
            with fs.open(raw.path, "rb") as handle:
                schema = fastavro.reader(handle).writer_schema
            if not isinstance(schema, dict) or schema.get("type") != "record":
                raise ValueError("its schema is not a record, so it has no columns")
            per_file[raw.path] = [field["name"] for field in schema["fields"]]
        except Exception as exc:
            unreadable[raw.path] = f"not a readable Avro file: {type(exc).__name__}: {exc}"
    return per_file


def _spark_rows(spark: SparkSession, paths: list[str], ddl: str, source: Location) -> DataFrame:
    """The files' rows read by spark-avro, with ``_source_file`` and the 1-based row ``_line``.

    spark-avro has no row index; each file is read whole by one task (the ingest keeps files
    unsplit), so a row's position is its increasing id minus the first one of its file.
    """
    from pyspark.sql import functions as F

    data = (
        spark.read.format("avro")
        .schema(ddl)
        .load([source.spark_path(path) for path in paths])
        .select(
            "*",
            F.col("_metadata.file_path").alias("_spark_file"),
            F.monotonically_increasing_id().alias("_id"),
        )
    )
    first = data.groupBy("_spark_file").agg(F.min("_id").alias("_first"))
    seen = [r["_spark_file"] for r in first.select("_spark_file").collect()]
    index = spark.createDataFrame(
        [(name, spark_file_to_path(name)) for name in seen],
        "_spark_file string, _source_file string",
    )
    return (
        data.join(F.broadcast(first), "_spark_file")
        .join(F.broadcast(index), "_spark_file")
        .withColumn("_line", F.col("_id") - F.col("_first") + 1)
        .drop("_id", "_first", "_spark_file")
    )


def _worker_rows(
    spark: SparkSession, paths: list[str], ddl: str, options: dict[str, Any]
) -> DataFrame:
    """The files' rows read by fastavro in Python workers (no spark-avro, or no Hadoop path)."""
    return file_rows(spark, paths, ddl, options, _avro_tables)


_CHUNK_RECORDS = 10_000


def _avro_tables(handle: Any, schema: Any) -> Iterator[Any]:
    """The file's records as Arrow tables of ``schema``, matched by name (absent fields null)."""
    import fastavro
    import pyarrow as pa

    def table(records: list[dict[str, Any]]) -> Any:
        columns = [
            pa.array([r.get(name) for r in records], field.type)
            for name, field in zip(schema.names, schema, strict=True)
        ]
        return pa.table(columns, schema=schema)

    chunk: list[dict[str, Any]] = []
    for record in fastavro.reader(handle):
        chunk.append(record)
        if len(chunk) == _CHUNK_RECORDS:
            yield table(chunk)
            chunk = []
    if chunk:
        yield table(chunk)
