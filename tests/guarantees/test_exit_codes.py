"""Exit codes orchestrators can trust: every short command, many times, as separate processes.

A process that finished its work must exit with exactly its code (0 ok, 1 gate/verification
failed, 2 usage or config error). Reading a Delta table through Arrow's dataset scanner used to
leave threads that aborted the interpreter at exit (SIGABRT, 134) in about half of the runs of
``history``, ``manifest``, ``lineage`` and ``ingest`` with nothing new. The counts here catch a
5% failure rate: a path that fails 1 run in 20 escapes 20 runs with probability 0.36, and all
the runs below (over 200) with probability below 1e-4.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

RUNS_PER_COMMAND = 20  # quick commands (no Spark session), each run a new process
RUNS_PER_SPARK_COMMAND = 1  # commands that start Spark take ~15 s each here
SCRIPT_RUNS = 30
AT_ONCE = 4


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    """A tiny project: bronze dataset ``points`` (with a suite), two ingested drops, one tag."""
    import yaml

    from lakeshelf.config import load_project
    from lakeshelf.pipeline import ingest
    from lakeshelf.registry import set_tag

    root = tmp_path_factory.mktemp("exit-codes")
    conf = root / "conf"
    (conf / "datasets").mkdir(parents=True)
    (conf / "suites").mkdir()
    (root / "raw").mkdir()
    (conf / "lakeshelf.yaml").write_text("lake: ./lake\n")
    dataset = {
        "name": "points",
        "layer": "bronze",
        "source": {"path": "raw/*.csv", "format": "csv", "options": {"header": True}},
        "schema": {"id": "int", "x": "double"},
        "suite": "points",
    }
    (conf / "datasets" / "points.yaml").write_text(yaml.safe_dump(dataset))
    suite = {
        "name": "points",
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}
        ],
    }
    (conf / "suites" / "points.json").write_text(json.dumps(suite))
    strict = {
        "name": "strict",
        "expectations": [
            {"type": "expect_column_max_to_be_between", "kwargs": {"column": "id", "max_value": 1}}
        ],
    }
    (root / "strict.json").write_text(json.dumps(strict))
    project = load_project(conf)
    for name, body in (("a.csv", "id,x\n1,1.5\n2,2.5\n"), ("b.csv", "id,x\n3,3.5\n")):
        (root / "raw" / name).write_text(body)
        ingest(project, "points", spark=spark)
    set_tag(project.lake_location, "keep", "points", 0)
    return root


def lakeshelf_command(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The ``lakeshelf`` console script, as a user runs it, in its own process."""
    script = Path(sys.executable).parent / "lakeshelf"
    return subprocess.run(
        [str(script), *args, "--conf", str(root / "conf")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )


def quick_commands(run: int) -> list[tuple[tuple[str, ...], int]]:
    """Commands that start no Spark session, with the exit code each must give."""
    return [
        (("ingest", "points"), 0),  # nothing new
        (("history", "points", "--json"), 0),
        (("manifest", "points@0"), 0),
        (("lineage", "points@1"), 0),
        (("detail", "points@1"), 0),
        (("tag", "points@1", f"run-{run}"), 0),
        (("untag", f"never-set-{run}"), 2),
        (("vacuum", "points", "--dry-run"), 0),
        (("manifest", "points@99"), 2),
        (("show", "nosuch@1"), 2),
    ]


def spark_commands(root: Path) -> list[tuple[tuple[str, ...], int]]:
    """Commands that run Spark, with the exit code each must give."""
    return [
        (("show", "points@1"), 0),
        (("verify", "points@keep"), 0),
        (("validate", "points@1"), 0),
        (("validate", "points@1", "--suite", str(root / "strict.json")), 1),
        (("restore", "points@0"), 0),
    ]


def run_all(root: Path, runs: list[tuple[tuple[str, ...], int]]) -> list[str]:
    """Run every command (AT_ONCE at a time); describe each run that did not end as expected."""

    def one(item: tuple[tuple[str, ...], int]) -> str | None:
        args, expected = item
        done = lakeshelf_command(root, *args)
        aborted = "terminate called" in done.stderr or "Traceback" in done.stderr
        if done.returncode == expected and not aborted:
            return None
        command = " ".join(args)
        return f"{command}: exit {done.returncode}, expected {expected}: {done.stderr[-300:]}"

    with ThreadPoolExecutor(AT_ONCE) as pool:
        return [problem for problem in pool.map(one, runs) if problem]


def summary(problems: list[str]) -> str:
    counts = Counter(p.split(":", 1)[0] for p in problems)
    return f"{len(problems)} bad run(s): {dict(counts)}\nfirst: {problems[:1]}"


def test_quick_commands_exit_with_exactly_their_code_every_time(lake):
    runs = [item for run in range(RUNS_PER_COMMAND) for item in quick_commands(run)]
    problems = run_all(lake, runs)
    assert not problems, summary(problems)
    assert len(runs) >= 200


def test_spark_commands_exit_with_exactly_their_code_every_time(lake):
    runs = spark_commands(lake) * RUNS_PER_SPARK_COMMAND
    problems = run_all(lake, runs)
    assert not problems, summary(problems)


LIBRARY_SCRIPT = """
import sys
import pyarrow as pa
from deltalake import write_deltalake
import lakeshelf
from lakeshelf.registry import lineage, manifest

conf, table = sys.argv[1], sys.argv[2]
for rows in ([1, 2], [3]):  # a table of this run's own: restores of one table would conflict
    write_deltalake(table, pa.table({"id": rows}), mode="append")
assert lakeshelf.history(table)[0].version == 1
assert lakeshelf.restore(table, version=0) == 2
# registry reads last: threads they left behind would meet the interpreter's exit
assert lineage("points@1", conf)["version"] == 1
assert manifest("points@0", conf)["version"] == 0
print("done")
"""


def test_a_script_using_the_library_exits_cleanly_every_time(lake, tmp_path):
    """Library users' own scripts end normally, with no abort at interpreter exit."""
    script = tmp_path / "use_lakeshelf.py"
    script.write_text(LIBRARY_SCRIPT)

    def one(run: int) -> str | None:
        done = subprocess.run(
            [sys.executable, str(script), str(lake / "conf"), str(tmp_path / f"table-{run}")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode == 0 and done.stdout.strip() == "done" and not done.stderr.strip():
            return None
        return f"script: exit {done.returncode}: {done.stderr[-300:]}"

    with ThreadPoolExecutor(AT_ONCE) as pool:
        problems = [p for p in pool.map(one, range(SCRIPT_RUNS)) if p]
    assert not problems, summary(problems)


def test_spark_submit_reports_the_jobs_outcome(spark, lake, tmp_path):
    """Under spark-submit a job's exit code is its outcome: 0 published, 1 gate refused, 2 usage."""
    from helpers import spark_submit

    conf = lake / "conf"
    (lake / "raw" / "c.csv").write_text("id,x\n4,4.5\n")
    published = spark_submit("local[2]", "ingest.py", "--conf", str(conf), "--dataset", "points")
    assert published.returncode == 0, published.stderr[-2000:]

    (lake / "raw" / "d.csv").write_text("id,x\n,5.5\n")  # a null id: the suite refuses it
    refused = spark_submit("local[2]", "ingest.py", "--conf", str(conf), "--dataset", "points")
    assert refused.returncode == 1, refused.stderr[-2000:]
    # spark-submit's PythonRunner merges the driver's stderr into its stdout
    assert "failed quality suite points" in refused.stdout + refused.stderr

    unknown = spark_submit("local[2]", "ingest.py", "--conf", str(conf), "--dataset", "nosuch")
    assert unknown.returncode == 2, unknown.stderr[-2000:]
