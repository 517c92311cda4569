"""Building and preparing Spark sessions for lakeshelf (the session factory).

``spark_session()`` returns a session configured for Delta-compatible Parquet (microsecond
timestamps, UTC). It honours a session that already exists (for example one built by
``spark-submit``) and only adds lakeshelf's settings to it. ``format("delta")`` is available in
every session without registration (see ``pyspark_lakeshelf``).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any, Literal

from lakeshelf.errors import ConfigError
from lakeshelf.table import apply_runtime_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

#: Defaults for a session lakeshelf starts itself; a caller's ``conf`` overrides them.
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.driver.memory": "4g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

LOG4J_CONFIG = os.path.join(os.path.dirname(__file__), "log4j2.properties")
JVM_DELTA_SOURCE = "org.apache.spark.sql.delta.sources.DeltaDataSource"


def spark_session(
    app_name: str = "lakeshelf",
    *,
    master: str | None = None,
    conf: dict[str, Any] | None = None,
    engine: Literal["lakeshelf", "delta-spark"] = "lakeshelf",
) -> SparkSession:
    """Return a SparkSession ready for lakeshelf tables.

    Args:
        app_name: Spark application name for a new session.
        master: Spark master for a new session; ``local[*]`` unless ``spark-submit`` or the
            ``MASTER`` environment chose one.
        conf: extra Spark settings for a new session (they win over lakeshelf's defaults).
        engine: ``"lakeshelf"`` (default) serves ``delta`` with lakeshelf's data source;
            ``"delta-spark"`` configures delta-spark's JVM jars instead (needs the ``delta-spark``
            extra and access to Maven Central).

    Returns:
        The active session if there is one, otherwise a new one, with lakeshelf's runtime settings
        applied and the ``delta`` format available.

    Raises:
        ConfigError: ``engine`` is unknown or its requirements are missing.
    """
    if engine not in ("lakeshelf", "delta-spark"):
        raise ConfigError(f"unknown engine {engine!r}: use 'lakeshelf' or 'delta-spark'")
    _pin_python_workers()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:
        os.environ.setdefault(
            "SPARK_LOCAL_IP", "127.0.0.1"
        )  # the embedded default stays on loopback
        builder = SparkSession.builder.appName(app_name).config(
            "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"
        )
        if master or not _master_chosen_elsewhere():
            builder = builder.master(master or "local[*]")
        for key, value in {**LOCAL_DEFAULTS, **(conf or {})}.items():
            builder = builder.config(key, str(value))
        if engine == "delta-spark":
            builder = _with_delta_spark(builder)
        active = builder.getOrCreate()
        active.sparkContext.setLogLevel(os.environ.get("LAKESHELF_SPARK_LOG_LEVEL", "ERROR"))
    prepare_session(active)
    return active


def prepare_session(spark: SparkSession) -> SparkSession:
    """Apply lakeshelf's runtime settings to ``spark`` and return it.

    ``format("delta")`` needs nothing more: Spark finds lakeshelf's data source by itself
    (``pyspark_lakeshelf``), and leaves the name to delta-spark when its JVM jars are present.
    """
    return apply_runtime_conf(spark)


def jvm_delta_available(spark: SparkSession) -> bool:
    """True when delta-spark's JVM data source can be loaded by this session."""
    try:
        jvm = spark.sparkContext._jvm
        loader = jvm.Thread.currentThread().getContextClassLoader()
        jvm.java.lang.Class.forName(JVM_DELTA_SOURCE, False, loader)
        return True
    except Exception:
        return False


def _pin_python_workers() -> None:
    # Python workers must run the interpreter that has lakeshelf and pyarrow installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def _master_chosen_elsewhere() -> bool:
    # Under spark-submit the JVM starts first and hands Python its gateway; its master stands.
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT") or os.environ.get("MASTER")) or (
        "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    )


def _with_delta_spark(builder: Any) -> Any:
    try:
        from delta import configure_spark_with_delta_pip
    except ImportError as exc:
        raise ConfigError(
            "engine='delta-spark' needs the delta-spark extra: pip install 'lakeshelf[delta-spark]'"
        ) from exc
    builder = builder.config(
        "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension"
    ).config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    return configure_spark_with_delta_pip(builder)
