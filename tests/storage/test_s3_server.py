"""The S3 test server is fit to test Delta commits: conditional PUTs of one key have one winner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.mark.slow
def test_concurrent_put_if_absent_has_exactly_one_winner(s3_server, s3_bucket):
    from botocore.exceptions import ClientError

    client = s3_server.client()
    bucket = s3_bucket.removeprefix("s3://")

    def put(key: str, writer: int) -> bool:
        try:
            client.put_object(Bucket=bucket, Key=key, Body=str(writer).encode(), IfNoneMatch="*")
            return True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in ("PreconditionFailed", "412")
            return False

    with ThreadPoolExecutor(32) as pool:
        for trial in range(20):
            key = f"_delta_log/{trial:020d}.json"
            wins = list(pool.map(lambda w, k=key: put(k, w), range(32)))
            assert sum(wins) == 1, f"{sum(wins)} writers won {key}"
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            assert wins[int(body)]  # the stored object is the winner's
