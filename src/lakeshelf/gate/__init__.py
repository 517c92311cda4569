"""The quality gate: suites run on exactly the data about to be published (write-audit-publish).

Owns suites (``suites``), running them and failing closed (``runner``), lakeshelf's one-pass
evaluator of the common expectations (``aggregate`` with GX's ``rules``), Great Expectations for
the rest (``gx``), results and reports. May import pyspark and great_expectations (inside
functions) and the bottom modules; knows nothing of tables, registries or pipelines: it judges a
DataFrame it is given.
"""

from lakeshelf.gate.reports import write_html, write_junit
from lakeshelf.gate.results import Outcome, SuiteResult
from lakeshelf.gate.runner import auditor, enforce, run_suite
from lakeshelf.gate.suites import dataset_suite, load_suite, suite_path

__all__ = [
    "Outcome",
    "SuiteResult",
    "auditor",
    "dataset_suite",
    "enforce",
    "load_suite",
    "run_suite",
    "suite_path",
    "write_html",
    "write_junit",
]
