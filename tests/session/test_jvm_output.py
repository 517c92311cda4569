"""The JVM's start-up warnings never reach users; everything else it writes to stderr does."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import lakeshelf
from lakeshelf.registry.profile import profile
spark = lakeshelf.spark_session("noise", master="local[1]")
profile(spark.range(50).selectExpr("id * 1.5 AS x"), "noise", 0)  # DataSketches' notice
spark.sparkContext._jvm.java.lang.System.err.println("a line the JVM means")
spark.sparkContext._jvm.java.lang.System.err.flush()
print("python's own line", file=sys.stderr, flush=True)
spark.stop()
"""


def run_script(env_extra: dict[str, str]) -> str:
    import os

    env = {**os.environ, **env_extra}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_start_up_warnings_are_dropped_and_other_jvm_output_passes():
    stderr = run_script({})
    assert "Using incubator modules" not in stderr
    assert "can only operate in restricted mode" not in stderr
    assert "a line the JVM means" in stderr
    assert "python's own line" in stderr


def test_the_warnings_show_when_asked_for():
    stderr = run_script({"LAKESHELF_JVM_NOISE": "show"})
    assert "Using incubator modules" in stderr
