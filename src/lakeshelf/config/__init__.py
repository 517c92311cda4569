"""Project configuration: typed models and the one loader.

Owns ``conf/lakeshelf.yaml`` (:class:`LakeConfig`), ``conf/datasets/<name>.yaml``
(:class:`DatasetConfig`) and the loaded :class:`Project`. Imports only :mod:`lakeshelf.storage`,
:mod:`lakeshelf.names` and :mod:`lakeshelf.errors`: no Spark, no Delta, no Great Expectations,
so a bad configuration fails in milliseconds, before a JVM starts.
"""

from lakeshelf.config.loader import conf_dir_from, load_project, project_of
from lakeshelf.config.models import DatasetConfig, LakeConfig, Project, SourceConfig

__all__ = [
    "DatasetConfig",
    "LakeConfig",
    "Project",
    "SourceConfig",
    "conf_dir_from",
    "load_project",
    "project_of",
]
