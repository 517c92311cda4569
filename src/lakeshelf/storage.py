"""Where tables live: URI normalisation and filesystem access through fsspec.

A table location is either a local path (relative paths are made absolute) or a URI with a scheme
(``file://``, ``s3://``). Local locations are returned as plain absolute paths, which is the form
Spark, delta-rs and pyarrow all accept.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

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
    """The fsspec filesystem that serves ``uri``."""
    import fsspec

    protocol = "file" if is_local(uri) else urlparse(uri).scheme
    return fsspec.filesystem(protocol, **(storage_options or {}))


def join(uri: str, *parts: str) -> str:
    """Join path segments onto a location with ``/``."""
    return "/".join([uri.rstrip("/"), *(p.strip("/") for p in parts if p)])


def spark_path(uri: str) -> str:
    """The form of ``uri`` that Spark's Hadoop filesystem layer opens."""
    return f"file://{uri}" if is_local(uri) else uri
