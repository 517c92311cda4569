"""Reading lakeshelf's record of one commit: :mod:`~lakeshelf.table.commit_info`'s parser over the
commit file :mod:`~lakeshelf.table.delta_log` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakeshelf.table.commit_info import CommitRecord, parse
from lakeshelf.table.delta_log import read_commit_info

if TYPE_CHECKING:
    from lakeshelf.storage import Location


def read_record(table: Location, version: int) -> CommitRecord | None:
    """lakeshelf's block of commit ``version`` of ``table`` (None if absent or not lakeshelf's)."""
    return parse(read_commit_info(table, version))
