"""spark-submit jobs/transform.py --conf conf --dataset NAME: build a silver/gold dataset."""

import argparse

from lakeshelf.cli.main import console

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conf", default=None, help="configuration folder (default ./conf)")
    parser.add_argument("--dataset", required=True, help="derived dataset to build")
    args = parser.parse_args()
    console(["build", args.dataset, *(["--conf", args.conf] if args.conf else [])])
