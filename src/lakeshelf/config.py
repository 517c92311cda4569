"""Project configuration: ``conf/lakeshelf.yaml`` and ``conf/datasets/<name>.yaml``.

One typed model per concern and one loader. Loading imports neither pyspark nor deltalake, so a bad
configuration fails in milliseconds with a message naming the file and key. ``${VAR}`` in
``storage_options`` and ``spark`` values is replaced from the environment at load time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakeshelf import storage
from lakeshelf.errors import ConfigError

NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SPARK_TYPES = re.compile(
    r"^(tinyint|byte|smallint|short|int|integer|bigint|long|float|double|boolean|string|binary|"
    r"date|timestamp|timestamp_ntz|decimal\(\d+,\s*\d+\))$",
    re.IGNORECASE,
)


def check_name(value: str, what: str = "name") -> str:
    """A dataset or tag name: letters, digits, ``_`` and ``-`` only (it becomes part of paths)."""
    if not isinstance(value, str) or not NAME.match(value):
        raise ValueError(f"{what} {value!r} may contain only letters, digits, '_' and '-'")
    return value


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
    format: Literal["csv", "json", "parquet"] = Field(description="csv, json (JSON lines), parquet")
    options: dict[str, Any] = Field(default_factory=dict, description="Passed to Spark's parser.")


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

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "dataset name")

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
            check_name(alias, "input name")
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
        if storage.is_local(uri) and not os.path.isabs(os.path.expanduser(uri)):
            uri = str(self.root / uri)
        return storage.normalize_uri(uri)

    def dataset(self, name: str) -> DatasetConfig:
        """The dataset called ``name``.

        Raises:
            ConfigError: unknown name (the message lists the known ones).
        """
        check_config_name(name)
        if name not in self.datasets:
            known = ", ".join(sorted(self.datasets)) or "none"
            raise ConfigError(f"unknown dataset {name!r} (known: {known}) in {self.conf_dir}")
        return self.datasets[name]

    def table_uri(self, name: str) -> str:
        """Where the dataset's Delta table lives: ``<lake>/<layer>/<name>``."""
        return self._inside_lake(self.dataset(name).layer, name)

    def quarantine_uri(self, name: str) -> str:
        """The quarantine table beside the dataset: ``<lake>/<layer>/<name>__quarantine``."""
        return self._inside_lake(self.dataset(name).layer, f"{name}__quarantine")

    def _inside_lake(self, layer: str, folder: str) -> str:
        # Names are validated on load; this holds even for a config built without validation.
        check_config_name(folder, "dataset name")
        if layer not in ("bronze", "silver", "gold"):
            raise ConfigError(f"layer {layer!r} is not bronze, silver or gold")
        return storage.join(self.lake_uri, layer, folder)

    def resolve_path(self, path: str) -> str:
        """A source path from config: URIs unchanged, local paths against the project folder."""
        if not storage.is_local(path):
            return path
        expanded = os.path.expanduser(path)
        return os.path.normpath(expanded if os.path.isabs(expanded) else str(self.root / expanded))


def check_config_name(name: str, what: str = "dataset name") -> str:
    """Validate a dataset or tag name given on the command line; ConfigError if it is unsafe."""
    try:
        return check_name(name, what)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def conf_dir_from(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The configuration folder: ``explicit``, else ``$LAKESHELF_CONF``, else ``./conf``."""
    return Path(explicit or os.environ.get("LAKESHELF_CONF") or "conf").resolve()


def load_project(conf: str | os.PathLike[str] | None = None) -> Project:
    """Load and validate a configuration folder.

    Raises:
        ConfigError: a file is missing, is not YAML, or has unknown keys or invalid values; the
            message names the file and key.
    """
    import hashlib

    conf_dir = conf_dir_from(conf)
    main = conf_dir / "lakeshelf.yaml"
    if not main.is_file():
        raise ConfigError(
            f"{main} not found: pass --conf DIR or set LAKESHELF_CONF to a folder holding"
            " lakeshelf.yaml"
        )
    lake = _model(LakeConfig, _interpolate(_yaml(main), main), main)
    datasets: dict[str, DatasetConfig] = {}
    hashes: dict[str, str] = {}
    for path in sorted((conf_dir / "datasets").glob("*.y*ml")):
        data = _yaml(path)
        dataset = _model(DatasetConfig, data, path)
        if dataset.name != path.stem:
            raise ConfigError(
                f"{path}: name {dataset.name!r} must match the file name {path.stem!r}"
            )
        datasets[dataset.name] = dataset
        hashes[dataset.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return Project(
        conf_dir=conf_dir, root=conf_dir.parent, lake=lake, datasets=datasets, config_hashes=hashes
    )


def _yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys to values at the top level")
    return data


def _model(model: type[Strict], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from None


def _interpolate(data: dict[str, Any], path: Path) -> dict[str, Any]:
    def expand(value: Any, key: str) -> Any:
        if not isinstance(value, str):
            return value

        def lookup(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{path}: {key} refers to ${{{name}}}, which is not set")
            return os.environ[name]

        return _VAR.sub(lookup, value)

    result = dict(data)
    for section in ("storage_options", "spark"):
        values = result.get(section)
        if isinstance(values, dict):
            result[section] = {k: expand(v, f"{section}.{k}") for k, v in values.items()}
    if isinstance(result.get("lake"), str):
        result["lake"] = expand(result["lake"], "lake")
    return result
