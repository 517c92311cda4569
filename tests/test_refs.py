"""Reference parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from lakeshelf.errors import ConfigError
from lakeshelf.refs import Ref, parse_ref


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("/lake/t", Ref("/lake/t")),
        ("/lake/t@3", Ref("/lake/t", version=3)),
        ("/lake/t@v12", Ref("/lake/t", version=12)),
        ("/lake/t@latest", Ref("/lake/t")),
        ("flights@trained-2026-11", Ref("flights", tag="trained-2026-11")),
        ("s3://b/t@0", Ref("s3://b/t", version=0)),
        (
            "/lake/t@2026-11-01T10:00:00Z",
            Ref("/lake/t", timestamp=dt.datetime(2026, 11, 1, 10, tzinfo=dt.timezone.utc)),
        ),
        (
            "/lake/t@2026-11-01T12:00:00+02:00",
            Ref("/lake/t", timestamp=dt.datetime(2026, 11, 1, 10, tzinfo=dt.timezone.utc)),
        ),
    ],
)
def test_parse_ref(text, ref):
    assert parse_ref(text) == ref


@pytest.mark.parametrize(
    "text", ["", "  ", "@3", "/lake/t@not a tag", "/lake/t@-1", "t@2026-13-01"]
)
def test_bad_refs_are_config_errors(text):
    with pytest.raises(ConfigError):
        parse_ref(text)
