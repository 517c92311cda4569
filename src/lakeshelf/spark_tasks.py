"""Running Python work on Spark executors, one task per item (a bottom helper).

Used where data moves through Python workers: data files on storage Spark's Hadoop layer cannot
open (:mod:`lakeshelf.table.workers_read`) and raw files read the same way
(:mod:`lakeshelf.pipeline.raw_readers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def per_item(
    spark: SparkSession,
    items: list[Any],
    read: Callable[[Any], Iterator[Any]],
    schema: Any,
) -> DataFrame:
    """The Arrow batches ``read(item)`` yields for every item, one Spark partition per item.

    ``items`` and ``read`` travel to the workers inside the pickled task.
    """

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            for index in batch.column(0).to_pylist():
                yield from read(items[index])

    indexes = spark.range(0, len(items), 1, numPartitions=max(1, len(items)))
    return indexes.mapInArrow(run, schema)
