"""spark_session(): settings, reuse of an existing session, and the delta-spark engine."""

from __future__ import annotations

import pytest

import lakeshelf


def test_existing_session_is_reused_and_prepared(spark):
    again = lakeshelf.spark_session()
    assert again is spark
    assert spark.conf.get("spark.sql.parquet.outputTimestampType") == "TIMESTAMP_MICROS"
    if lakeshelf.session.jvm_delta_available(spark):  # its time travel reaches pinned versions
        key = "spark.databricks.delta.vacuum.enforceTimeTravelWithinDeletedFileRetentionDuration"
        assert spark.conf.get(key) == "false"


def test_unknown_engine_is_a_config_error():
    with pytest.raises(lakeshelf.ConfigError, match="unknown engine"):
        lakeshelf.spark_session(engine="hive")
