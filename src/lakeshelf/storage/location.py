"""Locations: a URI with the storage options that reach it, converted for each consumer.

The options are translated here for fsspec (s3fs); delta-rs takes them as they are, after the
refusal of unsafe S3 commit settings. Keys are case-insensitive and may drop the ``aws_`` prefix,
as in object_store.

A location is a local path (relative paths are made absolute) or a URI with a scheme
(``file://``, ``s3://``). Local locations are kept as plain absolute paths, the form Spark,
delta-rs and pyarrow all accept. Storage options use delta-rs's (object_store's) keys, such as
``aws_access_key_id``, ``aws_endpoint_url`` or ``aws_allow_http``; without options every consumer
falls back to the standard AWS environment variables. Options are never part of a location's
text or ``repr``, so they cannot reach a log line or a message by accident.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from lakeshelf.errors import ConfigError

if TYPE_CHECKING:
    import fsspec
    import pyarrow.fs


def normalize_uri(uri: str | os.PathLike[str]) -> str:
    """The canonical form of a location: absolute local paths, URIs without a trailing slash.

    Raises:
        ValueError: ``uri`` is empty.
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
    """True for a location on the local filesystem (a Windows drive letter is not a scheme)."""
    scheme = urlparse(uri).scheme
    return not scheme or len(scheme) == 1


def join(uri: str, *parts: str) -> str:
    """Path segments joined onto a location with ``/``."""
    return "/".join([uri.rstrip("/"), *(p.strip("/") for p in parts if p)])


@dataclass(frozen=True)
class Location:
    """A normalised URI and the storage options (delta-rs keys) that reach it."""

    uri: str
    options: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @classmethod
    def of(
        cls, where: str | os.PathLike[str] | Location, options: dict[str, Any] | None = None
    ) -> Location:
        """A location for ``where``; ``options`` replace a given location's own when set."""
        if isinstance(where, Location):
            return where if options is None else cls(where.uri, dict(options))
        return cls(normalize_uri(where), dict(options or {}))

    def __str__(self) -> str:
        return self.uri

    @property
    def is_local(self) -> bool:
        """True on the local filesystem."""
        return is_local(self.uri)

    @property
    def scheme(self) -> str:
        """``file`` for local paths, else the URI's scheme (``s3``)."""
        return "file" if self.is_local else urlparse(self.uri).scheme

    def child(self, *parts: str) -> Location:
        """A location below this one, reached with the same options."""
        return Location(join(self.uri, *parts), self.options)

    def path(self, *parts: str) -> str:
        """The text of a path below this location."""
        return join(self.uri, *parts)

    def contains(self, other: str) -> bool:
        """True when ``other`` (a path or URI) lies at or below this location."""
        target = normalize_uri(other)
        return target == self.uri or target.startswith(self.uri.rstrip("/") + "/")

    def filesystem(self) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem serving this location."""
        import fsspec

        return fsspec.filesystem(self.scheme, **self.fsspec_options())

    def fsspec_options(self) -> dict[str, Any]:
        """fsspec keyword arguments translated from the delta-rs options."""
        return fsspec_options(self.scheme, self.options)

    def delta_rs_options(self) -> dict[str, Any] | None:
        """The options as delta-rs takes them, after refusing unsafe S3 commit settings.

        Every delta-rs call that opens, writes or commits takes its options from here, so the
        safety check cannot be skipped.

        Raises:
            ConfigError: ``AWS_S3_ALLOW_UNSAFE_RENAME`` is set without the opt-in.
        """
        check_commit_safety(self.options)
        return dict(self.options) or None

    def hadoop_options(self) -> dict[str, str]:
        """Hadoop settings that reach this location through s3a (per bucket, so locations with
        different credentials coexist in one session); empty for other schemes."""
        return hadoop_options(self.uri, self.options)

    def pyarrow_filesystem(self) -> pyarrow.fs.FileSystem:
        """A pyarrow filesystem over the fsspec one (for pyarrow readers and writers)."""
        from pyarrow.fs import FSSpecHandler, PyFileSystem

        return PyFileSystem(FSSpecHandler(self.filesystem()))

    def spark_path(self, path: str | None = None) -> str:
        """The form of this location (or ``path`` inside it) that Spark's Hadoop layer opens."""
        text = self.uri if path is None else path
        return f"file://{text}" if is_local(text) else text

    def fsspec_path(self, listed: str) -> str:
        """A path as fsspec lists it (no scheme on object stores) in this location's form."""
        return listed if self.is_local else f"{self.scheme}://{listed}"

    def unreachable(self, exc: BaseException) -> str:
        """A sentence naming the endpoint if ``exc`` says the store could not be reached."""
        return unreachable(exc, self.uri, self.options)


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


# delta-rs (object_store) option keys -> s3a per-bucket keys (``fs.s3a.bucket.<bucket>.<key>``).
_S3A_KEYS = {
    "access_key_id": "access.key",
    "secret_access_key": "secret.key",
    "session_token": "session.token",
    "token": "session.token",
    "endpoint_url": "endpoint",
    "endpoint": "endpoint",
    "region": "endpoint.region",
    "default_region": "endpoint.region",
}


def hadoop_options(uri: str, storage_options: dict[str, Any] | None) -> dict[str, str]:
    """s3a settings for the bucket of ``uri`` from delta-rs-style ``storage_options``.

    A custom endpoint (S3-compatible stores) gets path-style access; ``aws_allow_http`` turns
    TLS off; a session token selects the temporary-credentials provider. Without options s3a's
    default chain applies (the standard AWS environment variables among them).
    """
    parsed = urlparse(uri)
    if parsed.scheme not in ("s3", "s3a") or not parsed.netloc:
        return {}
    prefix = f"fs.s3a.bucket.{parsed.netloc}."
    settings: dict[str, str] = {}
    for key, value in (storage_options or {}).items():
        name = key.lower().removeprefix("aws_")
        if name in _S3A_KEYS:
            settings[prefix + _S3A_KEYS[name]] = str(value)
        elif name == "allow_http" and str(value).lower() in ("1", "true", "yes"):
            settings[prefix + "connection.ssl.enabled"] = "false"
    if prefix + "endpoint" not in settings:  # s3a does not read the SDK's endpoint variables
        found = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        if found:
            settings[prefix + "endpoint"] = found
    if prefix + "endpoint" in settings:
        settings[prefix + "path.style.access"] = "true"
        if settings[prefix + "endpoint"].startswith("http://"):
            settings[prefix + "connection.ssl.enabled"] = "false"
    if prefix + "session.token" in settings:
        settings[prefix + "aws.credentials.provider"] = (
            "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
        )
    return settings


UNSAFE_RENAME = "aws_s3_allow_unsafe_rename"
OPT_IN_UNSAFE = "LAKESHELF_ALLOW_UNSAFE_RENAME"


def check_commit_safety(storage_options: dict[str, Any] | None) -> None:
    """Refuse delta-rs's unsafe S3 commit mode unless ``$LAKESHELF_ALLOW_UNSAFE_RENAME=1``.

    :meth:`Location.delta_rs_options` calls this, and it is the only way lakeshelf hands options
    to delta-rs. With ``AWS_S3_ALLOW_UNSAFE_RENAME`` delta-rs commits by copy-if-not-exists
    emulation that two concurrent writers can both win, silently losing a commit. lakeshelf's
    default (delta-rs's conditional put, ``If-None-Match``) is atomic on S3 and S3-compatible
    stores that support it.

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
    scheme = urlparse(uri).scheme
    if not scheme or len(scheme) == 1 or not _UNREACHABLE.search(f"{type(exc).__name__}: {exc}"):
        return ""
    return (
        f"the object store at {endpoint(uri, storage_options)} could not be reached; check that"
        " it is running and reachable, then re-run. "
    )
