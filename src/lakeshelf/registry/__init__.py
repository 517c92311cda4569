"""The registry: every published version, its tags and releases, and what can be proved of it.

Owns the registry tables (``store``: version records, tag events, releases, profiles), refs and
their resolution (``refs``, ``resolve``), registration after a commit and registered compaction
(``registration``), content fingerprints and profiles, code versions, provenance (manifest,
verify, lineage, diffs between versions: ``diff``), releases, pins kept through lineage
(``kept``) and pinned vacuum (``pins``), splits, and dataset history with registry state. May
import the table layer, the session factory (fingerprints need Spark), configuration and the
bottom modules; knows nothing of pipelines or the CLI.
"""

from lakeshelf.registry.history import DatasetVersion, dataset_history, gate_state, pins
from lakeshelf.registry.kept import Pin, pins_of
from lakeshelf.registry.pins import pinned_versions, tag_version, vacuum_dataset
from lakeshelf.registry.provenance import Verification, lineage, manifest, verify
from lakeshelf.registry.refs import Ref, parse_ref
from lakeshelf.registry.registration import dataset_of, optimize_dataset, register_pending
from lakeshelf.registry.resolve import Resolved, is_location, resolve, resolve_dataset, resolve_in
from lakeshelf.registry.store import (
    TagEvent,
    VersionRecord,
    record_of,
    records,
    remove_tag,
    set_tag,
    tags,
)
from lakeshelf.registry.validation import Validation, validate

__all__ = [
    "DatasetVersion",
    "Pin",
    "Ref",
    "Resolved",
    "TagEvent",
    "Validation",
    "Verification",
    "VersionRecord",
    "dataset_history",
    "dataset_of",
    "gate_state",
    "is_location",
    "lineage",
    "manifest",
    "optimize_dataset",
    "parse_ref",
    "pinned_versions",
    "pins",
    "pins_of",
    "record_of",
    "records",
    "register_pending",
    "remove_tag",
    "resolve",
    "resolve_dataset",
    "resolve_in",
    "set_tag",
    "tag_version",
    "tags",
    "vacuum_dataset",
    "validate",
    "verify",
]
