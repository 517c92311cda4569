"""Observing published data: profiles of versions, drift between any two, metric history.

Owns reading and back-filling version profiles (``versions``), drift computed from stored
profiles without reading data (``drift``), and the HTML drift report (``report``). May import
the registry, the table layer, the session factory, configuration and the bottom modules;
knows nothing of pipelines or the CLI.
"""

from lakeshelf.observe.drift import ColumnDrift, ColumnRule, DriftReport, Thresholds, drift
from lakeshelf.observe.report import write_drift_html
from lakeshelf.observe.versions import drift_between, metric_history, version_profile

__all__ = [
    "ColumnDrift",
    "ColumnRule",
    "DriftReport",
    "Thresholds",
    "drift",
    "drift_between",
    "metric_history",
    "version_profile",
    "write_drift_html",
]
