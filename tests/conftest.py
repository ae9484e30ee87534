"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.wiring import install_texts
from storage.migrate import upgrade_async

# Pure tests render texts too; the app installs the catalogue at start, the suite here.
install_texts()


async def _reset_postgres(url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database=u.database or "test",
    )
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    """A migrated, empty database for one test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'kuaipei-test.db'}"
    await upgrade_async(url)
    return url
