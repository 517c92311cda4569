"""Log a registered dataset version as an MLflow run input (extra: ``lakeshelf[mlflow]``).

The run records the Delta table and version as a dataset input (name, digest from the content
fingerprint, source ``path`` + ``delta_table_version``), tags carrying the version, fingerprint
and lakeshelf ref, and the full manifest as the artifact ``lakeshelf/<dataset>@v<version>.json``.
Anyone holding the run can then read back exactly that data with ``lakeshelf show <ref>`` or
``lakeshelf.read(path, version=N)`` and prove it with ``lakeshelf verify``.
"""

from __future__ import annotations

from typing import Any

from lakeshelf.errors import ConfigError


def log_input(
    ref: str,
    conf: str | None = None,
    context: str = "training",
    split: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Log dataset version ``ref`` as an input of the active MLflow run; return its manifest.

    ``split``: the ``params`` of the :func:`lakeshelf.split` the model was trained on, kept in
    the manifest. ``tags``: more tags on the logged input.

    MLflow's own rules apply to the run: the active one, or one it starts.

    Raises:
        ConfigError: mlflow is not installed, or a bad ref (as for :func:`lakeshelf.manifest`).
    """
    try:
        import mlflow
        from mlflow.data.delta_dataset_source import DeltaDatasetSource
        from mlflow.data.meta_dataset import MetaDataset
    except ImportError:
        raise ConfigError(
            "logging to MLflow needs mlflow: pip install 'lakeshelf[mlflow]'"
        ) from None

    from lakeshelf.registry import manifest

    record = manifest(ref, conf, split)
    name, version = record["dataset"], record["version"]

    class VersionedDeltaSource(DeltaDatasetSource):
        """MLflow's Delta source drops ``delta_table_version`` 0 (a falsy check); keep it."""

        def to_dict(self) -> dict[Any, Any]:
            return {**super().to_dict(), "delta_table_version": version}

    source = VersionedDeltaSource(path=record["table_uri"], delta_table_version=version)
    # MLflow keeps short digests; the first sum of the fingerprint is 16 hex digits.
    digest = record["fingerprint"].split(":")[1]
    dataset = MetaDataset(source=source, name=name, digest=digest)
    mlflow.log_input(
        dataset,
        context=context,
        tags={
            "lakeshelf.ref": f"{name}@v{version}",
            "lakeshelf.version": str(version),
            "lakeshelf.fingerprint": record["fingerprint"],
            **(tags or {}),
        },
    )
    mlflow.log_dict(record, f"lakeshelf/{name}@v{version}.json")
    return record


def log_release(name: str, conf: str | None = None, context: str = "training") -> dict[str, Any]:
    """Log every dataset version of release ``name`` as an input of the active MLflow run
    (each tagged ``lakeshelf.release``), and its lockfile as the artifact
    ``lakeshelf/release-<name>.json``; return the lockfile.

    Raises:
        ConfigError: mlflow is not installed, or no such release.
    """
    from lakeshelf.config import project_of
    from lakeshelf.registry.releases import get_release

    lockfile = get_release(project_of(conf), name).lockfile()
    for entry in lockfile["datasets"]:
        ref = f"{entry['dataset']}@{entry['version']}"
        log_input(ref, conf, context, tags={"lakeshelf.release": name})
    import mlflow

    mlflow.log_dict(lockfile, f"lakeshelf/release-{name}.json")
    return lockfile
