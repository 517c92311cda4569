"""OpenLineage run events for every publish (ingest, build, restore), through openlineage-python.

A publish is one OpenLineage run of the job ``<dataset>.<kind>`` in the namespace
``$OPENLINEAGE_NAMESPACE`` (default ``lakeshelf``): START when it begins, COMPLETE once its
version is registered, FAIL when it stops (a refused gate, a bad batch) with the error and the
gate's assertions. Datasets carry their Delta version, schema, row count and the gate's
data-quality assertions; they are named as the OpenLineage naming spec says (``file`` and the
path for local tables, ``s3://bucket`` and the key for S3), so no storage option, and no
credential, reaches an event.

The client is configured the standard way: ``OPENLINEAGE_URL``, an ``openlineage.yml`` (in
``$OPENLINEAGE_CONFIG``, the working folder or ``~/.openlineage``), or ``OPENLINEAGE__*``
variables (a file transport, for one). Nothing is sent, and openlineage is not imported, when
none is set or ``OPENLINEAGE_DISABLED=true``. A transport that fails is reported as a warning:
lineage never fails a publish.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from lakeshelf import timestamps
from lakeshelf.registry import store
from lakeshelf.version import __version__

if TYPE_CHECKING:
    from lakeshelf.config import Project

log = logging.getLogger(__name__)

PRODUCER = f"https://github.com/lakeshelf/lakeshelf/tree/v{__version__}"
DEFAULT_NAMESPACE = "lakeshelf"


@dataclass
class PublishRun:
    """What a publish tells its lineage run: the version it registered and what it read."""

    version: int | None = None  # the published version, None when nothing was published
    inputs: list[tuple[str, int]] = field(default_factory=list)  # (dataset, version) read
    raw_source: str | None = None  # the raw files' location an ingest read

    def published(self, version: int | None, inputs: list[tuple[str, int]] | None = None) -> None:
        """Record the published ``version`` and the dataset versions it was built from."""
        self.version = version
        self.inputs = list(inputs or [])


def configured() -> bool:
    """True when an OpenLineage transport is configured the standard way (and not disabled)."""
    if os.environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return False
    if os.environ.get("OPENLINEAGE_URL") or os.environ.get("OPENLINEAGE_CONFIG"):
        return True
    if any(key.startswith("OPENLINEAGE__TRANSPORT") for key in os.environ):
        return True
    candidates = [Path.cwd() / "openlineage.yml", Path.home() / ".openlineage" / "openlineage.yml"]
    return any(path.is_file() for path in candidates)


@contextmanager
def publish_run(project: Project, dataset: str, kind: str) -> Iterator[PublishRun]:
    """Emit START, then COMPLETE or FAIL, around one publish of ``dataset`` (``kind``: ingest,
    build or restore). The body reports what it published on the yielded :class:`PublishRun`."""
    run = PublishRun()
    if not configured():
        yield run
        return
    try:
        from openlineage.client.uuid import generate_new_uuid

        emitter = _Emitter(project, dataset, kind, str(generate_new_uuid()))
    except Exception as exc:  # a bad transport configuration must not stop the publish
        log.warning("OpenLineage is configured but cannot start, no events sent: %s", exc)
        yield run
        return
    emitter.emit("START", run)
    try:
        yield run
    except BaseException as exc:
        emitter.emit("FAIL", run, exc)
        raise
    emitter.emit("COMPLETE", run)


class _Emitter:
    """Builds and sends one run's events."""

    def __init__(self, project: Project, dataset: str, kind: str, run_id: str) -> None:
        from openlineage.client import OpenLineageClient

        self.project, self.dataset, self.kind, self.run_id = project, dataset, kind, run_id
        self.client = OpenLineageClient()

    def emit(self, state: str, run: PublishRun, error: BaseException | None = None) -> None:
        try:
            self.client.emit(self._event(state, run, error))
        except Exception as exc:  # lineage is a report, never a reason to fail a publish
            log.warning("OpenLineage %s event not sent: %s", state, exc)

    def _event(self, state: str, run: PublishRun, error: BaseException | None) -> Any:
        from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
        from openlineage.client.facet_v2 import error_message_run, job_type_job

        run_facets: dict[str, Any] = {}
        if error is not None:
            run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=str(error).splitlines()[0] if str(error) else type(error).__name__,
                programmingLanguage="python",
            )
        job_facets = {
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="LAKESHELF", jobType=self.kind.upper()
            )
        }
        namespace = os.environ.get("OPENLINEAGE_NAMESPACE", DEFAULT_NAMESPACE)
        # one read of the registry serves every dataset of the event (none before a publish)
        published = (
            {(r.dataset, r.version): r for r in store.records(self.project.lake_location)}
            if run.version is not None
            else {}
        )
        return RunEvent(
            eventType=RunState[state],
            eventTime=timestamps.now_iso("microseconds"),
            run=Run(runId=self.run_id, facets=run_facets),
            job=Job(namespace=namespace, name=f"{self.dataset}.{self.kind}", facets=job_facets),
            producer=PRODUCER,
            inputs=self._inputs(run, published) if state != "START" else [],
            outputs=[self._output(run, error, published)],
        )

    def _inputs(self, run: PublishRun, published: dict[tuple[str, int], Any]) -> list[Any]:
        from openlineage.client.event_v2 import InputDataset

        found = []
        for dataset, version in run.inputs:
            record = published.get((dataset, version))
            namespace, name = dataset_name(self.project.table_uri(dataset))
            facets = _dataset_facets(record, version)
            input_facets = _assertions(record.outcomes if record else [])
            found.append(InputDataset(namespace, name, facets=facets, inputFacets=input_facets))
        if run.raw_source:
            namespace, name = dataset_name(run.raw_source)
            found.append(InputDataset(namespace, name))
        return found

    def _output(
        self, run: PublishRun, error: BaseException | None, published: dict[tuple[str, int], Any]
    ) -> Any:
        from openlineage.client.event_v2 import OutputDataset
        from openlineage.client.facet_v2 import output_statistics_output_dataset

        namespace, name = dataset_name(self.project.table_uri(self.dataset))
        if run.version is None:
            report = getattr(error, "report", None) or {}
            facets = _assertions(report.get("result", []))
            return OutputDataset(namespace, name, facets=facets)
        record = published.get((self.dataset, run.version))
        facets = {
            **_dataset_facets(record, run.version),
            **_assertions(record.outcomes if record else []),
        }
        output_facets = {}
        if record is not None:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=record.row_count
                )
            )
        return OutputDataset(namespace, name, facets=facets, outputFacets=output_facets)


def dataset_name(uri: str) -> tuple[str, str]:
    """(namespace, name) of a location, as the OpenLineage naming spec has it: ``file`` and the
    absolute path locally, ``scheme://bucket`` and the key on object stores."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        return "file", parsed.path or uri
    return (
        f"{parsed.scheme}://{parsed.hostname or parsed.netloc.rsplit('@', 1)[-1]}",
        parsed.path.lstrip("/"),
    )


def _dataset_facets(record: store.VersionRecord | None, version: int) -> dict[str, Any]:
    """The Delta version and, when registered, the schema of one dataset version."""
    from openlineage.client.facet_v2 import dataset_version_dataset, schema_dataset

    facets: dict[str, Any] = {
        "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=str(version))
    }
    if record is not None:
        fields = json.loads(record.schema_json).get("fields", [])
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=f["name"], type=f["type"] if isinstance(f["type"], str) else "struct"
                )
                for f in fields
            ]
        )
    return facets


def _assertions(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """The gate's outcomes as a data-quality-assertions facet (none without outcomes)."""
    from openlineage.client.facet_v2 import data_quality_assertions_dataset as dq

    if not outcomes:
        return {}
    assertions = [
        dq.Assertion(
            assertion=o.get("type", "expectation"),
            success=bool(o.get("success")),
            column=(o.get("kwargs") or {}).get("column"),
            severity=o.get("severity"),
            params={k: v for k, v in (o.get("kwargs") or {}).items() if k != "column"},
        )
        for o in outcomes
    ]
    return {"dataQualityAssertions": dq.DataQualityAssertionsDatasetFacet(assertions=assertions)}
