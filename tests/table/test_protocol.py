"""Tables that need features lakeshelf does not implement are refused by name, never misread."""

from __future__ import annotations

import pytest

import lakeshelf
from helpers import add_features


def test_unknown_reader_feature_is_named(spark, golden_copy):
    uri = golden_copy("snapshot-data3")
    add_features(uri, reader=["fancyFuture"], writer=["fancyFuture"])
    with pytest.raises(lakeshelf.UnsupportedFeatureError, match="fancyFuture"):
        lakeshelf.read(uri, spark=spark)
    # older versions, before the feature was enabled, still read
    assert lakeshelf.read(uri, version=3, spark=spark).count() == 30


def test_unknown_writer_feature_blocks_writes(spark, golden_copy):
    uri = golden_copy("snapshot-data3")
    add_features(uri, reader=[], writer=["rowTracking", "domainMetadata"])
    df = spark.createDataFrame([(1, "x")], "col1 int, col2 string")
    with pytest.raises(lakeshelf.UnsupportedFeatureError, match="rowTracking"):
        lakeshelf.write(df, uri)
