"""What an operator's log shows for one whole case: what the bot did, and no one's data."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.compose.app import Runtime
from tests.e2e.conftest import TOKEN, World, eventually
from tests.e2e.helpers import card_has, tap
from tests.e2e.insurer_support import (
    ping_of,
    routed_case,
    say,
    staffed_runtime,
    status_is,
    wait_said,
)

# The parties of tests/e2e/flows.py: drivers' names and phones, and the staff's names.
PERSONAL = ("13800001111", "13900002222", "张三", "李四", "王协理", "平安定损甲")


class Collect(logging.Handler):
    """Every record, rendered as a log file would show it (message and traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str, str]] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.name, self.format(record)))


@pytest.fixture
def debug_log() -> Iterator[Collect]:
    root = logging.getLogger()
    handler, level = Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
async def staffed(world: World, database_url: str, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The example deployment with staff (无责代赔 on: one paying insurer)."""
    runtime = await staffed_runtime(world, database_url, tmp_path, proxy=True)
    yield runtime
    await runtime.stop()


async def test_one_case_at_debug_shows_the_steps_and_no_personal_data(
    debug_log: Collect, world: World, staffed: Runtime
) -> None:
    bot, chat, staff = staffed, world.forum, world.staff  # type: ignore[attr-defined]
    started = len(debug_log.lines)  # the database and the bot are set up: the case begins
    case = await routed_case(world, bot, 1)
    assert case.id is not None
    await tap(world.sb, chat, staff.pingan1, ping_of(world, chat, "平安产险"), "同意")
    await wait_said(world, chat, "请回复报案号")
    say(world, chat, staff.pingan1, case, "报案号 RDAA2026009 定损 5400")
    await wait_said(world, chat, "已记录 平安产险：报案号 RDAA2026009")
    # A stranger's /paid is refused.
    say(world, chat, world.villager, case, "/paid 100")
    await wait_said(world, chat, "/paid 只能由")
    done = await wait_said(world, chat, "所有赔付方已同意")
    await tap(world.sb, chat, staff.pingan1, done, "已全额赔付")
    await status_is(bot, case.id, "closed")
    await eventually(lambda: card_has(world.sb, chat, "状态：已结案"))

    bot_lines = [(lv, name, line) for lv, name, line in debug_log.lines if "sandbox" not in name]
    everything = "\n".join(line for _, _, line in debug_log.lines)
    info = [line for lv, _, line in bot_lines if lv >= logging.INFO]
    case_lines = debug_log.lines[started:]
    sys.stdout.write(
        f"\nONE CASE LOG at DEBUG: {len(case_lines)} lines "
        f"({sum(lv >= logging.INFO for lv, _, _ in case_lines)} at INFO and above), "
        f"{sum(any(p in line for p in PERSONAL) for _, _, line in debug_log.lines)} lines "
        f"with personal data; with set-up {len(bot_lines)} lines ({len(info)} INFO+)\n"
    )
    leaks = [p for p in PERSONAL if p in everything]
    assert leaks == []
    assert re.search(r"cf_[A-Za-z0-9_\-]{6,}", everything) is None
    assert TOKEN not in everything and TOKEN.split(":")[1] not in everything

    number = case.number
    for step in ("opened", "routed", "approved", "paid", "closed"):
        assert any(number in line and step in line for line in info), (step, info)
    assert any("refused" in line for line in info), info
    assert not any(name.startswith("fontTools") for lv, name, _ in bot_lines if lv >= logging.INFO)
