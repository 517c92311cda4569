"""spark-submit jobs/ingest.py --conf conf --dataset NAME: load a bronze dataset's new raw files."""

import argparse

from lakeshelf.cli.main import console

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conf", default=None, help="configuration folder (default ./conf)")
    parser.add_argument("--dataset", required=True, help="bronze dataset to ingest")
    args = parser.parse_args()
    console(["ingest", args.dataset, *(["--conf", args.conf] if args.conf else [])])
