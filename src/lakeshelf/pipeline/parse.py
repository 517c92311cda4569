"""Parsing a batch of raw files against a declared schema, keeping every malformed row.

CSV and JSON lines go through :mod:`lakeshelf.pipeline.parse_text`, Parquet through
:mod:`lakeshelf.pipeline.parse_parquet`, Avro through :mod:`lakeshelf.pipeline.parse_avro`. A
file that cannot be read at all (corrupt or truncated Parquet, Avro or gzip) is set aside with
the reason and the rest of the batch is parsed without it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from lakeshelf.pipeline.parse_avro import parse_avro
from lakeshelf.pipeline.parse_parquet import parse_parquet
from lakeshelf.pipeline.parse_text import parse_text
from lakeshelf.pipeline.parsed import ParsedBatch
from lakeshelf.pipeline.raw_readers import unreadable_file
from lakeshelf.table.spark import hadoop_access

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.config import DatasetConfig
    from lakeshelf.pipeline.sources import RawFile
    from lakeshelf.storage import Location


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
    spark: SparkSession, cfg: DatasetConfig, files: list[RawFile], source: Location
) -> ParsedBatch:
    """Parse ``files`` of dataset ``cfg``; the returned rows are persisted (caller unpersists).

    Files that cannot be read are left out of ``rows`` and listed in ``unreadable`` with the
    reason. Each such file costs one more parse of the rest; they are expected to be rare.

    Raises:
        DataRejectedError: schema drift the dataset's policy does not allow (the message holds a
            per-file diff).
    """
    assert cfg.source is not None
    hadoop_access(spark, source)
    unreadable: dict[str, str] = {}
    while True:
        readable = [f for f in files if f.path not in unreadable]
        rows = None
        try:
            if cfg.source.format == "parquet":
                batch = parse_parquet(spark, cfg, readable, source, unreadable)
            elif cfg.source.format == "avro":
                batch = parse_avro(spark, cfg, readable, source, unreadable)
            else:
                batch = parse_text(spark, cfg, readable, source)
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
