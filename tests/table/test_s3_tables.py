"""Tables on s3:// (moto's server over HTTP): the data path through Python workers, the log
through delta-rs with conditional PUTs, unsafe commit settings refused."""

from __future__ import annotations

import pytest

import lakeshelf
from lakeshelf.errors import ConfigError, GateFailedError

pytestmark = pytest.mark.slow


def rows(df):
    return sorted(tuple(r) for r in df.collect())


def test_write_read_and_time_travel_on_s3(spark, s3_server, s3_bucket):
    uri = f"{s3_bucket}/tables/events"
    options = s3_server.storage_options
    first = spark.range(100).selectExpr("id", "cast(id % 3 as string) as part", "id * 1.5 as x")
    v0 = lakeshelf.write(first, uri, partition_by=["part"], storage_options=options)
    more = spark.range(100, 130).selectExpr("id", "cast(id % 3 as string) as part", "id * 1.5 as x")
    v1 = lakeshelf.write(more, uri, storage_options=options)
    assert (v0, v1) == (0, 1)

    latest = lakeshelf.read(uri, spark=spark, storage_options=options)
    assert rows(latest) == rows(first.union(more).select(*latest.columns))
    old = lakeshelf.read(uri, version=0, spark=spark, storage_options=options)
    assert rows(old) == rows(first.select(*old.columns))

    listed = s3_server.client().list_objects_v2(
        Bucket=s3_bucket.removeprefix("s3://"), Prefix="tables/events/"
    )
    keys = [o["Key"] for o in listed["Contents"]]
    assert "tables/events/_delta_log/00000000000000000001.json" in keys
    assert any(k.startswith("tables/events/part=1/") and k.endswith(".parquet") for k in keys)


def test_other_readers_read_the_s3_table(spark, s3_server, s3_bucket):
    from deltalake import DeltaTable

    uri = f"{s3_bucket}/t"
    options = s3_server.storage_options
    lakeshelf.write(spark.range(10).selectExpr("id", "'a' as s"), uri, storage_options=options)
    table = DeltaTable(uri, storage_options=options)
    assert sorted(table.to_pyarrow_table().column("id").to_pylist()) == list(range(10))


def test_failed_audit_on_s3_commits_nothing_and_keeps_the_refused_files(
    spark, s3_server, s3_bucket
):
    uri = f"{s3_bucket}/gated"
    options = s3_server.storage_options
    lakeshelf.write(spark.range(5), uri, storage_options=options)

    def refuse(staged):
        assert staged.count() == 7  # the audit sees exactly the staged rows
        raise GateFailedError("no", report={"why": "test"})

    with pytest.raises(GateFailedError):
        lakeshelf.write(spark.range(7), uri, storage_options=options, audit=refuse)
    assert lakeshelf.detail(uri, storage_options=options).version == 0
    assert lakeshelf.read(uri, spark=spark, storage_options=options).count() == 5
    listed = s3_server.client().list_objects_v2(
        Bucket=s3_bucket.removeprefix("s3://"), Prefix="gated/_refused/"
    )
    keys = [o["Key"] for o in listed.get("Contents", [])]
    assert any(k.endswith("report.json") for k in keys)
    assert any(k.endswith(".parquet") for k in keys)


def test_unsafe_rename_is_refused_unless_opted_in(spark, s3_server, s3_bucket, monkeypatch, caplog):
    uri = f"{s3_bucket}/unsafe"
    unsafe = {**s3_server.storage_options, "aws_s3_allow_unsafe_rename": "true"}
    with pytest.raises(ConfigError, match="AWS_S3_ALLOW_UNSAFE_RENAME"):
        lakeshelf.write(spark.range(3), uri, storage_options=unsafe)
    monkeypatch.setenv("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    with pytest.raises(ConfigError, match="LAKESHELF_ALLOW_UNSAFE_RENAME"):
        lakeshelf.write(spark.range(3), uri, storage_options=s3_server.storage_options)

    monkeypatch.setenv("LAKESHELF_ALLOW_UNSAFE_RENAME", "1")
    with caplog.at_level("WARNING", logger="lakeshelf"):
        assert lakeshelf.write(spark.range(3), uri, storage_options=unsafe) == 0
    assert "UNSAFE" in caplog.text
    assert lakeshelf.read(uri, spark=spark, storage_options=unsafe).count() == 3


def test_a_later_spark_application_with_a_filesystem_for_s3_gets_the_native_path():
    """On the own engine (no hadoop-aws), then a session with a filesystem for s3://."""
    import os
    import subprocess
    import sys

    script = (
        "import lakeshelf; from lakeshelf.storage import Location\n"
        "from lakeshelf.table.spark import hadoop_can_open\n"
        "t = Location.of('s3://b/t')\n"
        "a = lakeshelf.spark_session(master='local[1]')\n"
        "print('first', hadoop_can_open(a, t)); a.stop()\n"
        "b = lakeshelf.spark_session(master='local[1]', conf={"
        "'spark.hadoop.fs.s3.impl': 'org.apache.hadoop.fs.RawLocalFileSystem'})\n"
        "print('second', hadoop_can_open(b, t)); b.stop()\n"
    )
    env = {**os.environ, "LAKESHELF_ENGINE": "lakeshelf"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env
    )
    answers = [line for line in done.stdout.splitlines() if line.startswith(("first", "second"))]
    assert answers == ["first False", "second True"], done.stderr[-2000:]


def test_credentials_from_the_standard_aws_environment_variables(s3_server, s3_bucket, tmp_path):
    import os
    import subprocess
    import sys

    uri = f"{s3_bucket}/from-env"
    script = (
        "import lakeshelf\n"
        "s = lakeshelf.spark_session(master='local[2]')\n"
        f"lakeshelf.write(s.range(10), {uri!r})\n"
        f"lakeshelf.write(s.range(10, 15), {uri!r})\n"
        f"old, new = lakeshelf.read({uri!r}, version=0), lakeshelf.read({uri!r})\n"
        "print('rows', old.count(), new.count())\n"
    )
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": s3_server.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": s3_server.SECRET_KEY,
        "AWS_ENDPOINT_URL": s3_server.endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert "rows 10 15" in done.stdout, done.stderr[-3000:]
