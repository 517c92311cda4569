"""Every command on an s3:// lake with raw files in S3, run as a user would (the CLI in its own
process), with Python logging at DEBUG and RUST_LOG=debug: the pipeline works end to end, and the
secret key appears in no output, log, commit, registry record, report or manifest."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import textwrap

import pytest

from lakeshelf.table.spark import delta_spark_serves

pytestmark = pytest.mark.slow

ORDERS_SUITE = {
    "name": "orders",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}},
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "amount", "min_value": 0},
        },
    ],
}

# Runs CLI commands in one process (one JVM) with every debug log on; prints each exit code.
DRIVER = textwrap.dedent(
    """
    import json, logging, sys
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    from lakeshelf.cli import main as cli
    codes = []
    for args in json.loads(sys.argv[1]):
        sys.argv = ["lakeshelf", *args]
        try:
            cli.main()
            codes.append(0)
        except SystemExit as exc:
            codes.append(exc.code or 0)
        sys.stdout.flush(); sys.stderr.flush()
    print("EXIT CODES " + json.dumps(codes))
    """
)


def put(client, bucket: str, key: str, body: bytes) -> None:
    client.put_object(Bucket=bucket, Key=key, Body=body)


def parquet_bytes(rows: list[tuple[int, float]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"id": [r[0] for r in rows], "amount": [r[1] for r in rows]}), sink)
    return sink.getvalue()


@pytest.fixture
def s3_project(tmp_path, s3_server, s3_bucket):
    """A project whose lake and raw files are in the bucket; credentials from ${ENV} only."""
    import yaml

    bucket = s3_bucket.removeprefix("s3://")
    conf = tmp_path / "conf"
    events = tmp_path / "spark-events"  # Spark's event log: checked for secrets too
    events.mkdir()
    (conf / "datasets").mkdir(parents=True)
    (conf / "suites").mkdir()
    (conf / "sql").mkdir()
    (conf / "lakeshelf.yaml").write_text(
        yaml.safe_dump(
            {
                "lake": f"{s3_bucket}/lake",
                "storage_options": {
                    "aws_access_key_id": "${TEST_S3_KEY}",
                    "aws_secret_access_key": "${TEST_S3_SECRET}",
                    "aws_endpoint_url": "${TEST_S3_ENDPOINT}",
                    "aws_region": "us-east-1",
                    "aws_allow_http": "true",
                },
                "spark": {
                    "spark.sql.shuffle.partitions": "2",
                    "spark.eventLog.enabled": "true",
                    "spark.eventLog.dir": str(events),
                },
            }
        )
    )
    datasets = {
        "orders": {
            "layer": "bronze",
            "source": {
                "path": f"{s3_bucket}/raw/orders/*.csv*",
                "format": "csv",
                "options": {"header": True},
            },
            "schema": {"id": "int", "amount": "double"},
            "max_bad_fraction": 0.5,
            "suite": "orders",
        },
        "refunds": {
            "layer": "bronze",
            "source": {"path": f"{s3_bucket}/raw/refunds/*.parquet", "format": "parquet"},
            "schema": {"id": "long", "amount": "double"},
            "max_bad_fraction": 0.5,
        },
        "strict_orders": {  # its suite fails: the refused batch and report go to _refused
            "layer": "bronze",
            "source": {
                "path": f"{s3_bucket}/raw/orders/1.csv",
                "format": "csv",
                "options": {"header": True},
            },
            "schema": {"id": "int", "amount": "double"},
            "max_bad_fraction": 0.5,
            "suite": "strict_orders",
        },
        "net": {
            "layer": "silver",
            "inputs": {"orders": "orders@latest", "refunds": "refunds@latest"},
            "transform": "sql/net.sql",
        },
    }
    for name, body in datasets.items():
        (conf / "datasets" / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, **body}))
    (conf / "suites" / "orders.json").write_text(json.dumps(ORDERS_SUITE))
    strict = {
        "name": "strict_orders",
        "expectations": [
            {
                "type": "expect_column_max_to_be_between",
                "kwargs": {"column": "amount", "max_value": 1},
            }
        ],
    }
    (conf / "suites" / "strict_orders.json").write_text(json.dumps(strict))
    (conf / "sql" / "net.sql").write_text(
        "SELECT o.id, o.amount - coalesce(r.amount, 0) AS net FROM orders o"
        " LEFT JOIN refunds r ON o.id = r.id"
    )
    client = s3_server.client()
    put(client, bucket, "raw/orders/1.csv", b"id,amount\n1,10.0\n2,20.0\noops,1\n")
    put(client, bucket, "raw/orders/2.csv.gz", gzip.compress(b"id,amount\n3,30.0\n"))
    put(client, bucket, "raw/refunds/1.parquet", parquet_bytes([(1, 2.5)]))
    put(client, bucket, "raw/refunds/2.parquet", b"PAR1 truncated")
    return conf, bucket


def around(text: str, secret: str) -> str:
    """The text around the first ``secret``, for a failure message."""
    at = text.index(secret)
    return text[max(0, at - 600) : at + 100]


def run_cli(conf, s3_server, commands: list[list[str]], tmp_path) -> tuple[list[int], str]:
    env = {
        **os.environ,
        "TEST_S3_KEY": s3_server.ACCESS_KEY,
        "TEST_S3_SECRET": s3_server.SECRET_KEY,
        "TEST_S3_ENDPOINT": s3_server.endpoint,
        "RUST_LOG": "debug",
        "LAKESHELF_SPARK_LOG_LEVEL": "DEBUG",  # Spark's and Hadoop's (s3a) debug logs
        "LAKESHELF_CONF": str(conf),
        "COLUMNS": "200",
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(commands)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = done.stdout + done.stderr
    marker = [line for line in done.stdout.splitlines() if line.startswith("EXIT CODES ")]
    assert marker, output[-3000:]
    return json.loads(marker[-1].removeprefix("EXIT CODES ")), output


def test_pipeline_on_s3_end_to_end_and_no_secret_anywhere(spark, s3_project, s3_server, tmp_path):
    import lakeshelf

    conf, bucket = s3_project
    report = tmp_path / "validate.xml"
    commands = [
        ["ingest", "orders"],
        ["ingest", "refunds"],
        ["build", "net"],
        ["ingest", "strict_orders"],
        ["show", "net@latest", "--json", "--limit", "10"],
        ["validate", "orders@0", "--junit", str(report)],
        ["tag", "orders@0", "first"],
        ["verify", "orders@first"],
        ["manifest", "net@latest"],
        ["lineage", "net@0"],
        ["history", "orders"],
        ["vacuum", "orders", "--retain-hours", "0", "--log-retain-hours", "0"],
        ["show", "orders@first", "--json"],
        ["site", "build", "--out", str(tmp_path / "site")],
    ]
    codes, output = run_cli(conf, s3_server, commands, tmp_path)
    expected = [0] * len(commands)
    expected[3] = 1  # strict_orders: the gate refuses
    assert codes == expected, output[-4000:]
    # both debug logs were on: Python's, and delta-rs's object_store (which prints its credentials
    # provider at this level)
    assert "DEBUG" in output and "DEBUG object_store" in output
    if delta_spark_serves(spark):  # hadoop-aws loaded: s3a carried the data, and said so
        assert "S3AFileSystem" in output

    options = s3_server.storage_options
    net = lakeshelf.read(f"s3://{bucket}/lake/silver/net", spark=spark, storage_options=options)
    assert sorted(tuple(r) for r in net.collect()) == [(1, 7.5), (2, 20.0), (3, 30.0)]
    quarantine = f"s3://{bucket}/lake/bronze/refunds__malformed"
    [bad] = lakeshelf.read(quarantine, spark=spark, storage_options=options).collect()
    assert bad.source_file.endswith("raw/refunds/2.parquet") and "Parquet" in bad.reason

    # Everything written into the bucket, and every local output: no credential anywhere.
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="lake/")["Contents"]]
    assert any("/_delta_log/" in k for k in keys) and any("_registry" in k for k in keys)
    assert any(k.startswith("lake/bronze/orders__malformed/") for k in keys)
    assert any(
        k.startswith("lake/bronze/strict_orders/_refused/") and k.endswith("report.json")
        for k in keys
    )
    # the catalog of the s3:// lake: every dataset, the lineage, the refused publish
    site = tmp_path / "site"
    assert 'href="d/net/v0.html"' in (site / "index.html").read_text()
    assert "orders@0" in (site / "d" / "net" / "v0.html").read_text()
    assert list((site / "d" / "strict_orders" / "refused").glob("*.html"))
    texts = {"cli output": output, "junit": report.read_text()}
    texts.update({str(page): page.read_text() for page in site.rglob("*.html")})
    event_logs = [p for p in (tmp_path / "spark-events").rglob("*") if p.is_file()]
    assert event_logs  # every Spark application the commands ran
    texts.update({str(path): path.read_bytes().decode("latin-1") for path in event_logs})
    for key in keys:
        texts[key] = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("latin-1")
    for secret in (s3_server.SECRET_KEY,):
        leaked = {where: around(text, secret) for where, text in texts.items() if secret in text}
        assert leaked == {}, f"secret found in {leaked}"
