"""ELT pipelines: raw files into bronze tables, bronze into silver and gold, every publish gated.

Owns raw sources and their parsing (``sources``, ``raw_readers``, ``parse``, ``parse_text``,
``parse_parquet``, ``parse_avro``, ``reasons``), the ingest ledger, ingest, transforms
(``compute``, ``transform``), rebuilds of built versions (``reproduce``), restores of
datasets, restores and compactions of tables given by location (``by_table``), and running a
whole project in dependency order. Each publish flows one way: stage the data, gate it
(:mod:`lakeshelf.gate`), commit it (:mod:`lakeshelf.table`), register it
(:mod:`lakeshelf.registry`). May import every room below it; nothing imports it but the API,
the CLI and the jobs.
"""

from lakeshelf.pipeline.by_table import optimize_table, restore_table
from lakeshelf.pipeline.compute import recorded_lineage
from lakeshelf.pipeline.ingest import IngestResult, ingest
from lakeshelf.pipeline.reproduce import CodeChangedError, Reproduction, reproduce
from lakeshelf.pipeline.restore import RestoreResult, restore_dataset
from lakeshelf.pipeline.run import dependency_order, run
from lakeshelf.pipeline.transform import BuildResult, build

__all__ = [
    "BuildResult",
    "CodeChangedError",
    "IngestResult",
    "Reproduction",
    "RestoreResult",
    "build",
    "dependency_order",
    "ingest",
    "optimize_table",
    "recorded_lineage",
    "reproduce",
    "restore_dataset",
    "restore_table",
    "run",
]
