"""Spark sessions and the engine that serves Delta tables in them.

Owns the session factory (``factory``: lakeshelf's defaults, logging, an existing session
honoured) and engine selection (``engines``: delta-spark, hadoop-aws and spark-avro resolved from
Maven Central once, or lakeshelf's own engine when they cannot be). May import the table layer
(for the runtime settings its reads and writes need) and the bottom modules.
"""

from lakeshelf.session.engines import Engine, packages, requested_engine, select
from lakeshelf.session.factory import prepare_session, spark_session
from lakeshelf.table.spark import jvm_delta_available

__all__ = [
    "Engine",
    "jvm_delta_available",
    "packages",
    "prepare_session",
    "requested_engine",
    "select",
    "spark_session",
]
