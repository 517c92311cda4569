"""spark_session(): settings, reuse of an existing session, and the delta-spark engine."""

from __future__ import annotations

import glob
import os

import pytest

import lakeshelf


def test_existing_session_is_reused_and_prepared(spark):
    again = lakeshelf.spark_session()
    assert again is spark
    assert spark.conf.get("spark.sql.parquet.outputTimestampType") == "TIMESTAMP_MICROS"
    assert not lakeshelf.session.jvm_delta_available(spark)


def test_unknown_engine_is_a_config_error():
    with pytest.raises(lakeshelf.ConfigError, match="unknown engine"):
        lakeshelf.spark_session(engine="hive")


def delta_spark_jars_present() -> bool:
    ivy = os.path.expanduser("~/.ivy2/jars")
    return bool(glob.glob(os.path.join(ivy, "io.delta_delta-spark*.jar")))


@pytest.mark.skipif(
    not delta_spark_jars_present(),
    reason="delta-spark's JVM jars come from Maven Central, which this machine cannot reach",
)
def test_delta_spark_engine_reads_lakeshelf_tables(tmp_path):  # pragma: no cover - needs Maven
    import subprocess
    import sys

    uri = str(tmp_path / "t")
    script = (
        "import lakeshelf; s = lakeshelf.spark_session(engine='delta-spark');"
        f"lakeshelf.write(s.range(7), {uri!r});"
        f"assert s.read.format('delta').load({uri!r}).count() == 7"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
