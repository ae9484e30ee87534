"""The middle tier's fixture: wired Services on a fresh database (see tests/factories.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.kernel.services import Services
from tests.factories import make_services


@pytest.fixture
async def svc(database_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    services = await make_services(database_url, media_dir=tmp_path / "media")
    yield services
    await services.db.dispose()
