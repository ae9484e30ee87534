"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.wiring import install_texts
from storage.migrate import upgrade, upgrade_async
from tests import pg

# Pure tests render texts too; the app installs the catalogue at start, the suite here.
install_texts()


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (`test_gw0`, …),
    made once from the one TEST_DATABASE_URL names, since every test wipes its schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL")
    if not (worker and url):
        return
    import asyncio

    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database or 'test'}_{worker}"
    asyncio.run(pg.create_database(url, name))
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


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
        await pg.wipe_schema(url)
        await upgrade_async(url)
        return url
    template: Path = request.getfixturevalue("_migrated_sqlite")
    target = tmp_path / "kuaipei-test.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"
