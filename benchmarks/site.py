"""The catalog site at scale: a lake of 50 datasets with 1,000 published versions each.

The lake is synthetic where only its size matters and real where the pages read it: each
dataset's table has a real Delta log of 1,000 commits (commit files; the site never reads a data
file), the registry's versions, profiles and recorded drift are real registry tables written in
bulk (the drift by the function each publish calls), and each version's profile is a real one
(DataSketches KLL sketches, the format Spark writes, of a fresh draw per version; no Spark is
needed). Measured: a cold ``site build``, a rebuild after one
more version is published, and the lake page opening in Chromium.

``python -m benchmarks.site`` runs it alone; ``make bench`` runs it with the rest.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import yaml

SCHEMA = {"id": "int", "customer": "string", "amount": "double", "region": "string"}


def make_lake(root: Path, datasets: int, versions: int):
    """Write the configuration, the tables' logs and the registry of the synthetic lake."""
    from lakeshelf.config import load_project
    from lakeshelf.registry import store

    conf = root / "conf"
    (conf / "datasets").mkdir(parents=True)
    (conf / "lakeshelf.yaml").write_text("lake: ./lake\n")
    names = [f"set_{i:02d}" for i in range(datasets)]
    for name in names:
        body = {
            "name": name,
            "layer": "bronze",
            "source": {"path": f"./raw/{name}/*.csv", "format": "csv"},
            "schema": SCHEMA,
        }
        (conf / "datasets" / f"{name}.yaml").write_text(yaml.safe_dump(body))
    project = load_project(conf)
    import numpy as np

    rng = np.random.default_rng(20261125)
    records, columns = [], []
    for name in names:
        stamps = _write_log(Path(project.table_uri(name)), versions)
        for version, stamp in enumerate(stamps):
            records.append(_record(project, name, version, stamp))
            columns += [dataclasses.asdict(p) for p in _profile(name, version, rng)]
    lake = project.lake_location
    store._append(store.versions_table(lake), records, store.VersionRecord)
    store._append(
        store.profiles_table(lake), columns, store.ColumnProfile, partition_by=["dataset"]
    )
    _record_drift(project, names)
    return project


def _record_drift(project, names: list[str]) -> None:
    """Each version's drift against the one before it, as each publish records it (one commit
    per dataset here, a process per core)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from lakeshelf.observe.recorded import record_drift

    with ProcessPoolExecutor(os.cpu_count() or 1, mp_context=get_context("spawn")) as pool:
        for _ in pool.map(record_drift, [project] * len(names), names):
            pass


def _profile(name: str, version: int, rng) -> list:
    """A real profile of one synthetic version: KLL sketches of 2,000 values per number (the
    format Spark's ``kll_sketch_agg_double`` writes) and top values per category, each version
    its own draw, the mean moving every 100 versions (so some comparisons drift)."""
    from datasketches import kll_doubles_sketch

    from lakeshelf.registry.profile import KLL_K, ColumnProfile

    rows = 2000
    shift = (version // 100) * 5.0

    def numeric(column: str, values) -> ColumnProfile:
        sketch = kll_doubles_sketch(KLL_K)
        sketch.update(values)
        return ColumnProfile(
            name,
            version,
            column,
            "double" if column == "amount" else "int",
            "numeric",
            rows,
            0,
            rows,
            json.dumps(float(values.min())),
            json.dumps(float(values.max())),
            float(values.mean()),
            float(values.std()),
            None,
            sketch.serialize(),
            None,
            None,
            "2026-11-25T00:00:00+00:00",
        )

    def categorical(column: str, categories: int) -> ColumnProfile:
        counts = rng.multinomial(rows, rng.dirichlet([2.0] * categories))
        top = sorted(
            ([f"{column[0]}{i}", int(c)] for i, c in enumerate(counts)), key=lambda t: -t[1]
        )
        return ColumnProfile(
            name,
            version,
            column,
            "string",
            "categorical",
            rows,
            0,
            categories,
            json.dumps(top[-1][0]),
            json.dumps(top[0][0]),
            None,
            None,
            json.dumps(top[:20]),
            None,
            None,
            None,
            "2026-11-25T00:00:00+00:00",
        )

    return [
        numeric("id", rng.integers(0, 1_000_000, rows).astype(float)),
        categorical("customer", 30),
        numeric("amount", rng.normal(50 + shift, 10, rows)),
        categorical("region", 3),
    ]


def _write_log(table: Path, versions: int, first: int = 0) -> list[str]:
    """Commits ``first`` .. ``versions - 1`` of a log of appends (commit files only); returns
    their commit times."""
    log = table / "_delta_log"
    log.mkdir(parents=True, exist_ok=True)
    schema = {
        "type": "struct",
        "fields": [
            {"name": n, "type": t if t != "int" else "integer", "nullable": True, "metadata": {}}
            for n, t in SCHEMA.items()
        ],
    }
    start = int(time.time() * 1000) - versions * 3_600_000
    stamps = []
    for version in range(first, versions):
        millis = start + version * 3_600_000
        actions = [
            {"commitInfo": {"timestamp": millis, "operation": "WRITE", "operationParameters": {}}},
            {
                "add": {
                    "path": f"part-{version:05d}-{uuid.uuid4().hex}.parquet",
                    "partitionValues": {},
                    "size": 1000,
                    "modificationTime": millis,
                    "dataChange": True,
                }
            },
        ]
        if version == 0:
            actions[:0] = [
                {"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
                {
                    "metaData": {
                        "id": uuid.uuid4().hex,
                        "format": {"provider": "parquet", "options": {}},
                        "schemaString": json.dumps(schema),
                        "partitionColumns": [],
                        "configuration": {},
                        "createdTime": millis,
                    }
                },
            ]
        text = "\n".join(json.dumps(a) for a in actions) + "\n"
        (log / f"{version:020d}.json").write_text(text)
        os.utime(log / f"{version:020d}.json", (millis / 1000, millis / 1000))
        stamps.append(_iso(millis))
    return stamps


def _iso(millis: int) -> str:
    from lakeshelf import timestamps

    return timestamps.iso_millis(millis)


def _record(project, name: str, version: int, stamp: str) -> dict:
    schema = {
        "type": "struct",
        "fields": [
            {"name": n, "type": t, "nullable": True, "metadata": {}} for n, t in SCHEMA.items()
        ],
    }
    return {
        "dataset": name,
        "table_uri": project.table_uri(name),
        "version": version,
        "commit_timestamp": stamp,
        "row_count": 2000,
        "schema_json": json.dumps(schema),
        "schema_hash": "s" * 16,
        "fingerprint": f"2000:{version:016x}:{version:016x}",
        "suite_name": None,
        "suite_result": None,
        "lineage": None,
        "code_version": None,
        "config_hash": None,
        "user": "bench",
        "host": "bench",
        "spark_app_id": None,
        "registered_at": stamp,
    }


def publish_one_more(project, name: str, version: int, rng) -> None:
    """Version ``version`` of ``name``: its commit, its registry record and its profile."""
    from lakeshelf.observe.recorded import record_drift
    from lakeshelf.registry import store

    (stamp,) = _write_log(Path(project.table_uri(name)), version + 1, first=version)
    lake = project.lake_location
    store.register(lake, store.VersionRecord(**_record(project, name, version, stamp)))
    store.register_profile(lake, name, version, _profile(name, version, rng))
    record_drift(project, name)


def lake_page_seconds(index: Path) -> float:
    """Seconds from navigation to the load event of the lake page in headless Chromium."""
    from playwright.sync_api import sync_playwright

    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
        page = browser.new_page()
        page.goto(index.as_uri())  # warm-up
        start = time.perf_counter()
        page.goto(index.as_uri(), wait_until="load")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def site_costs(work: Path, datasets: int, versions: int) -> list[tuple[str, float]]:
    """The site's figures for a lake of ``datasets`` x ``versions``."""
    import numpy as np

    from lakeshelf.site import build_site

    project = make_lake(work / "site-lake", datasets, versions)
    out = work / "site"
    cold = build_site(project, out)
    publish_one_more(project, "set_00", versions, np.random.default_rng(1))
    warm = build_site(project, out)
    size = f"{datasets} datasets x {versions:,} versions"
    rows = [
        (f"site build, {size} ({cold.pages:,} pages), from nothing", cold.seconds),
        ("site rebuild after one more version is published", warm.seconds),
    ]
    if os.path.exists("/usr/bin/chromium"):
        rows.append((f"lake page of {size} opens in Chromium", lake_page_seconds(cold.index)))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--versions", type=int, default=1000)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lakeshelf-site-bench-"))
    try:
        for name, seconds in site_costs(work, args.datasets, args.versions):
            print(f"{name}: {seconds:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
