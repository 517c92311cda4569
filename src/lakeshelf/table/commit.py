"""Committing a planned write's files as one new version.

A write that creates its table commits a CREATE; an overwrite that changes schema or partitioning
commits a CREATE OR REPLACE (delta-rs's write transaction cannot change partitioning); every
other write commits a write transaction. All of them go through
:func:`lakeshelf.table.retry.commit_with_retry`: an append that loses the race for a version is
re-planned onto the winner, an overwrite replaces exactly the version it read or fails.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from lakeshelf.errors import CommitConflictError, SchemaMismatchError
from lakeshelf.faults import crash_point
from lakeshelf.table import commit_info
from lakeshelf.table.delta_log import commit_hooks, list_log
from lakeshelf.table.plan import WritePlan, replanned_append
from lakeshelf.table.retry import commit_with_retry, find_commit, landed
from lakeshelf.table.schema import to_delta, to_spark

if TYPE_CHECKING:
    from lakeshelf.table.files import WrittenFile


def commit_files(
    plan: WritePlan,
    files: list[WrittenFile],
    *,
    metadata: dict[str, Any] | None = None,
    app_transaction: tuple[str, int] | None = None,
    spark_app_id: str | None = None,
) -> int:
    """Commit ``files`` (already in the table's folder) as one new version; return it.

    Raises:
        SchemaMismatchError: nulls in NOT NULL columns, or a concurrent schema change.
        CommitConflictError: a concurrent writer changed the table in a conflicting way.
        CommitUnknownError: the commit's outcome cannot be read back.
    """
    _check_not_null(plan, files)
    crash_point("before-commit")
    commit = _Commit(plan, files, metadata, app_transaction, spark_app_id)
    if plan.opened_table() is None:
        created = commit.create()
        if created is not None:
            return created
    if plan.replaces_layout:
        return commit.replace_layout()
    return commit.transaction()


class _Commit:
    """One write's commit, in the form each path needs."""

    def __init__(
        self,
        plan: WritePlan,
        files: list[WrittenFile],
        metadata: dict[str, Any] | None,
        app_transaction: tuple[str, int] | None,
        spark_app_id: str | None,
    ) -> None:
        from deltalake.transaction import AddAction, CommitProperties, Transaction

        now = int(time.time() * 1000)
        self.plan = plan
        self.adds = [
            AddAction(f.path, f.size, f.partition_values, now, True, f.stats) for f in files
        ]
        info = commit_info.build(
            "WRITE",
            plan.txn,
            spark_app_id=spark_app_id,
            metrics={
                "numFiles": len(files),
                "numOutputRows": sum(f.num_records for f in files),
                "numOutputBytes": sum(f.size for f in files),
            },
            metadata=metadata or {},
            mode=plan.mode,
            partitionBy=plan.partitions,
        )
        # One delta-rs attempt per try: the retry loop decides about every retry.
        self.properties = CommitProperties(
            custom_metadata=info,
            app_transactions=[Transaction(*app_transaction)] if app_transaction else None,
            max_commit_retries=0,
        )

    def create(self) -> int | None:
        """Create the table; None when another writer created it first and this is an append.

        Raises:
            CommitConflictError: another writer created the table and this write is no append.
        """
        plan = self.plan
        try:
            self._create_table("error")
            return find_commit(plan.location, plan.txn, -1)
        except Exception as exc:
            if list_log(plan.location) is None:
                raise
            found = landed(plan.location, plan.txn, -1)
            if found is not None:
                return found
            if plan.mode != "append":
                raise CommitConflictError(
                    f"another writer created {plan.uri} while this write ran; nothing was"
                    " committed, re-run the write"
                ) from exc
        self.plan = replanned_append(plan)  # the table exists now: append to it if the data fits
        return None

    def replace_layout(self) -> int:
        """CREATE OR REPLACE: the overwrite that changes schema or partitioning."""
        plan = self.plan
        assert plan.read_version is not None
        return commit_with_retry(
            plan.location,
            plan.txn,
            plan.read_version,
            lambda: self._create_table("overwrite"),
            conflict=self._overwrite_conflict,
        )

    def transaction(self) -> int:
        """A write transaction: appends re-planned onto concurrent commits, overwrites not."""
        plan = self.plan
        assert plan.read_version is not None
        if plan.mode == "overwrite":
            table = plan.opened_table()
            assert table is not None
            table.update_incremental()
            if table.version() != plan.read_version:
                raise CommitConflictError(self._overwrite_conflict(table.version()))
            return commit_with_retry(
                plan.location,
                plan.txn,
                plan.read_version,
                self._write_transaction,
                conflict=self._overwrite_conflict,
            )
        self._add_new_columns()
        return commit_with_retry(
            plan.location, plan.txn, plan.read_version, self._write_transaction, rebase=self._rebase
        )

    def _rebase(self, _latest: int) -> int:
        # The rows do not depend on what concurrent commits added (or an overwrite removed).
        self.plan = replanned_append(self.plan)
        self._add_new_columns()
        assert self.plan.read_version is not None
        return self.plan.read_version

    def _write_transaction(self) -> None:
        table = self.plan.opened_table()
        assert table is not None
        table.create_write_transaction(
            self.adds,
            self.plan.mode,
            to_delta(self.plan.schema),
            partition_by=self.plan.partitions or None,
            commit_properties=self.properties,
            post_commithook_properties=commit_hooks(),
        )

    def _create_table(self, mode: str) -> None:
        from deltalake.transaction import create_table_with_add_actions

        create_table_with_add_actions(
            self.plan.uri,
            to_delta(self.plan.schema),
            self.adds,
            mode=mode,
            partition_by=self.plan.partitions or None,
            storage_options=self.plan.location.delta_rs_options(),
            commit_properties=self.properties,
            post_commithook_properties=commit_hooks(),
        )

    def _overwrite_conflict(self, latest: int) -> str:
        return (
            f"{self.plan.uri} moved from version {self.plan.read_version} to {latest} while this"
            " overwrite ran; an overwrite must not discard rows it never saw, so nothing was"
            " committed. Re-run the write."
        )

    def _add_new_columns(self) -> None:
        """Commit an additive schema change before the data (delta-rs keeps the old schema on
        append); it is its own version, ``ADD COLUMNS``, whose readers see the earlier rows with
        the new columns null, never rows of the write in progress."""
        from deltalake.transaction import CommitProperties

        table = self.plan.opened_table()
        assert table is not None
        existing = set(to_spark(table.schema().to_json()).names)
        added = [f for f in to_delta(self.plan.schema).fields if f.name not in existing]
        if not added:
            return
        info = commit_info.build(
            "ADD COLUMNS", f"{self.plan.txn}-schema", columns=[f.name for f in added]
        )
        table.alter.add_columns(
            added,
            commit_properties=CommitProperties(custom_metadata=info),
            post_commithook_properties=commit_hooks(),
        )
        table.update_incremental()


def _check_not_null(plan: WritePlan, files: list[WrittenFile]) -> None:
    """Refuse nulls in NOT NULL columns, using the null counts the footers already gave us."""
    required = [
        f.name for f in plan.schema.fields if not f.nullable and f.name not in plan.partitions
    ]
    for written in files:
        counts = json.loads(written.stats).get("nullCount", {})
        bad = [name for name in required if counts.get(name, 0) > 0]
        if bad:
            raise SchemaMismatchError(
                f"column(s) {bad} of {plan.uri} are NOT NULL but the data has nulls; nothing was"
                " committed"
            )
