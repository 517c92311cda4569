"""What the table layer needs of a Spark session: Parquet settings, and which paths it can open."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import ConfigError

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


#: The Spark setting a session records its engine in (``delta-spark`` or ``lakeshelf``).
ENGINE_CONF = "spark.lakeshelf.engine"
JVM_DELTA_SOURCE = "org.apache.spark.sql.delta.sources.DeltaDataSource"
_JVM_CLASSES: dict[tuple[str, str], bool] = {}  # (Spark application id, class) -> loads


def jvm_has_class(spark: SparkSession, name: str) -> bool:
    """True when the session's JVM can load class ``name`` (a package from ``spark.jars``)."""
    key = (spark.sparkContext.applicationId, name)
    if key not in _JVM_CLASSES:
        try:
            jvm = spark.sparkContext._jvm
            loader = jvm.Thread.currentThread().getContextClassLoader()
            jvm.java.lang.Class.forName(name, False, loader)
            _JVM_CLASSES[key] = True
        except Exception:  # Py4J's ClassNotFoundException: the package is not loaded
            _JVM_CLASSES[key] = False
    return _JVM_CLASSES[key]


def jvm_delta_available(spark: SparkSession) -> bool:
    """True when delta-spark's JVM data source can be loaded by this session."""
    return jvm_has_class(spark, JVM_DELTA_SOURCE)


def int_conf(spark: SparkSession, key: str, default: int) -> int:
    """The integer session setting ``key`` (a lakeshelf tuning knob), ``default`` when unset.

    Raises:
        ConfigError: the setting is not a whole number of at least 0.
    """
    text = spark.conf.get(key, None)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):
        raise ConfigError(f"{key} is {text!r}: set it to a whole number of at least 0")
    return int(text)


def delta_spark_serves(spark: SparkSession) -> bool:
    """True when Delta reads in this session go through delta-spark: its jars are loaded and the
    session was not built for lakeshelf's own engine (``LAKESHELF_ENGINE=lakeshelf``)."""
    if spark.conf.get(ENGINE_CONF, None) == "lakeshelf":
        return False
    return jvm_delta_available(spark)


def hadoop_access(spark: SparkSession, location: Location) -> None:
    """Give the session's Hadoop layer what reaches ``location`` (s3a settings per bucket).

    Set on the running context, not as Spark properties, so they stay out of the environment
    Spark records in event logs and UIs.
    """
    settings = location.hadoop_options()
    if settings:
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        with _py4j_not_logging_commands():
            for key, value in settings.items():
                conf.set(key, value)


@contextlib.contextmanager
def _py4j_not_logging_commands() -> Iterator[None]:
    """Keep Py4J from logging the commands it sends (the secret key among them) at DEBUG."""
    names = ("py4j", "py4j.clientserver", "py4j.java_gateway")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.INFO))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


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
