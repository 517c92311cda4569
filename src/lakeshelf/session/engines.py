"""Which Spark engine serves Delta tables, and the JVM jars it needs.

delta-spark (Delta Lake's own engine), hadoop-aws (s3a, Spark's native path to ``s3://``) and
spark-avro come from Maven Central through Spark's own resolver (Ivy, ``--packages``), once, into
a cache (``$LAKESHELF_JARS_CACHE`` or ``~/.cache/lakeshelf/jars``); later sessions load the cached
jars directly. If they cannot be resolved (no network, a locked-down machine), lakeshelf says so
in one line and runs on its own engine: Spark reads Parquet, delta-rs keeps the log.
``LAKESHELF_ENGINE=delta-spark`` or ``=lakeshelf`` forces either.

Coordinates: delta-spark 4.4.1 (what delta-spark 4.4.1's ``configure_spark_with_delta_pip`` names
for pyspark 4.2) is not on Maven Central: Ivy answers ``unresolved dependency:
io.delta#delta-spark_4.2_2.13;4.4.1: not found`` (central has 4.4.0 for Spark 4.2), so lakeshelf
pins the newest one there, 4.4.0, with the delta-spark Python package of the same version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lakeshelf.errors import ConfigError

DELTA_SPARK = "io.delta:delta-spark_4.2_2.13:4.4.0"
HADOOP_AWS = "org.apache.hadoop:hadoop-aws:3.5.0"
SPARK_AVRO = "org.apache.spark:spark-avro_2.13:4.2.0"
PACKAGES = (DELTA_SPARK, HADOOP_AWS, SPARK_AVRO)
#: Transitive dependencies pyspark already ships (newer): left out so Spark's own are the only ones.
EXCLUDES = (
    "com.fasterxml.jackson.core:jackson-annotations",
    "com.fasterxml.jackson.core:jackson-core",
    "com.fasterxml.jackson.core:jackson-databind",
    "org.apache.hadoop:hadoop-client-api",
    "org.apache.hadoop:hadoop-client-runtime",
    "org.apache.parquet:parquet-column",
    "org.apache.parquet:parquet-common",
    "org.apache.parquet:parquet-encoding",
    "org.apache.parquet:parquet-format-structures",
    "org.apache.parquet:parquet-hadoop",
    "org.apache.parquet:parquet-jackson",
    "org.apache.logging.log4j:log4j-api",
    "org.apache.logging.log4j:log4j-core",
    "org.apache.logging.log4j:log4j-slf4j2-impl",
    "org.slf4j:slf4j-api",
    "org.xerial.snappy:snappy-java",
    "com.github.luben:zstd-jni",
    "io.airlift:aircompressor",
    "org.tukaani:xz",
    "org.scala-lang.modules:scala-parallel-collections_2.13",
    "com.google.code.findbugs:jsr305",
)
#: What a session on delta-spark needs besides its jars; s3:// goes to hadoop-aws's s3a.
DELTA_SPARK_CONF: dict[str, str] = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
}
#: delta-spark settings that can be changed on a running session (so on spark-submit's too).
DELTA_SPARK_RUNTIME_CONF: dict[str, str] = {
    # delta-spark rebuilds each version's state in a Spark job of 50 tasks by default: seconds of
    # scheduling for the small logs of most tables. A caller's conf can raise it for huge logs.
    "spark.databricks.delta.snapshotPartitions": "4",
    # delta-spark 4.x refuses time travel past delta.deletedFileRetentionDuration (7 days). A
    # registered version must read months later: lakeshelf's vacuum keeps pinned versions' files
    # and a read of a version whose files are gone fails saying so (table.snapshot).
    "spark.databricks.delta.vacuum.enforceTimeTravelWithinDeletedFileRetentionDuration": "false",
}
ENGINES = ("auto", "delta-spark", "lakeshelf")
#: After a failed resolution, later sessions go straight to the fallback for this long.
RETRY_AFTER_SECONDS = 600
RESOLVE_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class Engine:
    """The engine a new session runs: its name, the jars it loads, and what to tell the user."""

    name: str  # delta-spark | lakeshelf
    jars: tuple[str, ...] = ()
    note: str | None = None  # one line for stderr (why the fallback was taken)


def requested_engine(engine: str | None = None) -> str:
    """``engine``, else ``$LAKESHELF_ENGINE``, else ``auto``.

    Raises:
        ConfigError: not one of auto, delta-spark, lakeshelf.
    """
    value = (engine or os.environ.get("LAKESHELF_ENGINE") or "auto").strip().lower()
    if value not in ENGINES:
        raise ConfigError(f"unknown engine {value!r}: use {', '.join(ENGINES)} (LAKESHELF_ENGINE)")
    return value


def submit_args() -> list[str]:
    """spark-submit arguments that load the engine's jars from the same cache and configure it."""
    wanted = packages()
    args = ["--packages", ",".join(wanted), "--exclude-packages", ",".join(EXCLUDES)]
    args += ["--conf", f"spark.jars.ivy={_home(wanted)}"]
    for key, value in DELTA_SPARK_CONF.items():
        args += ["--conf", f"{key}={value}"]
    return args


def select(engine: str | None = None) -> Engine:
    """The engine a new session runs, resolving (and on first use downloading) its jars.

    Raises:
        ConfigError: delta-spark was forced and its jars cannot be resolved.
    """
    wanted = requested_engine(engine)
    if wanted == "lakeshelf":
        return Engine("lakeshelf")
    jars, problem = resolve_jars()
    if problem is None:
        return Engine("delta-spark", tuple(jars))
    if wanted == "delta-spark":
        raise ConfigError(
            f"LAKESHELF_ENGINE=delta-spark, but its jars cannot be resolved: {problem}"
        )
    return Engine(
        "lakeshelf",
        note=f"lakeshelf: delta-spark's jars cannot be resolved ({problem}); running on"
        " lakeshelf's own engine (Spark reads Parquet, delta-rs keeps the log)",
    )


def packages() -> tuple[str, ...]:
    """The Maven coordinates of the engine's jars (``$LAKESHELF_PACKAGES``, comma-separated,
    overrides them)."""
    override = os.environ.get("LAKESHELF_PACKAGES")
    return tuple(p.strip() for p in override.split(",") if p.strip()) if override else PACKAGES


def cache_dir() -> Path:
    """Where resolved jars are kept."""
    configured = os.environ.get("LAKESHELF_JARS_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "lakeshelf" / "jars"


def resolve_jars() -> tuple[list[str], str | None]:
    """The cached jars of :func:`packages`, resolving them first if needed: (jars, problem)."""
    wanted = packages()
    home = _home(wanted)
    manifest, failed = home / "resolved.json", home / "failed.json"
    if manifest.is_file():
        jars = json.loads(manifest.read_text())
        if jars and all(Path(j).is_file() for j in jars):
            return jars, None
    if failed.is_file() and time.time() - failed.stat().st_mtime < RETRY_AFTER_SECONDS:
        return [], json.loads(failed.read_text())["problem"]
    home.mkdir(parents=True, exist_ok=True)
    print(
        f"lakeshelf: fetching {', '.join(wanted)} from Maven Central into {home} (once)",
        file=sys.stderr,
        flush=True,
    )
    problem = _ivy_resolve(home, wanted)
    if problem is not None:
        failed.write_text(json.dumps({"problem": problem}))
        return [], problem
    jars = sorted(str(p) for p in (home / "jars").glob("*.jar"))
    manifest.write_text(json.dumps(jars))
    failed.unlink(missing_ok=True)
    return jars, None


def _home(wanted: tuple[str, ...]) -> Path:
    """The cache folder of one set of coordinates (Ivy's cache and the retrieved jars)."""
    key = hashlib.sha256(json.dumps([wanted, EXCLUDES]).encode()).hexdigest()[:16]
    return cache_dir() / key


_NOOP = "# spark-submit resolves --packages before it runs this\n"
#: What Ivy says went wrong, most telling first (an unreachable extra repository is only a
#: symptom when the artifact itself is missing).
_PROBLEMS = tuple(
    re.compile(p)
    for p in (
        r"unresolved dependency: [^\]\n]+",
        r"UnknownHost[^\n]+|Host [^ ]+ not found",
        r"Connection[^\n]+|timed out[^\n]*",
    )
)


def _ivy_resolve(home: Path, wanted: tuple[str, ...]) -> str | None:
    """Resolve ``wanted`` with Spark's Ivy into ``home``; None on success, else the reason."""
    import pyspark

    script = home / "resolve.py"
    script.write_text(_NOOP)
    submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    command = [
        str(submit),
        "--packages",
        ",".join(wanted),
        "--exclude-packages",
        ",".join(EXCLUDES),
        "--conf",
        f"spark.jars.ivy={home}",
        "--conf",
        f"spark.pyspark.python={sys.executable}",
        str(script),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT_SECONDS
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return None
    for pattern in _PROBLEMS:
        found = pattern.search(done.stderr)
        if found:
            return found.group(0).strip()
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "spark-submit failed"
