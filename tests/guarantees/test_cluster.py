"""The jobs run under spark-submit on a real standalone cluster (separate executor processes)."""

from __future__ import annotations

import pytest
from tools.cluster import StandaloneCluster

import lakeshelf
from helpers import commit_info, spark_submit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = StandaloneCluster(tmp_path_factory.mktemp("cluster"), workers=2, memory="1g").start()
    yield running
    running.stop()


def submit(cluster, job, *args, options=()):
    return spark_submit(cluster.url, job, *args, options=options)


ENGINE_SCRIPT = """
import sys
import lakeshelf
from lakeshelf.table.spark import delta_spark_serves
spark = lakeshelf.spark_session()
lakeshelf.write(spark.range(0, 1000, numPartitions=4), sys.argv[1])
rows = spark.read.format("delta").load(sys.argv[1]).where("id % 2 = 0").count()
print("engine", "delta-spark" if delta_spark_serves(spark) else "lakeshelf", "rows", rows)
"""


@pytest.mark.cluster
def test_spark_submit_with_the_engine_packages_runs_delta_spark_on_the_cluster(cluster, tmp_path):
    """`spark-submit $(lakeshelf engine --submit-args)`: the same jars from the same cache, on
    the driver and the executors."""
    from lakeshelf.session.engines import submit_args

    script = tmp_path / "engine.py"
    script.write_text(ENGINE_SCRIPT)
    table = str(tmp_path / "t")
    done = submit(cluster, str(script), table, options=tuple(submit_args()))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "engine delta-spark rows 500" in done.stdout
    assert commit_info(table, 0)["lakeshelf"]["sparkAppId"].startswith("app-")
    without = submit(cluster, str(script), str(tmp_path / "t2"))
    assert without.returncode == 0, without.stderr[-3000:]
    assert "engine lakeshelf rows 500" in without.stdout  # no --packages: the own engine


@pytest.mark.cluster
def test_ingest_and_transform_jobs_on_the_standalone_cluster(
    spark, cluster, project_factory, raw, tmp_path
):
    (tmp_path / "conf" / "sql").mkdir(parents=True)
    (tmp_path / "conf" / "sql" / "n.sql").write_text(
        "SELECT kind, COUNT(*) AS n FROM events GROUP BY kind"
    )
    project = project_factory(
        {
            "events": {
                "layer": "bronze",
                "source": {
                    "path": "./raw/events/*.csv",
                    "format": "csv",
                    "options": {"header": True},
                },
                "schema": {"id": "int", "kind": "string"},
                "max_bad_fraction": 0.5,
            },
            "counts": {
                "layer": "gold",
                "inputs": {"events": "events@latest"},
                "transform": "sql/n.sql",
            },
        }
    )
    for part in range(4):
        body = "".join(f"{part * 100 + i},{'ab'[i % 2]}\n" for i in range(100))
        raw(f"events/{part}.csv", "id,kind\n" + body + ("oops,x\n" if part == 0 else ""))

    ingested = submit(cluster, "ingest.py", "--conf", str(project.conf_dir), "--dataset", "events")
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    built = submit(cluster, "transform.py", "--conf", str(project.conf_dir), "--dataset", "counts")
    assert built.returncode == 0, built.stderr[-3000:]

    events = project.table_uri("events")
    info = commit_info(events, 0)
    assert info["lakeshelf"]["sparkAppId"].startswith("app-")  # a standalone application, not local
    assert lakeshelf.read(events, spark=spark).count() == 400
    assert lakeshelf.read(project.malformed_table("events").uri, spark=spark).count() == 1
    counts = {
        r.kind: r.n for r in lakeshelf.read(project.table_uri("counts"), spark=spark).collect()
    }
    assert counts == {"a": 200, "b": 200}


def test_run_job_with_a_local_master(spark, project_factory, raw):
    project = project_factory(
        {
            "events": {
                "layer": "bronze",
                "source": {"path": "./raw/events/*.jsonl", "format": "json"},
                "schema": {"id": "int", "kind": "string"},
            }
        }
    )
    raw("events/1.jsonl", '{"id": 1, "kind": "a"}\n{"id": 2, "kind": "b"}\n')
    done = spark_submit("local[2]", "run.py", "--conf", str(project.conf_dir))
    assert done.returncode == 0, done.stderr[-3000:]
    info = commit_info(project.table_uri("events"), 0)
    assert info["lakeshelf"]["sparkAppId"].startswith("local-")
    assert lakeshelf.read(project.table_uri("events"), spark=spark).count() == 2
