"""Where tables live: URI normalisation and filesystem access through fsspec.

A table location is either a local path (relative paths are made absolute) or a URI with a scheme
(``file://``, ``s3://``). Local locations are returned as plain absolute paths, which is the form
Spark, delta-rs and pyarrow all accept.

``storage_options`` use delta-rs's (object_store's) keys, for example ``aws_access_key_id``,
``aws_secret_access_key``, ``aws_session_token``, ``aws_endpoint_url``, ``aws_region``,
``aws_allow_http``. delta-rs takes them as they are; :func:`filesystem` translates them for fsspec
(s3fs). Without options both fall back to the standard AWS environment variables.
"""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from lakeshelf.errors import ConfigError

if TYPE_CHECKING:
    import fsspec


def normalize_uri(uri: str | os.PathLike[str]) -> str:
    """Return the canonical form of a table location.

    Local paths (with or without ``file://``) become absolute paths without a trailing slash; other
    URIs are returned without a trailing slash.
    """
    text = os.fspath(uri)
    if not text:
        raise ValueError("a table location must not be empty")
    parsed = urlparse(text)
    if parsed.scheme == "file":
        text = parsed.path
    elif parsed.scheme and len(parsed.scheme) > 1:
        return text.rstrip("/")
    return os.path.abspath(os.path.expanduser(text))


def is_local(uri: str) -> bool:
    """True for a location on the local filesystem."""
    return not urlparse(uri).scheme or len(urlparse(uri).scheme) == 1


def filesystem(
    uri: str, storage_options: dict[str, Any] | None = None
) -> fsspec.AbstractFileSystem:
    """The fsspec filesystem that serves ``uri`` (``storage_options`` in delta-rs's keys)."""
    import fsspec

    protocol = "file" if is_local(uri) else urlparse(uri).scheme
    return fsspec.filesystem(protocol, **fsspec_options(protocol, storage_options))


# delta-rs (object_store) option keys -> s3fs keyword arguments. Keys are case-insensitive and
# may drop the "aws_" prefix, as in object_store.
_S3FS_ARGUMENTS = {
    "access_key_id": "key",
    "secret_access_key": "secret",
    "session_token": "token",
    "token": "token",
    "endpoint_url": "endpoint_url",
    "endpoint": "endpoint_url",
}
_S3FS_REGION = {"region", "default_region"}


def fsspec_options(protocol: str, storage_options: dict[str, Any] | None) -> dict[str, Any]:
    """fsspec keyword arguments for ``protocol`` from delta-rs-style ``storage_options``.

    Options that only concern delta-rs (``aws_allow_http``, ``aws_conditional_put``, ...) are
    dropped; for schemes other than S3 the options pass through unchanged.
    """
    if protocol not in ("s3", "s3a"):
        return dict(storage_options or {})
    # The Delta log changes under other writers: a cached listing would hide their commits.
    arguments: dict[str, Any] = {"use_listings_cache": False}
    for key, value in (storage_options or {}).items():
        name = key.lower().removeprefix("aws_")
        if name in _S3FS_ARGUMENTS:
            arguments[_S3FS_ARGUMENTS[name]] = value
        elif name in _S3FS_REGION:
            arguments.setdefault("client_kwargs", {})["region_name"] = value
    return arguments


UNSAFE_RENAME = "aws_s3_allow_unsafe_rename"
OPT_IN_UNSAFE = "LAKESHELF_ALLOW_UNSAFE_RENAME"


def check_commit_safety(storage_options: dict[str, Any] | None) -> None:
    """Refuse delta-rs's unsafe S3 commit mode unless ``$LAKESHELF_ALLOW_UNSAFE_RENAME=1``.

    Called where delta-rs is handed storage options: ``snapshot.open_table`` (every table handle),
    ``write.plan_write`` (every data write, including one that creates its table) and the
    registry's appends.

    With ``AWS_S3_ALLOW_UNSAFE_RENAME`` delta-rs commits by copy-if-not-exists emulation that two
    concurrent writers can both win, silently losing a commit. lakeshelf's default (delta-rs's
    conditional put, ``If-None-Match``) is atomic on S3 and S3-compatible stores that support it.

    Raises:
        ConfigError: the unsafe mode is set (in ``storage_options`` or the environment) without the
            opt-in.
    """
    options = {k.lower(): v for k, v in (storage_options or {}).items()}
    value = options.get(UNSAFE_RENAME, os.environ.get(UNSAFE_RENAME.upper(), ""))
    if str(value).strip().lower() not in ("1", "true", "yes", "on"):
        return
    if os.environ.get(OPT_IN_UNSAFE) == "1":
        logging.getLogger("lakeshelf").warning(
            "UNSAFE: %s is set and %s=1 opts in; concurrent writers to one table can lose"
            " commits. Use it only with a single writer per table.",
            UNSAFE_RENAME.upper(),
            OPT_IN_UNSAFE,
        )
        return
    raise ConfigError(
        f"{UNSAFE_RENAME.upper()} is set: delta-rs would commit without an atomic put-if-absent,"
        " and concurrent writers could silently lose commits. Remove it (lakeshelf commits with"
        f" conditional PUTs by default), or, with a single writer per table only, set"
        f" {OPT_IN_UNSAFE}=1 to accept the risk."
    )


_HADOOP_SCHEMES: dict[tuple[str, str], bool] = {}  # (Spark application id, scheme) -> can open


def hadoop_can_open(spark: Any, uri: str) -> bool:
    """True if Spark's Hadoop filesystem layer has an implementation for ``uri``'s scheme.

    Local paths always do. ``s3://`` needs hadoop-aws (s3a) configured for the scheme; without it
    lakeshelf moves data files through pyarrow and fsspec in Python workers instead.
    """
    if is_local(uri):
        return True
    # Per application: a later session in this process may have hadoop-aws configured.
    key = (spark.sparkContext.applicationId, urlparse(uri).scheme)
    if key not in _HADOOP_SCHEMES:
        jvm = spark.sparkContext._jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        try:
            jvm.org.apache.hadoop.fs.FileSystem.getFileSystemClass(key[1], conf)
            _HADOOP_SCHEMES[key] = True
        except Exception:  # Hadoop's UnsupportedFileSystemException: no implementation
            _HADOOP_SCHEMES[key] = False
    return _HADOOP_SCHEMES[key]


def join(uri: str, *parts: str) -> str:
    """Join path segments onto a location with ``/``."""
    return "/".join([uri.rstrip("/"), *(p.strip("/") for p in parts if p)])


def spark_path(uri: str) -> str:
    """The form of ``uri`` that Spark's Hadoop filesystem layer opens."""
    return f"file://{uri}" if is_local(uri) else uri


_UNREACHABLE = re.compile(
    r"could not connect|connection refused|error sending request|connect error|dns error"
    r"|timed out|connection reset|connection closed|endpointconnectionerror",
    re.IGNORECASE,
)


def endpoint(uri: str, storage_options: dict[str, Any] | None) -> str:
    """The object-store endpoint ``uri`` is reached through, for messages (never credentials)."""
    found = fsspec_options("s3", storage_options).get("endpoint_url")
    found = found or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    return str(found) if found else f"the default endpoint for {urlparse(uri).scheme}://"


def unreachable(exc: BaseException, uri: str, storage_options: dict[str, Any] | None) -> str:
    """A sentence naming the endpoint if ``exc`` says the object store could not be reached."""
    if is_local(uri) or not _UNREACHABLE.search(f"{type(exc).__name__}: {exc}"):
        return ""
    return (
        f"the object store at {endpoint(uri, storage_options)} could not be reached; check that"
        " it is running and reachable, then re-run. "
    )
