"""Building and preparing Spark sessions for lakeshelf (the session factory).

``spark_session()`` returns a session configured for Delta-compatible Parquet (microsecond
timestamps, UTC) on the engine :mod:`lakeshelf.session.engines` selects: delta-spark with
hadoop-aws and spark-avro when their jars resolve, lakeshelf's own engine otherwise. It honours a
session that already exists (for example one built by ``spark-submit``, whose jars come from
``--packages``) and only adds lakeshelf's settings to it. ``format("delta")`` is available in
every session without registration (see ``pyspark_lakeshelf``).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakeshelf.session.engines import (
    DELTA_SPARK_CONF,
    DELTA_SPARK_RUNTIME_CONF,
    Engine,
    requested_engine,
    select,
)
from lakeshelf.session.jvm_output import jvm_noise_dropped
from lakeshelf.table.spark import (
    ENGINE_CONF,
    apply_runtime_conf,
    hadoop_access,
    jvm_delta_available,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakeshelf.storage import Location

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

LOG4J_CONFIG = str(Path(__file__).resolve().parent.parent / "log4j2.properties")


def spark_session(
    app_name: str = "lakeshelf",
    *,
    master: str | None = None,
    conf: dict[str, Any] | None = None,
    engine: str | None = None,
) -> SparkSession:
    """Return a SparkSession ready for lakeshelf tables.

    Args:
        app_name: Spark application name for a new session.
        master: Spark master for a new session; ``local[*]`` unless ``spark-submit`` or the
            ``MASTER`` environment chose one.
        conf: extra Spark settings for a new session (they win over lakeshelf's defaults).
        engine: ``"auto"`` (default, or ``$LAKESHELF_ENGINE``): delta-spark when its jars
            resolve, else lakeshelf's own engine, said in one line; ``"delta-spark"`` or
            ``"lakeshelf"`` force one.

    Returns:
        The active session if there is one (its engine stands), otherwise a new one, with
        lakeshelf's runtime settings applied and the ``delta`` format available.

    Raises:
        ConfigError: ``engine`` is unknown, or delta-spark was forced and cannot be resolved.
    """
    _pin_python_workers()
    from pyspark.sql import SparkSession

    wanted = requested_engine(engine)
    active = SparkSession.getActiveSession()
    if active is None:
        # spark-submit started the JVM with its own jars (--packages): lakeshelf cannot add any
        chosen = Engine("as launched") if _launched_by_spark_submit() else select(wanted)
        if chosen.note:
            print(chosen.note, file=sys.stderr, flush=True)
        with jvm_noise_dropped():
            active = _builder(app_name, master, conf, chosen).getOrCreate()
        active.sparkContext.setLogLevel(os.environ.get("LAKESHELF_SPARK_LOG_LEVEL", "ERROR"))
    if wanted == "lakeshelf":  # also where spark-submit loaded delta-spark's jars
        active.conf.set(ENGINE_CONF, "lakeshelf")
    prepare_session(active)
    return active


def _builder(app_name: str, master: str | None, conf: dict[str, Any] | None, chosen: Engine) -> Any:
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # the embedded default stays on loopback
    builder = SparkSession.builder.appName(app_name).config(
        "spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"
    )
    if master or not _master_chosen_elsewhere():
        builder = builder.master(master or "local[*]")
    settings = {**LOCAL_DEFAULTS}
    if chosen.name != "as launched":
        settings[ENGINE_CONF] = chosen.name
    if chosen.jars:
        settings.update(DELTA_SPARK_CONF)
        settings["spark.jars"] = ",".join(chosen.jars)
    for key, value in {**settings, **(conf or {})}.items():
        builder = builder.config(key, str(value))
    return builder


def prepare_session(
    spark: SparkSession, conf: str | os.PathLike[str] | None = None
) -> SparkSession:
    """Apply lakeshelf's runtime settings to ``spark`` and return it.

    With delta-spark loaded, its runtime settings too; and where a project is configured
    (``conf``, ``$LAKESHELF_CONF`` or ``./conf``), its lake's storage options reach Spark's Hadoop
    layer, so ``format("delta")`` on the lake works in delta-spark as in lakeshelf's own source.
    ``format("delta")`` needs nothing more: Spark finds lakeshelf's data source by itself
    (``pyspark_lakeshelf``), and leaves the name to delta-spark when its JVM jars are present.
    """
    apply_runtime_conf(spark)
    if jvm_delta_available(spark):
        for key, value in DELTA_SPARK_RUNTIME_CONF.items():
            spark.conf.set(key, value)
    lake = _configured_lake(conf)
    if lake is not None:
        hadoop_access(spark, lake)
    return spark


def _configured_lake(conf: str | os.PathLike[str] | None) -> Location | None:
    """The lake of the configured project, if a project is configured and loads."""
    from lakeshelf.config import conf_dir_from, load_project
    from lakeshelf.errors import ConfigError

    folder = conf_dir_from(conf)
    if not (folder / "lakeshelf.yaml").is_file():
        return None
    try:
        return load_project(folder).lake_location
    except ConfigError:  # commands that need the project report it; a session does not fail
        return None


def _launched_by_spark_submit() -> bool:
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT"))


def _pin_python_workers() -> None:
    # Python workers must run the interpreter that has lakeshelf and pyarrow installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


def _master_chosen_elsewhere() -> bool:
    # Under spark-submit the JVM starts first and hands Python its gateway; its master stands.
    return bool(os.environ.get("PYSPARK_GATEWAY_PORT") or os.environ.get("MASTER")) or (
        "--master" in os.environ.get("PYSPARK_SUBMIT_ARGS", "")
    )
