"""SQLite transactions still begin IMMEDIATE and end cleanly when their BEGIN travels with
the first statement and the trips that do nothing are skipped (storage/db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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
