"""Expectations evaluated by Great Expectations itself (the fallback for what
:mod:`lakeshelf.gate.aggregate` does not evaluate, and everything under ``engine="gx"``)."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from typing import TYPE_CHECKING, Any

from lakeshelf.gate.results import Outcome, plain

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)


def validate(df: DataFrame, name: str, items: list[dict[str, Any]]) -> list[Outcome]:
    """Outcomes of ``items`` (in order) evaluated by Great Expectations."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    with contextlib.suppress(Exception):  # progress bars are cosmetic; older configs lack them
        context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    source = context.data_sources.add_spark(name=f"lakeshelf-{uuid.uuid4().hex[:8]}")
    asset = source.add_dataframe_asset(name="staged")
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(
        batch_parameters={"dataframe": df}
    )

    def severity(item: dict[str, Any]) -> str:
        return (item.get("meta") or {}).get("severity", "error")

    try:  # one run computes the metrics of all expectations together
        # GX returns results grouped by domain, not in suite order: match them back by id.
        ids = [str(uuid.uuid4()) for _ in items]
        tagged = [{**item, "id": key} for item, key in zip(items, ids, strict=True)]
        whole = gx.ExpectationSuite(name=name, expectations=tagged)
        results = batch.validate(whole, result_format="SUMMARY").results
        by_id = {result.expectation_config.id: result for result in results}
        if sorted(by_id) == sorted(ids):
            return [outcome_of(i, severity(i), by_id[k]) for i, k in zip(items, ids, strict=True)]
    except Exception:
        log.debug("suite %s failed as a whole; running expectations one by one", name)
    outcomes: list[Outcome] = []
    for item in items:  # isolate the expectation that cannot run, keep the others' results
        try:
            single = gx.ExpectationSuite(name=name, expectations=[item])
            result = batch.validate(single, result_format="SUMMARY").results[0]
        except Exception as exc:
            kwargs = item.get("kwargs", {})
            outcomes.append(Outcome(item["type"], kwargs, severity(item), False, error=str(exc)))
            continue
        outcomes.append(outcome_of(item, severity(item), result))
    return outcomes


def outcome_of(item: dict[str, Any], severity: str, result: Any) -> Outcome:
    details = result.result or {}
    info = result.exception_info or {}
    error = None
    if info.get("raised_exception"):
        error = info.get("exception_message") or "GX raised an exception"
    elif not result.success and not details:
        error = "no result (is the column missing?)"
    examples = [v for v in details.get("partial_unexpected_list", [])][:10]
    return Outcome(
        type=item["type"],
        kwargs=item.get("kwargs", {}),
        severity=severity,
        success=bool(result.success) and error is None,
        element_count=details.get("element_count"),
        unexpected_count=details.get("unexpected_count"),
        observed_value=plain(details.get("observed_value")),
        examples=[plain(v) for v in examples],
        error=error,
    )
