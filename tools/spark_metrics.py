"""What a Spark query did, from its own metrics: shared by the tests and the benchmarks."""

from __future__ import annotations

from typing import Any


def files_scanned(df: Any) -> int:
    """Run ``df`` and return how many data files its scans opened (Spark's ``numFiles`` metric).

    Runs a fresh copy of ``df`` (a DataFrame that already ran reports 0 on its next run), through
    its own plan without bringing rows to Python.
    """
    execution = df.select("*")._jdf.queryExecution()
    execution.toRdd().count()
    total, pending = 0, [execution.executedPlan()]
    while pending:
        node = pending.pop()
        if node.nodeName() == "AdaptiveSparkPlan":
            node = node.finalPhysicalPlan()
        if node.nodeName().startswith("Scan"):
            metric = node.metrics().get("numFiles")
            total += metric.get().value() if metric.isDefined() else 0
        children = node.children().iterator()
        while children.hasNext():
            pending.append(children.next())
    return total
