"""lakeshelf's one-aggregation evaluator against Great Expectations, expectation by expectation.

Each suite runs twice on the same data, once with ``engine="gx"`` and once with the default
(``auto``): every supported expectation must give GX's success, element count, unexpected count and
observed value, and must really have been evaluated by lakeshelf (``engine == "lakeshelf"``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from lakeshelf.gate import run_suite
from lakeshelf.gate.aggregate import SUPPORTED

SCHEMA = "i int, l long, sh short, d double, dec decimal(10,2), s string, b boolean"
ROWS = [
    (1, 10, 1, 0.5, Decimal("1.25"), "N123", True),
    (2, 11, 2, 1.5, Decimal("2.50"), "N9", False),
    (2, 12, 3, 2.5, None, "x'1\\", True),
    (3, 13, 4, None, Decimal("9.99"), None, None),
    (None, 14, 5, 99.0, Decimal("0.01"), "N77", True),
    (None, 15, 6, -3.0, Decimal("5.00"), "", False),
    (7, 16, 7, float("nan"), Decimal("3.30"), "n55", True),
    (7, 17, 8, 4.0, Decimal("4.40"), "N1", True),
    (7, 18, 9, 5.0, Decimal("5.50"), "N2", False),
    (10, 19, 10, 6.0, Decimal("6.60"), "N3", True),
]


def expect(kind, **kwargs):
    return {"type": f"expect_{kind}", "kwargs": kwargs}


def column_cases(column_int="i", column_str="s"):
    """Every supported type, passing and failing, with mostly, strict bounds and nulls."""
    i, s = column_int, column_str
    return [
        expect("column_values_to_not_be_null", column=i),
        expect("column_values_to_not_be_null", column=i, mostly=0.8),
        expect("column_values_to_not_be_null", column=i, mostly=0.75),
        expect("column_values_to_not_be_null", column="l"),
        expect("column_values_to_be_null", column=i),
        expect("column_values_to_be_null", column=s, mostly=0.1),
        expect("column_values_to_be_between", column=i, min_value=1, max_value=7),
        expect("column_values_to_be_between", column=i, min_value=1, max_value=10),
        expect("column_values_to_be_between", column=i, min_value=1, strict_min=True),
        expect("column_values_to_be_between", column=i, max_value=7, strict_max=True, mostly=0.5),
        expect("column_values_to_be_between", column="d", min_value=-5, max_value=50.5),
        expect("column_values_to_be_between", column="dec", min_value=0.5, max_value=6),
        expect("column_values_to_be_between", column="sh", min_value=2, max_value=9, mostly=0.7),
        expect("column_values_to_be_in_set", column=i, value_set=[1, 2, 3, 7]),
        expect("column_values_to_be_in_set", column=i, value_set=[1, 2, 3, 7, 10]),
        expect("column_values_to_be_in_set", column=s, value_set=["N123", "N9", ""], mostly=0.3),
        expect("column_values_to_be_in_set", column=s, value_set=["x'1\\", "N9", "N3"]),
        expect("column_values_to_be_in_set", column="l", value_set=[10, 2**40, 12]),
        expect("column_values_to_be_in_set", column="b", value_set=[True]),
        expect("column_values_to_be_in_set", column="d", value_set=[0.5, 1.5, 2.5]),
        expect("column_values_to_be_in_set", column=i, value_set=[]),
        expect("column_values_to_not_be_in_set", column=i, value_set=[7]),
        expect("column_values_to_not_be_in_set", column=s, value_set=["zzz"]),
        expect("column_values_to_match_regex", column=s, regex="^N[0-9]+$"),
        expect("column_values_to_match_regex", column=s, regex="N", mostly=0.6),
        expect("column_values_to_match_regex", column=s, regex="^$|^[A-Za-z]"),
        expect("column_values_to_not_match_regex", column=s, regex="^x"),
        expect("column_values_to_not_match_regex", column=s, regex="[0-9]"),
        expect("column_values_to_be_unique", column=i),
        expect("column_values_to_be_unique", column=i, mostly=0.5),
        expect("column_values_to_be_unique", column="l"),
        expect("column_values_to_be_unique", column=s),
        expect("column_min_to_be_between", column=i, min_value=1, max_value=1),
        expect("column_min_to_be_between", column=i, min_value=1, strict_min=True),
        expect("column_max_to_be_between", column="d", max_value=1000),
        expect("column_max_to_be_between", column="dec", min_value=9.99, max_value=9.99),
        expect(
            "column_max_to_be_between", column="sh", min_value=10, strict_max=True, max_value=10
        ),
        expect("column_mean_to_be_between", column=i, min_value=4, max_value=5),
        expect("column_mean_to_be_between", column=i, min_value=4.875, max_value=4.875),
        expect("column_mean_to_be_between", column="l", min_value=14.5, max_value=14.5),
        expect("column_mean_to_be_between", column="dec", min_value=0, max_value=10),
        expect("column_mean_to_be_between", column="d", min_value=0),
        expect("table_row_count_to_be_between", min_value=1, max_value=10),
        expect("table_row_count_to_be_between", min_value=11),
        expect("table_row_count_to_be_between", max_value=10, strict_max=True),
        expect("table_row_count_to_equal", value=10),
        expect("table_row_count_to_equal", value=0),
    ]


def both(df, items):
    suite = {"name": "differential", "expectations": items}
    return run_suite(df, suite, engine="gx").outcomes, run_suite(df, suite).outcomes


def assert_same(reference, ours, items):
    assert len(reference) == len(ours) == len(items)
    for item, gx, own in zip(items, reference, ours, strict=True):
        where = f"{item['type']} {item['kwargs']}"
        assert gx.engine == "great_expectations", where
        assert gx.error is None, f"{where}: GX could not run it: {gx.error}"
        assert own.engine == "lakeshelf", f"{where} was not evaluated by lakeshelf"
        assert (own.success, own.element_count, own.unexpected_count) == (
            gx.success,
            gx.element_count,
            gx.unexpected_count,
        ), where
        if isinstance(gx.observed_value, float) and isinstance(own.observed_value, float):
            assert own.observed_value == pytest.approx(gx.observed_value, rel=1e-12), where
        else:
            assert str(own.observed_value) == str(gx.observed_value), where
        unexpected = {str(v) for v in gx.examples}
        if gx.unexpected_count and gx.unexpected_count <= 10:  # GX lists them all then
            assert {str(v) for v in own.examples} - {"nan"} <= unexpected, where  # GX drops NaN


@pytest.fixture(scope="module")
def data(spark):
    return spark.createDataFrame(ROWS, SCHEMA)


def test_every_supported_type_agrees_with_gx(data):
    items = column_cases()
    assert {item["type"] for item in items} == SUPPORTED  # the cases cover every supported type
    reference, ours = both(data, items)
    assert_same(reference, ours, items)
    assert any(o.success for o in ours) and any(not o.success for o in ours)


def test_empty_batch_agrees_with_gx(spark):
    empty = spark.createDataFrame([], SCHEMA)
    items = column_cases()
    assert_same(*both(empty, items), items)


def test_all_null_column_agrees_with_gx(spark):
    nulls = spark.createDataFrame([(None, n, n, None, None, None, None) for n in range(5)], SCHEMA)
    items = column_cases()
    assert_same(*both(nulls, items), items)


@pytest.mark.parametrize(
    "item",
    [
        expect("column_values_to_be_increasing", column="i"),  # a type lakeshelf does not evaluate
        expect("column_values_to_be_between", column="s", min_value=1, max_value=3),  # GX refuses
        expect("column_values_to_be_in_set", column="i", value_set=["1", "2"]),  # GX coerces
        expect("column_values_to_not_be_null", column="i", row_condition='col("l")>12'),
        expect("column_values_to_not_be_null", column="missing"),
        expect("column_mean_to_be_between", column="sh", min_value=0),  # GX's mean refuses short
        expect("column_values_to_be_between", column="i", min_value=5, max_value=1),
    ],
)
def test_what_lakeshelf_does_not_evaluate_runs_in_gx(data, item):
    reference, ours = both(data, [item])
    assert ours[0].engine == "great_expectations"
    assert (ours[0].success, ours[0].unexpected_count, bool(ours[0].error)) == (
        reference[0].success,
        reference[0].unexpected_count,
        bool(reference[0].error),
    )


def test_legacy_string_escapes_leave_the_suite_to_gx(spark, data):
    """lakeshelf writes SQL string literals with default escapes; the legacy parser mode differs."""
    items = [expect("column_values_to_be_in_set", column="s", value_set=["x'1\\", "N9"])]
    spark.conf.set("spark.sql.parser.escapedStringLiterals", "true")
    try:
        reference, ours = both(data, items)
    finally:
        spark.conf.unset("spark.sql.parser.escapedStringLiterals")
    assert ours[0].engine == "great_expectations"
    assert ours[0].unexpected_count == reference[0].unexpected_count == 7


def test_a_regex_java_rejects_fails_closed_with_gx_naming_it(data):
    items = [
        expect("column_values_to_not_be_null", column="l"),
        expect("column_values_to_match_regex", column="s", regex="(unclosed"),
    ]
    result = run_suite(data, {"name": "bad-regex", "expectations": items})
    assert not result.passed
    fine, broken = result.outcomes
    assert fine.success and broken.error and not broken.success


def test_suite_mixing_both_evaluators_keeps_order_and_examples(data):
    items = [
        expect("column_values_to_be_between", column="i", min_value=0, max_value=5),
        expect("column_values_to_be_increasing", column="l"),
        expect("column_values_to_be_unique", column="i"),
    ]
    between, increasing, unique = run_suite(data, {"name": "mixed", "expectations": items}).outcomes
    assert (between.engine, increasing.engine, unique.engine) == (
        "lakeshelf",
        "great_expectations",
        "lakeshelf",
    )
    assert sorted(between.examples) == [7, 7, 7, 10] and between.unexpected_count == 4
    assert increasing.success
    assert sorted(unique.examples) == [2, 7] and unique.unexpected_count == 5


def test_uniqueness_proof_edges_agree_with_gx(spark):
    """Negative ids, ids whose 64-value words fold together, and the largest longs."""
    values = [-1, -65, 63, 0, 2**26, 3 * 2**26, 2**62, -(2**63), 2**63 - 1]
    rows = [(v, v if v != 0 else 63) for v in values]  # w repeats 63 once
    df = spark.createDataFrame(rows, "v long, w long")
    items = [
        expect("column_values_to_be_unique", column="v"),
        expect("column_values_to_be_unique", column="w"),
    ]
    reference, ours = both(df, items)
    assert_same(reference, ours, items)
    assert ours[0].success and not ours[1].success and ours[1].unexpected_count == 2
