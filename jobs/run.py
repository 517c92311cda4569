"""spark-submit jobs/run.py --conf conf: ingest and build every dataset, inputs first."""

import argparse

from lakeshelf.cli.main import console

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conf", default=None, help="configuration folder (default ./conf)")
    args = parser.parse_args()
    console(["run", *(["--conf", args.conf] if args.conf else [])])
