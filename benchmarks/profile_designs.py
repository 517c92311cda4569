"""Why a profile takes a second, sampled pass: the one-pass designs measured against it.

``python -m benchmarks.profile_designs [--rows N] [--rounds R]`` builds the table of
``make bench`` (5 columns, ``--rows`` rows), then times, each paired with its baseline:

- the design in use (:func:`lakeshelf.registry.profile.fingerprint_and_profile`: the exact
  statistics in the fingerprint's pass, the sketches in a second pass over a sample);
- the floor of that second pass: a scan of every column that keeps the sampled rows;
- one pass, the sketches restricted to the sample by ``FILTER``: the sketches are imperative
  aggregates, so Spark plans an ObjectHashAggregate and the whole pass leaves generated code;
- one pass, the sampled rows kept as groups of a hash aggregate (``any_value`` per column),
  sketched afterwards: 100,000 groups of the full aggregation buffer;
- on the write: ``DataFrame.observe`` of the exact statistics and the sampled sketches on the
  staged write, against the same write without it;
- the floor of any one-pass design's share in the fingerprint pass: the exact statistics plus
  one hash of every value (what a distinct count over every row needs at least);
- no second scan: the staged write also copies the sampled rows into a side folder (one
  ``explode`` and a second open file per task), against the same write without it;
- the sketches alone over such a captured sample of :data:`SKETCH_ROWS` rows, no scan of
  the version at all;
- and the floor of any design that sketches in Python: a ``mapInArrow`` pass that receives
  every row as Arrow batches and drops them.

It prints a Markdown table (seconds, and each design's added cost against one scan). It is not
part of ``make bench``: it measures designs lakeshelf does not use, to keep the reason for the
one it uses checkable.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from benchmarks.run import paired, scan, timed


def _designs(spark, work: Path, rows: int) -> dict[str, tuple[Callable, Callable]]:
    """Design name -> (baseline, candidate) actions on the same data."""
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    import lakeshelf
    from lakeshelf.registry import profile as P
    from lakeshelf.registry.fingerprint import aggregate_once, fingerprint, fingerprint_with

    source = str(work / "source")
    spark.range(rows).selectExpr(
        "id",
        "rand(7) * 1000 as amount",
        "concat('customer-', cast(id % 100000 as string)) as customer",
        "timestamp_seconds(1700000000 + id) as ts",
        "cast(id % 365 as int) as day",
    ).write.parquet(source)
    table = str(work / "table")
    lakeshelf.write(spark.read.parquet(source), table)
    frame = lakeshelf.read(table, spark=spark)

    sampling = P.Sampling.for_rows(rows)
    flag = f"rand({P.SAMPLE_SEED}) < {sampling.rate!r}"
    flagged = frame.selectExpr("*", f"{flag} AS {P.SAMPLE_FLAG}")
    exact, sketches = P.exact_aggregates(frame), P.sketch_aggregates(frame, sampling)
    every_row = P.Sampling(1.0)
    # the sketches as they run over every row, for the designs that restrict them otherwise
    unrestricted = P.sketch_aggregates(frame, every_row)
    with_exact = lambda: fingerprint_with(frame, exact, [])  # noqa: E731

    def one_pass_filtered() -> None:
        row_hash = F.xxhash64(*frame.columns)
        flagged.agg(
            F.count(F.lit(1)),
            F.bit_xor(row_hash),
            F.try_sum(row_hash.bitwiseAND(0xFFFFFFFF)),
            *(F.expr(sql).alias(alias) for alias, sql in exact + sketches),
        ).collect()

    def sample_as_groups() -> None:
        row_hash = F.xxhash64(*frame.columns)
        key = F.expr(f"CASE WHEN {flag} THEN monotonically_increasing_id() END")
        grouped = frame.groupBy(key.alias("__key")).agg(
            F.count(F.lit(1)).alias("__rows"),
            F.bit_xor(row_hash),
            F.try_sum(row_hash.bitwiseAND(0xFFFFFFFF)),
            *(F.expr(sql).alias(alias) for alias, sql in exact),
            *(F.expr(f"any_value(`{c}`)").alias(c) for c in frame.columns),
        )
        on_sample = [
            F.expr(f"{sql} FILTER (WHERE __key IS NOT NULL)").alias(alias)
            for alias, sql in unrestricted
        ]
        # one job: the groups' totals (a stand-in for combining the exact statistics) and the
        # sketches over the sampled groups
        grouped.agg(F.sum("__rows"), *on_sample).collect()

    staged = str(work / "staged")
    source_rows = spark.read.parquet(source)
    source_flagged = source_rows.selectExpr("*", f"{flag} AS {P.SAMPLE_FLAG}")

    def staged_write() -> None:
        source_rows.write.mode("overwrite").parquet(staged)

    sampled_sketches = [(alias, _on_sample(sql)) for alias, sql in unrestricted]

    def observed_write() -> None:
        observation = Observation("profile")
        metrics = [F.expr(sql).alias(alias) for alias, sql in exact + sampled_sketches]
        observed = source_flagged.observe(observation, F.count(F.lit(1)), *metrics)
        observed.drop(P.SAMPLE_FLAG).write.mode("overwrite").parquet(staged)
        observation.get  # noqa: B018 (waits for the metrics)

    duplicated = f"explode(if({flag}, array(false, true), array(false))) AS __sample"

    def capturing_write(folder: str = str(work / "capture")) -> None:
        # the sampled rows twice: in the staged data (__sample=false) and in the side folder
        source_rows.selectExpr("*", duplicated).write.mode("overwrite").partitionBy(
            "__sample"
        ).parquet(folder)

    capturing_write(str(work / "captured"))  # kept for the sketches row, which reads it
    captured = spark.read.parquet(str(work / "captured" / "__sample=true"))
    captured_sketches = P.sketch_aggregates(captured, every_row)
    captured_finish = P.finish_sql(captured, every_row)
    hashes = [(f"h{i}", f"bit_xor(xxhash64(`{c}`))") for i, c in enumerate(frame.columns)]

    return {
        "in use: fingerprint pass + sampled second pass": (
            lambda: fingerprint(frame),
            lambda: P.fingerprint_and_profile(frame, "bench", 0, rows),
        ),
        "floor of the second pass: every column decoded, the sample kept": (
            lambda: None,
            lambda: scan(frame.where(flag)),
        ),
        "one pass: sketches FILTER (WHERE sampled), ObjectHashAggregate": (
            with_exact,
            one_pass_filtered,
        ),
        "one pass: sampled rows as hash-aggregate groups": (with_exact, sample_as_groups),
        "on the staged write: observe(exact + sampled sketches)": (staged_write, observed_write),
        "fingerprint pass + exact statistics + one hash per value (a one-pass floor)": (
            lambda: fingerprint(frame),
            lambda: fingerprint_with(frame, exact + hashes, []),
        ),
        "no second scan: the staged write also copies the sample aside": (
            staged_write,
            capturing_write,
        ),
        "no scan at all: the sketches over the captured sample alone": (
            lambda: None,
            lambda: aggregate_once(captured, [], captured_sketches, captured_finish),
        ),
        "Python sees every row: mapInArrow dropping every batch": (
            lambda: None,
            lambda: frame.mapInArrow(_drop_batches, "dropped long").collect(),
        ),
    }


def _drop_batches(batches):
    """Receives every Arrow batch of a partition and returns nothing."""
    for _ in batches:
        pass
    return iter(())


def _on_sample(sql: str) -> str:
    """``fn(arg, ...)`` as ``fn(if(sampled, arg, NULL), ...)``: observe takes no FILTER."""
    from lakeshelf.registry.profile import SAMPLE_FLAG

    name, arguments = sql.split("(", 1)
    arguments = arguments[: arguments.rindex(")")]
    first, _, rest = arguments.partition(", ") if name != "hll_sketch_agg" else (arguments, "", "")
    more = f", {rest}" if rest else ""
    return f"{name}(if({SAMPLE_FLAG}, {first}, NULL){more})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import lakeshelf

    spark = lakeshelf.spark_session("lakeshelf-profile-designs", master="local[2]")
    # the capturing write keeps a file per folder open in each task instead of sorting by folder
    spark.conf.set("spark.sql.maxConcurrentOutputFileWriters", "4")
    work = Path(tempfile.mkdtemp(prefix="lakeshelf-profile-designs-"))
    try:
        designs = _designs(spark, work, args.rows)
        one_scan = timed(lambda: scan(lakeshelf.read(str(work / "table"), spark=spark)), 3)
        print(f"{args.rows:,} rows; one scan {one_scan:.2f} s\n")
        print("| design | baseline s | with it s | added vs one scan |\n|---|---|---|---|")
        for name, (baseline, candidate) in designs.items():
            base, cand = paired(baseline, candidate, args.rounds)
            print(f"| {name} | {base:.2f} | {cand:.2f} | **{(cand - base) / one_scan:.2f}x** |")
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
