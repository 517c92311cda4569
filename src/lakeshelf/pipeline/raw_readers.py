"""Raw files read by Python workers, and files that cannot be read at all.

Spark's text and Parquet readers reach ``s3://`` only through hadoop-aws (s3a). Where Spark's
Hadoop layer has no filesystem for a source's scheme, executors read
the raw files with fsspec (compression inferred from the name) and pyarrow instead, one file per
Spark partition, in the same row shape the native readers give.

A file that cannot be read (a truncated gzip, a Parquet file with a broken footer or pages) fails
its Spark task with "Encountered error while reading file <path>" on both paths: Spark's
``FAILED_READ_FILE`` error natively, the same words from the Python reader. :func:`unreadable_file`
finds the file and the cause in such an error so an ingest can quarantine that file and go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lakeshelf.spark_tasks import per_item
from lakeshelf.storage import Location

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CHUNK_BYTES = 8 * 1024 * 1024  # read at a time; one Arrow batch of lines per chunk
_FAILED = re.compile(r"Encountered error while reading file (.+?)\.?\s+(?:SQLSTATE|Caused by)")
_CAUSE = re.compile(r"Caused by: ([^\n]+)")


class UnreadableFileError(OSError):
    """A raw file failed to read; the message names it the way Spark's FAILED_READ_FILE does."""

    def __init__(self, path: str, cause: BaseException) -> None:
        reason = f"{type(cause).__name__}: {cause}".splitlines()[0]
        super().__init__(f"Encountered error while reading file {path}. Caused by: {reason}")


def unreadable_file(exc: BaseException, paths: list[str]) -> tuple[str, str] | None:
    """``(path, reason)`` if ``exc`` is a read failure of one of ``paths``, else None.

    ``paths`` are lakeshelf's forms (local absolute paths or URIs); Spark reports local files as
    ``file:`` URIs with percent-encoding, which are mapped back.
    """
    text = str(exc)
    match = _FAILED.search(text)
    if match is None:
        return None
    path = spark_file_to_path(match.group(1))
    if path not in paths:
        return None
    causes = _CAUSE.findall(text[match.end() - len("Caused by") :])
    reason = causes[0].strip() if causes else "the file could not be read"
    return path, reason


def spark_file_to_path(spark_path: str) -> str:
    """The path of a file as Spark's ``_metadata.file_path`` reports it, in lakeshelf's form."""
    parsed = urlparse(spark_path)
    if parsed.scheme in ("", "file"):
        return unquote(parsed.path)
    return spark_path


def text_lines(spark: SparkSession, paths: list[str], options: dict[str, Any]) -> DataFrame:
    """Every line of ``paths``: ``_raw`` (bytes as text, unvalidated), ``_source_file``, ``_line``.

    Lines end at ``\\n`` with a trailing ``\\r`` dropped, as Hadoop's line reader does; a final line
    without a newline is kept.
    """
    schema = "_raw binary, _source_file string, _line long"

    def read(path: str) -> Iterator[Any]:
        import pyarrow as pa

        fs = Location.of(path, options).filesystem()
        number = 0
        try:
            # Large reads split in bulk: fsspec's line-by-line iteration is far too slow here.
            with fs.open(path, "rb", compression="infer") as handle:
                tail = b""
                while chunk := handle.read(CHUNK_BYTES):
                    lines = (tail + chunk).split(b"\n")
                    tail = lines.pop()
                    if lines:
                        yield _lines_batch(pa, lines, path, number)
                        number += len(lines)
        except Exception as exc:
            raise UnreadableFileError(path, exc) from exc
        if tail:
            yield _lines_batch(pa, [tail], path, number)

    return per_item(spark, paths, read, schema).selectExpr(
        "cast(_raw as string) as _raw", "_source_file", "_line"
    )


def _lines_batch(pa: Any, lines: list[bytes], path: str, before: int) -> Any:
    lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    return pa.RecordBatch.from_arrays(
        [
            pa.array(lines, pa.binary()),
            pa.array([path] * len(lines), pa.string()),
            pa.array(range(before + 1, before + len(lines) + 1), pa.int64()),
        ],
        names=["_raw", "_source_file", "_line"],
    )


def file_rows(
    spark: SparkSession,
    paths: list[str],
    ddl: str,
    options: dict[str, Any],
    tables: Callable[[Any, Any], Iterator[Any]],
) -> DataFrame:
    """The rows of ``paths`` read in Python workers, one file per Spark partition, as columns
    ``ddl`` plus ``_source_file`` and 1-based ``_line`` (the row's position in its file).

    ``tables(handle, arrow_schema)`` (a module-level function: workers run it) yields Arrow tables
    of exactly ``arrow_schema`` from an open file. A file that fails raises
    :class:`UnreadableFileError`.
    """
    from pyspark.sql.pandas.types import to_arrow_schema
    from pyspark.sql.types import StructType

    out = StructType.fromDDL(f"{ddl}, _source_file string, _line long")
    arrow_schema = to_arrow_schema(StructType.fromDDL(ddl), timezone="UTC")  # instants

    def read(path: str) -> Iterator[Any]:
        import pyarrow as pa

        fs = Location.of(path, options).filesystem()
        before = 0
        try:
            with fs.open(path, "rb") as handle:
                for table in tables(handle, arrow_schema):
                    n = table.num_rows
                    table = table.append_column("_source_file", pa.array([path] * n, pa.string()))
                    table = table.append_column(
                        "_line", pa.array(range(before + 1, before + n + 1), pa.int64())
                    )
                    before += n
                    yield from table.to_batches()
        except Exception as exc:
            raise UnreadableFileError(path, exc) from exc

    return per_item(spark, paths, read, out)


def parquet_rows(
    spark: SparkSession, paths: list[str], ddl: str, options: dict[str, Any]
) -> DataFrame:
    """The rows of Parquet files ``paths`` as columns ``ddl`` (see :func:`file_rows`)."""
    return file_rows(spark, paths, ddl, options, _parquet_tables)


def _parquet_tables(handle: Any, schema: Any) -> Iterator[Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(handle)
    present = [c for c in schema.names if c in parquet.schema_arrow.names]
    for batch in parquet.iter_batches(columns=present):
        # a column the file lacks (added under schema_policy additive) reads as null
        columns = [
            batch.column(c) if c in present else pa.nulls(batch.num_rows, field.type)
            for c, field in zip(schema.names, schema, strict=True)
        ]
        yield pa.table(columns, names=schema.names).cast(schema)
