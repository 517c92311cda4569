"""One typed model per configuration concern; unknown keys are errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lakeshelf.errors import ConfigError
from lakeshelf.names import check_name
from lakeshelf.storage import Location, is_local, normalize_uri

SPARK_TYPES = re.compile(
    r"^(tinyint|byte|smallint|short|int|integer|bigint|long|float|double|boolean|string|binary|"
    r"date|timestamp|timestamp_ntz|decimal\(\d+,\s*\d+\))$",
    re.IGNORECASE,
)
LAYERS = ("bronze", "silver", "gold")
#: Malformed raw rows of dataset NAME live in the table ``<layer>/NAME__malformed``; lakes made
#: before the rename keep them in ``NAME__quarantine``, which is still read and written there.
MALFORMED_SUFFIX = "__malformed"
LEGACY_MALFORMED_SUFFIX = "__quarantine"


def _valid_name(value: str, what: str) -> str:
    try:
        return check_name(value, what)
    except ConfigError as exc:  # pydantic reports ValueErrors with the file and key
        raise ValueError(str(exc)) from None


class Strict(BaseModel):
    """Base for config models: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LakeConfig(Strict):
    """``conf/lakeshelf.yaml``: where the lake is and how to reach it."""

    lake: str = Field(description="Root of the lake: a local folder or s3://bucket/prefix.")
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="fsspec/delta-rs options; values may be ${ENV_VAR}."
    )
    spark: dict[str, str] = Field(
        default_factory=dict, description="Extra Spark settings for the embedded local session."
    )


class SourceConfig(Strict):
    """Where a bronze dataset's raw files are and how to parse them."""

    path: str = Field(description="Glob of raw files; relative to the project folder.")
    format: Literal["csv", "json", "parquet", "avro"] = Field(
        description="csv, json (JSON lines), parquet, avro"
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Passed to Spark's parser.")


class CompactionConfig(Strict):
    """How ``lakeshelf optimize`` compacts a dataset's table, and when a publish does it too."""

    target_file_mb: int = Field(default=128, ge=1, description="Size compacted files aim for.")
    z_order: list[str] = Field(default_factory=list, description="Columns to cluster files by.")
    after_files: int | None = Field(
        default=None,
        ge=2,
        description="Compact right after a publish once the latest version has more files.",
    )


class DriftColumnConfig(Strict):
    """A column's own drift method and threshold."""

    method: Literal["psi", "js", "wasserstein", "ks", "chisquare"] | None = None
    threshold: float | None = Field(default=None, ge=0.0)


class DriftConfig(Strict):
    """How ``lakeshelf drift`` and the gate judge drift of a dataset's versions."""

    baseline: str = Field(
        default="previous",
        description="What a publish is compared with: previous, a tag, or a version ref (@N).",
    )
    severity: Literal["warn", "error"] = Field(
        default="error", description="error blocks a drifted publish; warn records it."
    )
    psi: float = Field(default=0.2, ge=0.0)
    js: float = Field(default=0.1, ge=0.0)
    wasserstein: float = Field(default=0.1, ge=0.0, description="Divided by the reference's SD.")
    ks: float = Field(default=0.05, gt=0.0, le=1.0, description="p-value below which KS drifts.")
    chisquare: float = Field(default=0.05, gt=0.0, le=1.0)
    share: float = Field(default=0.5, gt=0.0, le=1.0, description="Drifted columns share.")
    small_reference: int = Field(
        default=1000, ge=0, description="Reference rows up to which KS / chi-square decide."
    )
    columns: dict[str, DriftColumnConfig] = Field(default_factory=dict)
    ignore: list[str] = Field(
        default_factory=list,
        description="Columns not judged (keys, ids); ingest's own columns never are.",
    )


Severity = Literal["warn", "error"]


class RowCountCheck(Strict):
    """The rows a publish brings against the trailing mean of the last ``window`` versions.

    For an append (ingest) the rows added are compared with the rows earlier versions added;
    otherwise the version's rows with earlier versions' rows.
    """

    max_change: float = Field(gt=0.0, description="Largest allowed |rows - mean| / mean.")
    window: int = Field(default=5, ge=1)
    severity: Severity = "error"


class NullRateCheck(Strict):
    """A column's share of nulls may rise by at most ``max_increase`` over the previous version."""

    max_increase: float = Field(ge=0.0, le=1.0)
    columns: list[str] = Field(default_factory=list, description="Default: every column.")
    severity: Severity = "error"


class NewCategoriesCheck(Strict):
    """String and boolean values the previous version did not have."""

    columns: list[str] = Field(default_factory=list, description="Default: every such column.")
    severity: Severity = "error"


class SchemaChangeCheck(Strict):
    """Columns added, removed or retyped against the previous version."""

    severity: Severity = "error"


class ChecksConfig(Strict):
    """Checks of a publish against the dataset's metric history, run by the gate."""

    row_count: RowCountCheck | None = None
    null_rate: NullRateCheck | None = None
    new_categories: NewCategoriesCheck | None = None
    schema_change: SchemaChangeCheck | None = None


class DatasetConfig(Strict):
    """``conf/datasets/<name>.yaml``: one dataset, bronze (raw-loaded) or derived."""

    name: str
    layer: Literal["bronze", "silver", "gold"]
    source: SourceConfig | None = None
    schema_: dict[str, str] | None = Field(default=None, alias="schema")
    schema_policy: Literal["strict", "additive"] = "strict"
    partition_by: list[str] = Field(default_factory=list)
    max_bad_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    suite: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    transform: str | None = None
    write_mode: Literal["overwrite", "append", "merge"] = "overwrite"
    merge_keys: list[str] = Field(default_factory=list)
    compaction: CompactionConfig = Field(default_factory=CompactionConfig)
    drift: DriftConfig | None = Field(
        default=None, description="Declared: the gate judges drift against the baseline."
    )
    checks: ChecksConfig | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _valid_name(value, "dataset name")

    @field_validator("schema_")
    @classmethod
    def _types(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for column, type_name in (value or {}).items():
            if not SPARK_TYPES.match(str(type_name).strip()):
                raise ValueError(f"column {column!r}: unknown type {type_name!r}")
        return value

    @model_validator(mode="after")
    def _shape(self) -> DatasetConfig:
        if self.layer == "bronze":
            if self.source is None or not self.schema_:
                raise ValueError("a bronze dataset needs 'source' and 'schema'")
            if self.inputs or self.transform:
                raise ValueError("a bronze dataset loads raw files: drop 'inputs'/'transform'")
        else:
            if not self.inputs or not self.transform:
                raise ValueError(f"a {self.layer} dataset needs 'inputs' and 'transform'")
            if self.source is not None:
                raise ValueError(f"a {self.layer} dataset reads inputs, not a 'source'")
        if self.write_mode == "merge" and not self.merge_keys:
            raise ValueError("write_mode 'merge' needs 'merge_keys'")
        for alias in self.inputs:
            _valid_name(alias, "input name")
        return self

    @property
    def schema(self) -> dict[str, str]:
        """Declared columns (bronze), name -> Spark SQL type."""
        return dict(self.schema_ or {})


class Project(BaseModel):
    """A loaded configuration folder."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    conf_dir: Path
    root: Path  # the project folder relative paths are resolved against (conf_dir's parent)
    lake: LakeConfig
    datasets: dict[str, DatasetConfig]
    config_hashes: dict[str, str]

    @property
    def lake_uri(self) -> str:
        """The lake root, normalised (local paths made absolute against the project folder)."""
        uri = self.lake.lake
        if is_local(uri) and not os.path.isabs(os.path.expanduser(uri)):
            uri = str(self.root / uri)
        return normalize_uri(uri)

    @property
    def lake_location(self) -> Location:
        """The lake root with the project's storage options."""
        return Location(self.lake_uri, dict(self.lake.storage_options))

    def dataset(self, name: str) -> DatasetConfig:
        """The dataset called ``name``.

        Raises:
            ConfigError: unknown or invalid name (the message lists the known ones).
        """
        check_name(name)
        if name not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise ConfigError(f"unknown dataset {name!r} (known: {known}) in {self.conf_dir}")
        return self.datasets[name]

    def table(self, name: str) -> Location:
        """Where the dataset's Delta table lives: ``<lake>/<layer>/<name>``."""
        return self._inside_lake(self.dataset(name).layer, name)

    def table_uri(self, name: str) -> str:
        """The text of :meth:`table`."""
        return self.table(name).uri

    def malformed_table(self, name: str) -> Location:
        """The table of the dataset's malformed raw rows, beside the dataset's table.

        ``<lake>/<layer>/<name>__malformed``, or ``<name>__quarantine`` where a lake made before
        the rename has it (so a batch interrupted before the rename still finishes).
        """
        layer = self.dataset(name).layer
        legacy = self._inside_lake(layer, name + LEGACY_MALFORMED_SUFFIX)
        if legacy.filesystem().exists(legacy.path("_delta_log")):
            return legacy
        return self._inside_lake(layer, name + MALFORMED_SUFFIX)

    def _inside_lake(self, layer: str, folder: str) -> Location:
        # Names are validated on load; this holds even for a config built without validation.
        check_name(folder)
        if layer not in LAYERS:
            raise ConfigError(f"layer {layer!r} is not bronze, silver or gold")
        return self.lake_location.child(layer, folder)

    def resolve_path(self, path: str) -> str:
        """A source path from config: URIs unchanged, local paths against the project folder."""
        if not is_local(path):
            return path
        expanded = os.path.expanduser(path)
        return os.path.normpath(expanded if os.path.isabs(expanded) else str(self.root / expanded))
