"""``format("delta")`` in every Spark session where lakeshelf is installed.

Spark 4 finds Python data sources by itself: on the first data-source lookup of a session it
imports every top-level module named ``pyspark_*`` and registers its ``DefaultSource``. So a
session lakeshelf did not build (``spark-submit``, a notebook's, one from
``SparkSession.builder``) reads and writes ``format("delta")`` without a registration call. A JVM
data source of the same name wins over a Python one: with delta-spark's jars on the classpath,
``format("delta")`` is delta-spark's.
"""

from lakeshelf.delta_format import DeltaDataSource as DefaultSource

__all__ = ["DefaultSource"]
