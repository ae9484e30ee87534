"""The liaison office end to end: it registers its chat, receives the morning digest of a
day of fifty-odd cases over two townships and three insurers (text and chart), asks for a
spreadsheet, and a restart sends nothing twice."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from PIL import Image

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Deployment, Person, load_deployment
from bot.kernel.clock import ManualClock
from bot.liaison.digest import chart_png, gather
from bot.roles.offices import Oversight
from bot.rules.periods import day
from sandbox.photos import scene_photo
from storage.models import AuditEvent, Case, ChatGroup, StageClock
from tests.e2e.conftest import World, bot_settings
from tests.e2e.helpers import bot_messages, register, text_of
from tests.e2e.insurer_support import rows, staff_of
from tests.e2e.liaison_support import DAY, ZONE, local, seed_day

DIGEST = "联席办日报 · 2026-11-30"


async def _download(bot: Runtime, file_id: str) -> bytes:
    file = await bot.app.bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


def _deployment(world: World, office_person: int) -> Deployment:
    _staff, people = staff_of(world)
    liaison = Person(user_id=office_person, name="县联席办", role="liaison")
    return load_deployment(EXAMPLE_FILE).model_copy(update={"people": (*people, liaison)})


async def _runtime(
    world: World, deployment: Deployment, database_url: str, tmp_path: Path, clock: ManualClock
) -> Runtime:
    runtime = build_runtime(
        bot_settings(world.sb, database_url, tmp_path / "media"),
        deployment,
        clock=clock,
        poll_timeout=1,
    )
    runtime.digest_seconds = 0.2
    await runtime.start()
    return runtime


async def test_the_morning_digest_the_export_and_a_restart(
    world: World, database_url: str, tmp_path: Path
):
    sb = world.sb
    person = sb.create_user("县联席办")
    office = sb.create_chat("supergroup", title="湘潭县联席办", members=[person], admins=[person])
    deployment = _deployment(world, person)
    clock = ManualClock(local(DAY, 7, 0))
    bot = await _runtime(world, deployment, database_url, tmp_path, clock)
    try:
        await register(world, world.forum, "花石镇")
        await register(world, world.plain, "射埠镇")
        sb.send_text(office, person, "/setup 联席办")
        await sb.wait_for(
            lambda: any(
                "联席办</b>群" in m.get("text_html", "") or "联席办群" in text_of(m)
                for m in bot_messages(sb, office)
            ),
            timeout=10,
        )
        (row,) = await rows(bot, ChatGroup, ChatGroup.chat_id == office)
        assert row.kind == "liaison" and row.scope == []
        # The office's chat never opens a case from a photo.
        sb.send_photo(office, person, scene_photo(0))
        await asyncio.sleep(0.5)
        assert await rows(bot, Case, Case.chat_id == office) == []

        seeded = await seed_day(bot, {"HS": world.forum, "SB": world.plain})
        assert len(seeded) >= 50

        # The next morning at 08:00 the digest of the 30th arrives, once, with its chart.
        clock.advance(
            seconds=(local(DAY + timedelta(days=1), 8, 0) - clock.now()).total_seconds() + 30
        )
        await sb.wait_for(
            lambda: any(DIGEST in text_of(m) for m in bot_messages(sb, office)), timeout=20
        )
        await sb.wait_for(lambda: any(m.get("photo") for m in bot_messages(sb, office)), timeout=20)
        digest = next(m for m in bot_messages(sb, office) if DIGEST in text_of(m))
        text = text_of(digest)
        closed = sum(s.outcome == "closed" for s in seeded)
        assert f"开案 {len(seeded)} · 结案 {closed} · 移交交警 1 · 撤销 0" in text, text
        waiting = [s.number for s in seeded if s.outcome == "waiting"]
        # Overdue by the morning: the insurers' unanswered pings (but the one pinged after
        # hours, whose working clock only starts at 08:30), the cases still being collected
        # and the police case nobody claimed.
        running = await rows(bot, StageClock, StageClock.state == "running")
        late = {c.case_id for c in running if c.breach_at and c.breach_at <= clock.now()}
        assert 10 < len(late) < len(seeded)
        assert f"超时案件 {len(late)} 起" in text, text
        assert all(number in text for number in waiting[:5])
        assert "花石镇" in text and "射埠镇" in text
        for name in ("平安产险", "人保财险", "太保产险"):
            assert name in text, name
        # No driver's name or full phone in a chat not allowed to see them.
        assert not any(s.phone in text or s.driver in text for s in seeded)

        photo = next(m for m in bot_messages(sb, office) if m.get("photo"))
        png = await _download(bot, photo["photo"][-1]["file_id"])
        assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size == (1280, 720)
        async with bot.services.db.session() as session:
            got = await gather(session, bot.services, day(DAY, str(ZONE)), Oversight(frozenset()))
        # The chart is the shipped-font render of these figures (tests/liaison/test_chart.py
        # shows that render draws the Chinese, not boxes).
        assert png == chart_png(bot.services, got, lang="zh")

        # /export of November: every case of the period, in a workbook openpyxl opens.
        sb.send_text(office, person, "/export 2026-11")
        await sb.wait_for(
            lambda: any(m.get("document") for m in bot_messages(sb, office)), timeout=30
        )
        doc = next(m for m in bot_messages(sb, office) if m.get("document"))
        book = load_workbook(io.BytesIO(await _download(bot, doc["document"]["file_id"])))
        cases = book.worksheets[0]
        numbers = [r[0] for r in cases.iter_rows(min_row=2, values_only=True)]
        assert sorted(numbers) == sorted(s.number for s in seeded)
        exported = "\n".join(str(c) for r in cases.iter_rows(values_only=True) for c in r)
        assert not any(s.phone in exported or s.driver in exported for s in seeded)
        assert re.search(r"\d{3}\*{4}\d{4}", exported)  # phones shown masked

        # /overdue and /case work in the office's chat for every township it oversees.
        sb.send_text(office, person, "/overdue")
        await sb.wait_for(
            lambda: any(
                "超时案件" in text_of(m)
                and "最早超时" in text_of(m)
                and "HS-" in text_of(m)
                and "SB-" in text_of(m)
                for m in bot_messages(sb, office)
                if m is not digest
            ),
            timeout=10,
        )
        number = waiting[0]
        sb.send_text(office, person, f"/case {number}")
        await sb.wait_for(
            lambda: any(f"案件 {number}" in text_of(m) for m in bot_messages(sb, office)),
            timeout=10,
        )
    finally:
        await bot.stop()

    # A restart right after: the digest is not sent again.
    before = [m for m in bot_messages(sb, office) if DIGEST in text_of(m)]
    bot = await _runtime(world, deployment, database_url, tmp_path, clock)
    try:
        await asyncio.sleep(1.5)  # several digest looks
        assert [m for m in bot_messages(sb, office) if DIGEST in text_of(m)] == before
        sent = await rows(bot, AuditEvent, AuditEvent.kind == "liaison.digest")
        # The 1st of the month: November's monthly digest came with the day's, once each.
        assert sorted(e.data["period"] for e in sent) == ["day:2026-11-30", "month:2026-11"]
        assert sum("联席办月报 · 2026-11" in text_of(m) for m in bot_messages(sb, office)) == 1
    finally:
        await bot.stop()
