"""``spark.read.format("delta")`` and ``df.write.format("delta")`` without delta-spark.

Owns only the Spark Python data source, a thin face over :mod:`lakeshelf.table` (and the project
configuration, for the storage options of paths inside its lake). Importing it imports pyspark.
"""

from lakeshelf.delta_format.source import FORMAT, DeltaDataSource, register

__all__ = ["FORMAT", "DeltaDataSource", "register"]
