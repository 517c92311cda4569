"""Where data lives and how each consumer reaches it.

Owns :class:`Location` (a URI plus its storage options) and the conversions of those options
for fsspec, delta-rs and pyarrow, the refusal of unsafe S3 commit settings, and the words used
when an object store cannot be reached. Imports only :mod:`lakeshelf.errors` (and fsspec,
lazily); it knows nothing of Spark or Delta.
"""

from lakeshelf.storage.location import (
    OPT_IN_UNSAFE,
    UNSAFE_RENAME,
    Location,
    check_commit_safety,
    fsspec_options,
    is_local,
    join,
    normalize_uri,
)

__all__ = [
    "OPT_IN_UNSAFE",
    "UNSAFE_RENAME",
    "Location",
    "check_commit_safety",
    "fsspec_options",
    "is_local",
    "join",
    "normalize_uri",
]
