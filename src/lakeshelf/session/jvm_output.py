"""The JVM's start-up chatter, kept from users.

A JVM started by pyspark writes to the process's stderr. Two of its lines say nothing anyone
can act on: the launcher's "WARNING: Using incubator modules: jdk.incubator.vector" at every
start on Java 17, and Apache DataSketches' "Warning: Java versions > Java 11 can only operate
in restricted mode ..." at the first sketch. A JVM started inside :func:`jvm_noise_dropped`
gets a pipe for its stderr instead, and a thread forwards everything it writes there, for its
whole life, except those lines. Python's own stderr is untouched once the block ends.
``LAKESHELF_JVM_NOISE=show`` leaves the JVM's stderr as it is.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

NOISE = (
    b"WARNING: Using incubator modules",
    b"Warning: Java versions > Java 11 can only operate in restricted mode",
)


@contextlib.contextmanager
def jvm_noise_dropped() -> Iterator[None]:
    """A JVM launched in this block writes its stderr through a filter that drops :data:`NOISE`."""
    if os.environ.get("LAKESHELF_JVM_NOISE") == "show":
        yield
        return
    sys.stderr.flush()
    real = os.dup(2)
    read, write = os.pipe()
    os.dup2(write, 2)
    os.close(write)
    threading.Thread(
        target=_forward, args=(read, real), name="lakeshelf-jvm-stderr", daemon=True
    ).start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)  # Python writes to the real stderr again; a JVM keeps the pipe


def _forward(read: int, real: int) -> None:
    """Copy lines from the pipe to the real stderr, but noise; ends when no writer is left."""
    try:
        with os.fdopen(read, "rb") as source:
            for line in source:
                if not line.lstrip().startswith(NOISE):
                    os.write(real, line)
    finally:
        os.close(real)
