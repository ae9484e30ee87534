"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import storage.models  # noqa: F401
from storage.db import Database
from tests import pg


async def test_upgrade_head_matches_the_models(database_url: str):
    db = Database(database_url)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
            )
    finally:
        await db.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


async def test_processes_starting_together_upgrade_the_schema_once(
    database_url: str, tmp_path: Path
):
    """Several `kuaipei migrate` (as each `kuaipei run` does first) starting at once take
    turns on PostgreSQL; SQLite is one process's database, so there they run one by one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await pg.wipe_schema(url)  # an empty database, as on a first start
    else:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    env = {**os.environ, "DATABASE_URL": url}

    async def migrate() -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.compose.cli",
            "migrate",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()
        return proc.returncode

    if os.environ.get("TEST_DATABASE_URL"):
        await asyncio.gather(*(migrate() for _ in range(3)))
    else:
        for _ in range(2):
            await migrate()
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            heads = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_heads()
            )
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await db.dispose()
    assert len(heads) == 1
    assert {"accident_case", "inbox_update", "outbox", "alembic_version"} <= tables
