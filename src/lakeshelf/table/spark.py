"""What the table layer needs of a Spark session: Parquet settings, and which paths it can open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.storage import Location

#: Settings lakeshelf's Parquet reads and writes rely on. They are runtime SQL settings, so they
#: can be applied to a session someone else built.
RUNTIME_CONF: dict[str, str] = {
    # Delta stores timestamps as INT64 microseconds; Spark's default (INT96) is not what other
    # readers expect.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Column mapping mode "id" matches Parquet columns by field id.
    "spark.sql.parquet.fieldId.read.enabled": "true",
}


def apply_runtime_conf(spark: SparkSession) -> SparkSession:
    """Apply :data:`RUNTIME_CONF` to ``spark`` and return it."""
    for key, value in RUNTIME_CONF.items():
        spark.conf.set(key, value)
    return spark


def session_timezone(spark: SparkSession) -> str:
    """The session time zone Spark names timestamp partition folders in."""
    return spark.conf.get("spark.sql.session.timeZone") or "UTC"


_HADOOP_SCHEMES: dict[tuple[str, str], bool] = {}  # (Spark application id, scheme) -> can open


def hadoop_can_open(spark: Any, location: Location) -> bool:
    """True if Spark's Hadoop filesystem layer has an implementation for the location's scheme.

    Local paths always do. ``s3://`` needs hadoop-aws (s3a) configured for the scheme; without it
    lakeshelf moves data files through pyarrow and fsspec in Python workers instead.
    """
    if location.is_local:
        return True
    # Per application: a later session in this process may have hadoop-aws configured.
    key = (spark.sparkContext.applicationId, location.scheme)
    if key not in _HADOOP_SCHEMES:
        jvm = spark.sparkContext._jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        try:
            jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(key[1], conf)
            _HADOOP_SCHEMES[key] = True
        except Exception:  # Hadoop's UnsupportedFileSystemException: no implementation
            _HADOOP_SCHEMES[key] = False
    return _HADOOP_SCHEMES[key]
