"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.compose.wiring import install_texts
from storage.migrate import upgrade, upgrade_async
from tests import pg

# Pure tests render texts too; the app installs the catalogue at start, the suite here.
install_texts()

# Where pytest_configure tells the database fixture its template database (PostgreSQL).
_TEMPLATE = "KUAIPEI_TEST_TEMPLATE_DATABASE"


def pytest_configure(config: pytest.Config) -> None:
    """On PostgreSQL the tests get a database of their own per run (per pytest-xdist
    worker: `test_gw0`, …), never the one TEST_DATABASE_URL names, and a template of it
    migrated to head once (`test_gw0_head`): each test's database is a fresh copy of the
    template, about 30 ms against 250 ms for emptying the schema and migrating it."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or _is_controller(config):
        return
    import asyncio

    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database or 'test'}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    template = f"{name}_head"
    own = base.set(database=name).render_as_string(hide_password=False)
    template_url = base.set(database=template).render_as_string(hide_password=False)

    async def prepare() -> None:
        await pg.drop_database(url, template)
        await pg.create_database(url, template)
        await upgrade_async(template_url)

    asyncio.run(prepare())
    os.environ["TEST_DATABASE_URL"] = own
    os.environ[_TEMPLATE] = template


def _is_controller(config: pytest.Config) -> bool:
    """Whether this is pytest-xdist's controlling process, which runs no test."""
    return bool(getattr(config.option, "numprocesses", None)) and not os.environ.get(
        "PYTEST_XDIST_WORKER"
    )


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
        await pg.clone_database(url, os.environ[_TEMPLATE])
        return url
    template: Path = request.getfixturevalue("_migrated_sqlite")
    target = tmp_path / "kuaipei-test.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"
