"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.wiring import install_texts
from storage.migrate import upgrade, upgrade_async

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


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy (migrating takes ~0.4 s)."""
    template = tmp_path_factory.mktemp("template") / "kuaipei-template.db"
    # Alembic's env runs its own event loop, so not on the loop of the test asking first.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(upgrade, f"sqlite:///{template}").result()
    return template


@pytest.fixture
async def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A migrated, empty database for one test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        await _reset_postgres(url)
        await upgrade_async(url)
        return url
    template: Path = request.getfixturevalue("_migrated_sqlite")
    target = tmp_path / "kuaipei-test.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"
