"""Reference parsing."""

from __future__ import annotations

import datetime as dt

import pytest

from lakeshelf.errors import ConfigError
from lakeshelf.registry import Ref, parse_ref


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


@pytest.mark.parametrize(
    "name", ["2026-11-01", "_x", "-x", "9lives", "latest", "v3", "3", "a b", "../x", ""]
)
def test_a_tag_that_could_not_be_read_back_is_refused_naming_the_rule(name):
    from lakeshelf.names import check_label

    with pytest.raises(ConfigError, match="must start with a letter"):
        check_label(name)


@pytest.mark.parametrize("name", ["trained", "trained-2026-11", "v3a", "x_1", "Latest2"])
def test_every_tag_that_can_be_set_reads_back_as_that_tag(name):
    from lakeshelf.names import check_label

    assert parse_ref(f"orders@{check_label(name)}").tag == name
