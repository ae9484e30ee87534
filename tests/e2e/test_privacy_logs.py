"""A case day at DEBUG on every logger leaks no secret and no personal data.

What may not appear in any log line, exception text or traceback (README, "What is kept,
for how long"): the bot's token (also URL-quoted), the drivers' phones in any spelling,
their names, ID and licence numbers, plates (a plate names its owner as well as a name
does), the drivers' confirmation links and what people typed in the threads. The day: an
album and a full case in the forum group (parties, contact confirmation in a private
chat, two insurers' decisions, a claim number, payouts, the closing agreement), a second
case in the plain group handed to the police, Telegram faults on the way and one handler
that raises.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

import handlers.casework
from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from storage.models import AuditEvent, Party
from tests.e2e.conftest import TOKEN, World, bot_settings, eventually
from tests.e2e.flows import drive_to_ready
from tests.e2e.helpers import all_handled, becomes, card_has, card_of, cases_in, press, tap
from tests.e2e.insurer_support import (
    ping_of,
    pings,
    rows,
    say,
    staff_of,
    status_is,
    wait_said,
)

# Every logger that may say something at DEBUG: ours, python-telegram-bot's, the HTTP
# stack's, the scheduler's, the database drivers' and SQLAlchemy's statement log.
LOGGERS = (
    "",
    "bot",
    "handlers",
    "storage",
    "telegram",
    "httpx",
    "httpcore",
    "apscheduler",
    "sqlalchemy",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncpg",
    "PIL",
)
# An ID number (身份证号, also the 驾驶证号) typed into a case thread.
ID_NUMBER = "430321199001011234"
NOTE = f"甲方驾驶证号 {ID_NUMBER}，家住花石镇联盟村"


class Everything(logging.Handler):
    """Every record as an operator's log file would hold it: message, traceback, stack."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.names: set[str] = set()
        self.formatter_ = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.lines.append(self.formatter_.format(record))


@pytest.fixture
def everything() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    before = {name: logging.getLogger(name).level for name in LOGGERS}
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def _all_debug() -> None:
    # After build_runtime: it quietens the chatty loggers, the test wants them all.
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


@pytest.fixture
async def day_bot(
    world: World, database_url: str, tmp_path: Path, everything: Everything
) -> AsyncIterator[Runtime]:
    staff, people = staff_of(world)
    world.staff = staff  # type: ignore[attr-defined]
    base = load_deployment(EXAMPLE_FILE)
    deployment = base.model_copy(
        update={
            "people": people,
            "compensation": base.compensation.model_copy(update={"no_fault_proxy_payment": False}),
        }
    )
    settings = bot_settings(world.sb, database_url, tmp_path / "media").model_copy(
        update={"log_sql": True}
    )
    runtime = build_runtime(settings, deployment, poll_timeout=1)
    _all_debug()
    await runtime.start()
    yield runtime
    await runtime.stop()


def _forbidden(parties: list[Party], links: list[str]) -> dict[str, str]:
    """What no log line may hold, each with why."""
    out = {TOKEN: "token", TOKEN.replace(":", "%3A"): "token (URL-quoted)"}
    out[TOKEN.split(":", 1)[1]] = "token's secret half"
    for p in parties:
        assert p.phone and p.driver_name and p.plate
        digits = p.phone
        for form in (digits, f"86{digits}", f"{digits[:3]} {digits[3:7]} {digits[7:]}"):
            out[form] = f"phone of {p.label}"
        out[p.driver_name] = f"name of {p.label}"
        out[p.plate] = f"plate of {p.label}"
        if p.confirm_token:
            out[p.confirm_token] = f"confirmation token of {p.label}"
    for link in links:
        out[link] = "confirmation link"
    out[ID_NUMBER] = "ID number"
    out["联盟村"] = "what a person typed"
    # The same as a JSON dump spells them (a stored update, an outbox payload).
    for value, why in list(out.items()):
        out.setdefault(json.dumps(value)[1:-1], f"{why} (JSON)")
    return out


async def test_a_case_day_at_debug_logs_nothing_personal(
    world: World, day_bot: Runtime, everything: Everything, monkeypatch: pytest.MonkeyPatch
):
    sb, bot, staff = world.sb, day_bot, world.staff  # type: ignore[attr-defined]
    chat = world.forum
    # Telegram trouble on the way: a 500, a dropped connection, a 429.
    sb.inject_fault("sendMessage", kind="500", count=1)
    sb.inject_fault("editMessageText", kind="drop", count=1)
    sb.inject_fault("sendMessage", kind="429", count=1, retry_after=1)

    # Case 1, forum group: album, parties, 甲 confirms by sharing the contact, 乙 on paper.
    case = await drive_to_ready(world, bot, chat)
    assert case.id is not None
    say(world, chat, world.assistant, case, NOTE)
    await sb.wait_for(lambda: len(pings(world, chat)) >= 2, timeout=10)
    pingan, picc = ping_of(world, chat, "平安产险"), ping_of(world, chat, "人保财险")
    await tap(sb, chat, staff.pingan1, pingan, "同意")
    await wait_said(world, chat, "请回复报案号")
    say(world, chat, staff.pingan1, case, "报案号 RDAA2026001 定损 5200")
    await wait_said(world, chat, "已记录 平安产险：报案号 RDAA2026001")
    await tap(sb, chat, staff.picc, picc, "同意")
    await status_is(bot, case.id, "approved")
    say(world, chat, staff.pingan1, case, "/paid 5400 REF-1")
    # The pings are edited in place (docs/architecture.md, "Quiet threads").
    done = await becomes(sb, chat, picc["message_id"], "所有赔付方已同意")
    await tap(sb, chat, staff.picc, done, "人保财险 已全额赔付")
    await status_is(bot, case.id, "closed")
    await wait_said(world, chat, "已结案")

    # Case 2, plain group: ready, then the police take it over.
    other = await drive_to_ready(world, bot, world.plain)
    await press(sb, world.plain, staff.police, card_of(sb, world.plain), "交警接管")
    await status_is(bot, other.id or 0, "police")

    # A handler that raises, with the token, a phone, an ID number and a confirmation
    # token in its exception text (as a library error quoting a URL or a row might).
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(
            f"boom at {sb.base_url}{TOKEN}/sendMessage?x=1 for 13800001111 /"
            f" +86 139-0000-2222 / {ID_NUMBER} / cf_{'A' * 20}"
        )

    monkeypatch.setattr(handlers.casework, "show_queue", broken)
    mark = len(everything.lines)
    sb.send_text(world.plain, staff.police, "/queue")
    await eventually(lambda: _logged(everything, "RuntimeError", mark))
    await eventually(lambda: all_handled(bot))
    await eventually(lambda: card_has(sb, world.plain, "交警"))

    parties = await rows(bot, Party)
    # The links the bot posted (a confirmed party's token is cleared from its row).
    sent = json.dumps([c["params"] for c in sb.calls], ensure_ascii=False)
    links = sorted(set(re.findall(r"cf_[A-Za-z0-9_-]{8,}", sent)))
    assert links
    forbidden = _forbidden(parties, links)
    # The capture itself works: every kind of logger spoke, tracebacks included.
    for name in ("telegram", "httpx", "httpcore", "apscheduler", "sqlalchemy.engine"):
        assert any(n == name or n.startswith(name + ".") for n in everything.names), name
    text = "\n".join(everything.lines)
    assert "Traceback (most recent call last)" in text and "<token>" in text
    leaks: dict[tuple[str, str], str] = {}
    for line in everything.lines:
        for value, why in forbidden.items():
            if value in line:
                logger = line.split(":", 1)[0]
                leaks.setdefault((logger, why), line[:300])
    assert not leaks, "\n".join(
        f"{why} ({logger}): {line}" for (logger, why), line in leaks.items()
    )
    assert "<phone>" in text and "<id-number>" in text
    assert (await cases_in(bot, chat))[0].status == "closed"


async def _logged(handler: Everything, needle: str, after: int) -> bool:
    return any(needle in line for line in handler.lines[after:])


async def test_the_retention_job_runs_on_the_apps_job_queue(
    world: World, database_url: str, tmp_path: Path
):
    """The daily purge is scheduled by the running bot and audits each run."""
    base = bot_settings(world.sb, database_url, tmp_path / "media")
    runtime = build_runtime(base, load_deployment(EXAMPLE_FILE), poll_timeout=1)
    runtime.retention_seconds = 0.2
    await runtime.start()
    try:
        assert runtime.app.job_queue is not None
        [job] = runtime.app.job_queue.get_jobs_by_name("retention")
        assert job.data == runtime.retention

        async def audited() -> bool:
            return len(await rows(runtime, AuditEvent, AuditEvent.kind == "retention.purged")) >= 2

        await eventually(audited, timeout=10)
    finally:
        await runtime.stop()
    [event, *_] = await rows(runtime, AuditEvent, AuditEvent.kind == "retention.purged")
    assert event.data["photos"] == 0 and "evidence_before" in event.data
