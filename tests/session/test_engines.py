"""Engine selection: delta-spark from Maven Central when its jars resolve, lakeshelf's own engine
when they cannot (said in one line), and either one forced by LAKESHELF_ENGINE."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lakeshelf.session import packages
from lakeshelf.table.spark import ENGINE_CONF, delta_spark_serves

pytestmark = pytest.mark.slow

#: What delta-spark 4.4.1's own configure_spark_with_delta_pip names for pyspark 4.2; Maven
#: Central does not have it, so it is a real coordinate that cannot be resolved.
UNRESOLVABLE = "io.delta:delta-spark_4.2_2.13:4.4.1"

SCRIPT = """
import sys
import lakeshelf
from lakeshelf.table.spark import delta_spark_serves
spark = lakeshelf.spark_session(master="local[1]")
lakeshelf.write(spark.range(3), sys.argv[1])
rows = spark.read.format("delta").load(sys.argv[1]).count()
print("engine", "delta-spark" if delta_spark_serves(spark) else "lakeshelf", "rows", rows)
"""


def run_script(tmp_path, env: dict[str, str], table: str = "t") -> subprocess.CompletedProcess:
    script = tmp_path / "session.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), str(tmp_path / table)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **env},
    )


def notes(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("lakeshelf:")]


def test_the_suite_runs_the_engine_it_was_told_to(spark):
    if os.environ.get("LAKESHELF_ENGINE") == "lakeshelf":
        assert not delta_spark_serves(spark)
        assert spark.conf.get(ENGINE_CONF) == "lakeshelf"
    else:  # CI and a machine that reaches Maven Central: delta-spark's jars resolve
        assert delta_spark_serves(spark), "delta-spark's jars did not resolve"
        assert spark.conf.get(ENGINE_CONF) == "delta-spark"


def test_unresolvable_jars_fall_back_to_the_own_engine_in_one_line(tmp_path):
    env = {
        "LAKESHELF_PACKAGES": UNRESOLVABLE,
        "LAKESHELF_JARS_CACHE": str(tmp_path / "jars"),
        "LAKESHELF_ENGINE": "auto",
    }
    first = run_script(tmp_path, env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "engine lakeshelf rows 3" in first.stdout
    said = notes(first.stderr)
    assert said[0].startswith(f"lakeshelf: fetching {UNRESOLVABLE} from Maven Central")
    assert said[1:] == [
        "lakeshelf: delta-spark's jars cannot be resolved (unresolved dependency:"
        " io.delta#delta-spark_4.2_2.13;4.4.1: not found); running on lakeshelf's own engine"
        " (Spark reads Parquet, delta-rs keeps the log)"
    ]
    again = run_script(tmp_path, env, table="t2")  # within RETRY_AFTER_SECONDS: no new attempt
    assert "engine lakeshelf rows 3" in again.stdout
    assert [line for line in notes(again.stderr) if "fetching" in line] == []


def test_forcing_delta_spark_without_its_jars_is_a_usage_error(tmp_path):
    env = {
        **os.environ,
        "LAKESHELF_PACKAGES": UNRESOLVABLE,
        "LAKESHELF_JARS_CACHE": str(tmp_path / "jars"),
        "LAKESHELF_ENGINE": "delta-spark",
    }
    done = subprocess.run(
        [sys.executable, "-m", "lakeshelf.cli.main", "engine"],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert "LAKESHELF_ENGINE=delta-spark, but its jars cannot be resolved" in done.stderr
    assert "Traceback" not in done.stderr


def test_forcing_the_own_engine_keeps_format_delta_on_lakeshelf(tmp_path):
    done = run_script(tmp_path, {"LAKESHELF_ENGINE": "lakeshelf"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "engine lakeshelf rows 3" in done.stdout
    assert notes(done.stderr) == []


def test_engine_command_prints_the_packages_for_spark_submit():
    done = subprocess.run(
        [sys.executable, "-m", "lakeshelf.cli.main", "engine", "--packages"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ",".join(packages())
