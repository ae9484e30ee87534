"""SQLite transactions still begin IMMEDIATE and end cleanly when their BEGIN travels with
the first statement and the trips that do nothing are skipped (storage/db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text

from storage.db import Database


def _write_lock_free(path: Path) -> bool:
    """Whether another connection could take the write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


async def test_a_read_only_transaction_holds_the_write_lock_from_its_first_statement(
    tmp_path: Path,
):
    path = tmp_path / "trips.db"
    db = Database(f"sqlite:///{path}")
    try:
        async with db.transaction() as session:
            conn = await session.connection()
            await conn.execute(text("SELECT 1"))
            assert not _write_lock_free(path)
        assert _write_lock_free(path)
    finally:
        await db.dispose()


async def test_a_transaction_without_statements_leaves_nothing_open(tmp_path: Path):
    path = tmp_path / "trips.db"
    db = Database(f"sqlite:///{path}")
    try:
        async with db.transaction() as session:
            await session.connection()
            assert _write_lock_free(path)  # nothing began yet
        async with db.transaction() as session:
            conn = await session.connection()
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with db.transaction() as session:
            conn = await session.connection()
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
        assert _write_lock_free(path)
    finally:
        await db.dispose()


async def test_a_failed_transaction_is_rolled_back_before_its_connection_is_reused(
    tmp_path: Path,
):
    path = tmp_path / "trips.db"
    db = Database(f"sqlite:///{path}", pool_size=1, max_overflow=0)
    try:
        async with db.transaction() as session:
            conn = await session.connection()
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                conn = await session.connection()
                await conn.execute(text("INSERT INTO t VALUES (1)"))
                raise RuntimeError("the use case failed")
        assert _write_lock_free(path)
        async with db.transaction() as session:
            conn = await session.connection()
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    finally:
        await db.dispose()


async def test_small_statements_after_the_first_run_without_a_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    db = Database(f"sqlite:///{tmp_path / 'trips.db'}")
    trips: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", "?"))
        return await execute(self, fn, *args, **kwargs)

    try:
        async with db.transaction() as session:
            conn = await session.connection()
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        for small in (False, True):
            trips.clear()
            async with db.transaction(small=small) as session:
                conn = await session.connection()
                await conn.execute(text("INSERT INTO t VALUES (1)"))  # with the BEGIN
                await conn.execute(text("INSERT INTO t VALUES (2)"))
                await conn.execute(text("SELECT count(*) FROM t"))
            statements = 1 if small else 3
            assert trips == ["_run_statement"] * statements + ["commit"]
        async with db.transaction() as session:
            conn = await session.connection()
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 4
    finally:
        await db.dispose()
