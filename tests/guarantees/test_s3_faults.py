"""Network faults between lakeshelf and S3, injected by a proxy in front of moto's server: a lost
commit response is found by transaction id and never committed twice, an endpoint that stops
mid-job gives a clear error and no partial version, and a writer killed while its commit is in
flight leaves the previous version with a re-run that lands exactly once."""

from __future__ import annotations

import os
import sys

import pytest

import lakeshelf
from helpers import commit_info, log_listing
from lakeshelf.errors import CommitUnknownError

pytestmark = pytest.mark.slow

COMMIT_PUT = r"/_delta_log/\d{20}\.json$"


@pytest.fixture
def proxy(s3_server):
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    from tools.s3_fault_proxy import FaultProxy

    started = FaultProxy(s3_server.endpoint, hold_seconds=60)
    yield started
    if started.process.poll() is None:
        started.stop()


def through(s3_server, proxy) -> dict[str, str]:
    return {**s3_server.storage_options, "aws_endpoint_url": proxy.endpoint}


def commits_of(uri, options) -> list[str]:
    listing = log_listing(uri, options)
    return [
        (commit_info(uri, v, options) or {}).get("lakeshelf", {}).get("txnId")
        for v in sorted(listing.commits)
    ]


@pytest.mark.parametrize("existing", [False, True], ids=["create", "append"])
def test_lost_commit_response_is_found_by_txn_id_not_committed_twice(
    spark, s3_server, s3_bucket, proxy, existing
):
    uri = f"{s3_bucket}/lost"
    options = through(s3_server, proxy)
    if existing:
        lakeshelf.write(spark.range(5), uri, storage_options=options)
    proxy.arm("drop-response", COMMIT_PUT)

    version = lakeshelf.write(spark.range(5, 8), uri, storage_options=options)

    assert proxy.fired() == {"drop-response": 1}  # the commit landed, its answer never came
    expected = 1 if existing else 0
    assert version == expected and log_listing(uri, options).latest == expected
    txns = commits_of(uri, options)
    assert len(txns) == len(set(txns)) == expected + 1  # no commit twice
    ids = sorted(r.id for r in lakeshelf.read(uri, spark=spark, storage_options=options).collect())
    assert ids == list(range(0 if existing else 5, 8))


def test_endpoint_stopping_mid_publish_names_it_and_the_rerun_lands_once(
    spark, s3_server, s3_bucket, proxy
):
    from tools.s3_fault_proxy import FaultProxy

    uri = f"{s3_bucket}/down"
    options = through(s3_server, proxy)
    lakeshelf.write(spark.range(5), uri, storage_options=options)

    def endpoint_goes_down(staged):  # data files are in the table folder, no commit yet
        proxy.stop()
        return {"rows": 3}

    with pytest.raises(CommitUnknownError) as failed:
        lakeshelf.write(spark.range(5, 8), uri, storage_options=options, audit=endpoint_goes_down)
    message = str(failed.value)
    assert proxy.endpoint in message and "re-run" in message
    assert s3_server.SECRET_KEY not in message

    back = FaultProxy(s3_server.endpoint, port=proxy.port)  # the endpoint comes back
    try:
        assert log_listing(uri, options).latest == 0  # no partial version
        assert lakeshelf.read(uri, spark=spark, storage_options=options).count() == 5
        assert lakeshelf.write(spark.range(5, 8), uri, storage_options=options) == 1
        ids = [r.id for r in lakeshelf.read(uri, spark=spark, storage_options=options).collect()]
        assert sorted(ids) == list(range(8))
        # the failed attempt could not release its lease while the store was down, so its kept
        # files stay until the lease goes stale (tests/test_vacuum.py covers that expiry)
        from lakeshelf.storage import Location
        from lakeshelf.table import vacuum

        at = Location.of(uri, options)
        assert vacuum(at, pinned=[], retain_hours=0).removed_files == []
        assert lakeshelf.read(uri, spark=spark, storage_options=options).count() == 8
    finally:
        back.stop()


@pytest.fixture
def things(s3_server, s3_bucket, proxy, project_factory):
    """A project on an s3:// lake reached through the proxy; bronze ``things`` from 3 raw CSVs."""
    bucket = s3_bucket.removeprefix("s3://")
    client = s3_server.client()
    for n in range(3):
        body = "id,name\n" + "".join(f"{n * 100 + i},x{i}\n" for i in range(100))
        client.put_object(Bucket=bucket, Key=f"raw/{n}.csv", Body=body.encode())
    options = through(s3_server, proxy)
    project = project_factory(
        {
            "things": {
                "layer": "bronze",
                "source": {
                    "path": f"{s3_bucket}/raw/*.csv",
                    "format": "csv",
                    "options": {"header": True},
                },
                "schema": {"id": "int", "name": "string"},
            }
        },
        lake=f"{s3_bucket}/lake",
        storage_options=options,
    )
    return project


def test_writer_killed_while_its_commit_is_in_flight_then_rerun_lands_once(
    spark, s3_server, proxy, things
):
    from helpers import kill_ingest_when
    from lakeshelf.pipeline import ingest

    project, options = things, things.lake.storage_options
    uri = project.table_uri("things")
    proxy.arm("hold", r"/lake/bronze/things/_delta_log/\d{20}\.json$")

    kill_ingest_when(project.conf_dir, "things", lambda: proxy.fired().get("hold", 0) >= 1)

    assert log_listing(uri, options) is None  # the killed commit never landed
    first = ingest(project, "things", spark=spark)
    again = ingest(project, "things", spark=spark)
    assert first.version == 0 and first.rows_loaded == 300
    assert again.version is None and again.already_loaded == 3
    ids = [r.id for r in lakeshelf.read(uri, spark=spark, storage_options=options).collect()]
    assert sorted(ids) == sorted(n * 100 + i for n in range(3) for i in range(100))


def test_lost_response_to_a_registration_registers_once(spark, proxy, things):
    from lakeshelf import registry
    from lakeshelf.pipeline import ingest
    from lakeshelf.registry.store import versions_table

    options = things.lake.storage_options
    proxy.arm("drop-response", r"/_registry/versions/_delta_log/\d{20}\.json$")
    assert ingest(things, "things", spark=spark).version == 0
    assert proxy.fired() == {"drop-response": 1}
    assert [r.version for r in registry.records(things.lake_location, "things")] == [0]
    versions = versions_table(things.lake_location)
    assert sorted(log_listing(versions.uri, options).commits) == [0]


def test_lost_response_to_a_tag_event_records_it_once(spark, proxy, things):
    from lakeshelf import registry
    from lakeshelf.pipeline import ingest
    from lakeshelf.registry.store import tags_table

    options = things.lake.storage_options
    ingest(things, "things", spark=spark)
    proxy.arm("drop-response", r"/_registry/tags/_delta_log/\d{20}\.json$")
    registry.set_tag(things.lake_location, "first", "things", 0)
    assert proxy.fired() == {"drop-response": 1}
    assert sorted(log_listing(tags_table(things.lake_location).uri, options).commits) == [0]
    assert registry.tags(things.lake_location)["first"].version == 0


def test_lost_response_to_a_compaction_commits_once_and_reports_its_counts(
    spark, s3_server, s3_bucket, proxy
):
    uri = f"{s3_bucket}/compact"
    options = through(s3_server, proxy)
    for start in (0, 5, 10):
        lakeshelf.write(spark.range(start, start + 5), uri, storage_options=options)
    from deltalake import DeltaTable

    files = len(DeltaTable(uri, storage_options=options).file_uris())  # one or two per append
    assert files >= 3
    proxy.arm("drop-response", COMMIT_PUT)

    result = lakeshelf.optimize(uri, storage_options=options)

    assert proxy.fired() == {"drop-response": 1}
    assert result.version == 3 and log_listing(uri, options).latest == 3
    assert (result.files_removed, result.files_added) == (files, 1)  # from the landed commit
    operations = [
        (commit_info(uri, v, options) or {}).get("operation")
        for v in sorted(log_listing(uri, options).commits)
    ]
    assert operations.count("OPTIMIZE") == 1
    ids = sorted(r.id for r in lakeshelf.read(uri, spark=spark, storage_options=options).collect())
    assert ids == list(range(15))
