"""The liaison office's features over a real database: registering its chat, /stats for
everyone who may ask (and refusals for those who may not), the digest job, masking of
personal data in digests and exports, and /export.

Cases are seeded at local times (tests/liaison_factories.py) with the clock events their
use cases note; the answers are read back from the outbox, the audit log, `digest_sent`
and the files written under the media folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import LiaisonChat, Person
from bot.flows.groups import SetupOutcome, setup_group
from bot.flows.opening import PhotoOutcome, receive_photo
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.liaison.commands import export_cases, parse_request, show_stats, write_export
from bot.liaison.export import ExportRow
from bot.liaison.rows import export_rows
from bot.liaison.schedule import digest_periods, missed_days, send_due_digests
from bot.parties.masking import mask_name, mask_phone
from bot.roles.offices import Oversight, oversight
from bot.rules.periods import Period, between, day, month, week
from storage.models import AuditEvent, Case, ChatGroup, DigestSent, OutboxItem, PhotoFlag
from tests.factories import (
    ADMIN,
    CHAT,
    PINGAN_ADJUSTER,
    POLICE,
    STRANGER,
    get,
    make_group,
    make_photo,
    produced,
    rows,
)
from tests.liaison_factories import (
    DAY,
    OFFICE_CHAT,
    PERSONAL_CHAT,
    TWO_TOWN_LIAISON,
    TWO_TOWN_PERSON,
    ZONE,
    Seeded,
    command,
    local,
    make_groups,
    photo_in,
    seed_case,
    set_clock,
    setup_request,
    with_offices,
    with_people,
)
from tests.sla_factories import LIAISON

T = TypeVar("T")

YESTERDAY = DAY - timedelta(days=1)
# A Wednesday: its digest (Thursday 08:00) is the day's alone, with the month to date.
WEDNESDAY = date(2026, 12, 2)
THURSDAY_MORNING = local(date(2026, 12, 3), 8)
PNG = b"\x89PNG\r\n\x1a\n"
PHONE = "13812345678"
DRIVER = "欧阳娜娜"


def counts(opened: int, closed: int, police: int = 0, cancelled: int = 0) -> str:
    return t(
        "liaison.counts", "zh", opened=opened, closed=closed, police=police, cancelled=cancelled
    )


def open_now(**by_status: int) -> str:
    parts = " · ".join(
        t("liaison.part", "zh", name=t(f"status.{status}", "zh"), n=n)
        for status, n in by_status.items()
    )
    return t("liaison.open_now", "zh", parts=Raw(parts))


def lines_of(texts: list[str]) -> list[str]:
    return [line for text in texts for line in text.split("\n")]


def slice_line(lines: list[str], name: str) -> str:
    """A township's or insurer's line of the period itself: a day's digest repeats it
    further down, for the month to date."""
    found = [line for line in lines if line.startswith(f"· {name}：")]
    assert found, name
    return found[0]


def sent_to(items: list[OutboxItem], chat_id: int, kind: str = "send_text") -> list[OutboxItem]:
    return [i for i in items if i.chat_id == chat_id and i.kind == kind]


def texts_to(items: list[OutboxItem], chat_id: int) -> list[str]:
    return [str(i.payload["text"]) for i in sent_to(items, chat_id)]


async def audits(svc: Services, kind: str) -> list[AuditEvent]:
    return await rows(svc, AuditEvent, AuditEvent.kind == kind)


# --- registration -------------------------------------------------------------------


async def test_a_liaison_admin_registers_the_chat_for_the_townships_they_oversee(
    svc: Services,
):
    with_people(svc, TWO_TOWN_PERSON)
    got = await produced(svc, setup_group(svc, setup_request(TWO_TOWN_LIAISON, "联席办")))
    assert got.result is SetupOutcome.REGISTERED
    [row] = await rows(svc, ChatGroup, ChatGroup.chat_id == OFFICE_CHAT)
    assert (row.kind, row.scope, row.township_code) == ("liaison", ["HS", "SB"], "")
    assert got.texts() == [t("setup.liaison_done", "zh", townships="花石镇、射埠镇")]
    [event] = got.audit
    assert (event.kind, event.chat_id, event.actor_user_id, event.data) == (
        "group.liaison_registered",
        OFFICE_CHAT,
        TWO_TOWN_LIAISON,
        {"townships": ["HS", "SB"]},
    )


async def test_the_example_office_registers_a_chat_overseeing_every_township(svc: Services):
    got = await produced(svc, setup_group(svc, setup_request(LIAISON, "联席办")))
    assert got.result is SetupOutcome.REGISTERED
    [row] = await rows(svc, ChatGroup, ChatGroup.chat_id == OFFICE_CHAT)
    assert (row.kind, row.scope) == ("liaison", [])
    all_towns = t("setup.all_townships", "zh")
    assert got.texts() == [t("setup.liaison_done", "zh", townships=all_towns)]
    assert got.audit_kinds() == ["group.liaison_registered"]


async def test_a_chat_admin_who_is_not_liaison_may_not_register_the_office(svc: Services):
    got = await produced(svc, setup_group(svc, setup_request(ADMIN, "联席办")))
    assert got.result is SetupOutcome.NOT_ADMIN
    assert got.texts() == [t("setup.liaison_not_allowed", "zh")]
    assert got.audit == []
    assert await rows(svc, ChatGroup) == []


async def test_a_liaison_person_who_is_no_chat_admin_may_not_register_it(svc: Services):
    got = await produced(svc, setup_group(svc, setup_request(LIAISON, "联席办", admin=False)))
    assert got.result is SetupOutcome.NOT_ADMIN
    assert got.texts() == [t("setup.liaison_not_allowed", "zh")]
    assert await rows(svc, ChatGroup) == []


async def test_a_township_group_cannot_become_the_office(svc: Services):
    await make_group(svc)
    got = await produced(svc, setup_group(svc, setup_request(LIAISON, "联席办", chat_id=CHAT)))
    assert got.result is SetupOutcome.USAGE
    assert got.texts() == [t("setup.is_township", "zh")]
    assert got.audit == []
    [row] = await rows(svc, ChatGroup)
    assert (row.chat_id, row.kind, row.township_code) == (CHAT, "township", "HS")


async def test_the_office_chat_cannot_become_a_township_group(svc: Services):
    await setup_group(svc, setup_request(LIAISON, "联席办"))
    got = await produced(svc, setup_group(svc, setup_request(LIAISON, "花石镇")))
    assert got.result is SetupOutcome.USAGE
    assert got.texts() == [t("setup.is_liaison", "zh")]
    assert got.audit == []
    [row] = await rows(svc, ChatGroup)
    assert (row.chat_id, row.kind, row.township_code) == (OFFICE_CHAT, "liaison", "")


async def test_a_photo_in_an_office_chat_opens_no_case(svc: Services):
    await setup_group(svc, setup_request(LIAISON, "联席办"))
    with_offices(svc, LiaisonChat(chat_id=PERSONAL_CHAT))
    for chat in (OFFICE_CHAT, PERSONAL_CHAT):  # registered in chat; named in the file
        got = await produced(svc, receive_photo(svc, photo_in(chat, LIAISON)))
        assert got.result is PhotoOutcome.REFUSED
        assert (got.outbox, got.audit) == ([], [])
    assert await rows(svc, Case) == []
    # A chat nobody registered is told how to register instead: the office is no such chat.
    elsewhere = await produced(svc, receive_photo(svc, photo_in(-1001000000099, LIAISON)))
    assert elsewhere.result is PhotoOutcome.UNREGISTERED


# --- /stats -------------------------------------------------------------------------


async def stats_day(svc: Services, office: LiaisonChat | None = None) -> list[Seeded]:
    """Today (the tests' Monday), at 20:00: three cases opened in 花石镇 (closed with 平安,
    approved by 人保, still collecting), two in 射埠镇 (closed with 平安, handed to the
    police); and one closed in 花石镇 yesterday with 太保."""
    await make_groups(svc)
    with_offices(svc, office or LiaisonChat(chat_id=OFFICE_CHAT))
    seeded = [
        await seed_case(
            svc,
            township="HS",
            opened=local(YESTERDAY, 15),
            outcome="closed",
            insurer="CPIC",
            amount_fen=7_000,
        ),
        await seed_case(
            svc, township="HS", opened=local(DAY, 8), outcome="closed", amount_fen=100_000
        ),
        await seed_case(
            svc,
            township="HS",
            opened=local(DAY, 9),
            outcome="approved",
            insurer="PICC",
            amount_fen=50_050,
        ),
        await seed_case(svc, township="HS", opened=local(DAY, 10), outcome="collecting"),
        await seed_case(
            svc, township="SB", opened=local(DAY, 8, 30), outcome="closed", amount_fen=20_000
        ),
        await seed_case(svc, township="SB", opened=local(DAY, 11), outcome="police"),
    ]
    set_clock(svc, local(DAY, 20))
    return seeded


async def test_the_office_sees_every_township_it_oversees(svc: Services):
    await stats_day(svc)
    got = await produced(svc, show_stats(svc, command(LIAISON)))
    assert got.result is True and got.audit == []
    lines = lines_of(got.texts())
    assert lines[0] == t("liaison.head.day", "zh", label=DAY.isoformat())
    assert counts(opened=5, closed=2, police=1) in lines
    assert open_now(collecting=1, approved=1, police=1) in lines
    # 花石镇: three opened today, two of them ready after 10 minutes; 平安's ¥1,000.00
    # approved and paid, 人保's ¥500.50 approved.
    hs = slice_line(lines, "花石镇")
    assert hs.startswith("· 花石镇：3 起 · 开案→齐全 中位 10分 / P90 10分")
    assert hs.endswith("核准 ¥1,500.50 · 已付 ¥1,000.00")
    sb = slice_line(lines, "射埠镇")
    assert sb.startswith("· 射埠镇：2 起") and sb.endswith("核准 ¥200.00 · 已付 ¥200.00")
    # 平安 in both townships, 人保 once; 太保's case was yesterday's.
    pingan = slice_line(lines, "平安产险")
    assert pingan.startswith("· 平安产险：2 起") and pingan.endswith(
        "核准 ¥1,200.00 · 已付 ¥1,200.00"
    )
    picc = slice_line(lines, "人保财险")
    assert picc.startswith("· 人保财险：1 起") and picc.endswith("核准 ¥500.50 · 已付 ¥0.00")
    assert not any(line.startswith("· 太保产险") for line in lines)


async def test_the_police_see_their_township_from_its_group(svc: Services):
    await stats_day(svc)
    got = await produced(svc, show_stats(svc, command(POLICE, chat_id=CHAT)))
    assert got.result is True
    lines = lines_of(got.texts())
    assert counts(opened=3, closed=1) in lines
    assert open_now(collecting=1, approved=1) in lines
    assert slice_line(lines, "花石镇").startswith("· 花石镇：3 起")
    assert not any("射埠镇" in line for line in lines)


async def test_an_adjuster_sees_their_insurer_only(svc: Services):
    seeded = await stats_day(svc)
    got = await produced(svc, show_stats(svc, command(PINGAN_ADJUSTER, chat_id=CHAT)))
    assert got.result is True and got.audit == []
    text = "\n".join(got.texts())
    lines = text.split("\n")
    # Of 花石镇's cases today, 平安 is in one: opened and closed, ¥1,000.00.
    assert counts(opened=1, closed=1) in lines
    pingan = slice_line(lines, "平安产险")
    assert pingan.startswith("· 平安产险：1 起") and pingan.endswith(
        "核准 ¥1,000.00 · 已付 ¥1,000.00"
    )
    assert "人保" not in text and "太保" not in text and "射埠镇" not in text
    others = [s.number for s in seeded if s.insurer != "PINGAN" or s.township != "HS"]
    assert not any(number in text for number in others)


async def test_an_adjuster_hears_nothing_of_other_insurers_cases(svc: Services):
    # The same driver in two of 花石镇's cases, one with 平安 and one with 人保, and a
    # photo of 人保's case taken too early: 平安's adjuster may see 平安's part only.
    await make_groups(svc)
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT))
    pingan = await seed_case(
        svc, township="HS", opened=local(DAY, 8), outcome="closed", phone=PHONE
    )
    picc = await seed_case(
        svc, township="HS", opened=local(DAY, 9), outcome="approved", insurer="PICC", phone=PHONE
    )
    set_clock(svc, local(DAY, 20))
    photo = await make_photo(svc, await get(svc, Case, picc.id))
    async with svc.db.transaction() as session:
        session.add(
            PhotoFlag(
                case_id=picc.id, photo_id=photo.id or 0, kind="too_old", created_at=local(DAY, 9)
            )
        )
    both = f"{pingan.number}、{picc.number}"
    item = t("liaison.repeat_item", "zh", value="138****5678", numbers=both)
    repeat = t("liaison.repeat_phones", "zh", items=Raw(item))
    flags = t("liaison.flags", "zh", reused=0, too_old=1, too_far=0)
    office = lines_of((await produced(svc, show_stats(svc, command(LIAISON)))).texts())
    assert repeat in office and flags in office

    got = await produced(svc, show_stats(svc, command(PINGAN_ADJUSTER, chat_id=CHAT)))
    assert got.result is True
    lines = lines_of(got.texts())
    assert counts(opened=1, closed=1) in lines
    assert not any(picc.number in line for line in lines)
    assert flags not in lines


async def test_an_adjuster_asking_for_another_insurer_is_refused_and_audited(svc: Services):
    await stats_day(svc)
    asked = command(PINGAN_ADJUSTER, "month", "PICC", chat_id=CHAT)
    got = await produced(svc, show_stats(svc, asked))
    assert got.result is False
    assert got.texts() == [t("liaison.err.other_insurer", "zh", insurer="平安产险")]
    [event] = got.audit
    assert (event.kind, event.chat_id, event.actor_user_id, event.data) == (
        "liaison.refused",
        CHAT,
        PINGAN_ADJUSTER,
        {"asked": ["month", "PICC"]},
    )
    # Naming their own insurer is no refusal.
    own = await produced(
        svc, show_stats(svc, command(PINGAN_ADJUSTER, "month", "平安", chat_id=CHAT))
    )
    assert own.result is True and own.audit == []


@pytest.mark.parametrize("chat_id", [CHAT, OFFICE_CHAT])
async def test_a_stranger_is_refused_and_audited(svc: Services, chat_id: int):
    await stats_day(svc)
    got = await produced(svc, show_stats(svc, command(STRANGER, "week", chat_id=chat_id)))
    assert got.result is False
    assert got.texts() == [t("liaison.err.nobody", "zh")]
    [event] = got.audit
    assert (event.kind, event.chat_id, event.actor_user_id, event.data) == (
        "liaison.refused",
        chat_id,
        STRANGER,
        {"asked": ["week"]},
    )


async def test_an_office_of_one_township_may_not_ask_for_another(svc: Services):
    await stats_day(svc, LiaisonChat(chat_id=OFFICE_CHAT, townships=("HS",)))
    got = await produced(svc, show_stats(svc, command(LIAISON, "today", "射埠镇")))
    assert got.result is False
    assert got.texts() == [t("liaison.err.township", "zh", township="射埠镇")]
    assert got.audit_kinds() == ["liaison.refused"]
    mine = await produced(svc, show_stats(svc, command(LIAISON)))
    lines = lines_of(mine.texts())
    assert counts(opened=3, closed=1) in lines
    assert not any("射埠镇" in line for line in lines)


async def test_stats_words_name_periods_townships_and_insurers(svc: Services):
    set_clock(svc, local(DAY, 20))
    default = day(DAY, ZONE)

    def asked(*words: str) -> tuple[Period, str | None, str | None] | None:
        return parse_request(svc, words, default)

    assert asked() == (default, None, None)
    assert asked("week") == (week(DAY, ZONE), None, None)
    assert asked("2026-11") == (month(2026, 11, ZONE), None, None)
    assert asked("2026-11-01", "2026-11-15") == (
        between(date(2026, 11, 1), date(2026, 11, 15), ZONE),
        None,
        None,
    )
    assert asked("yesterday", "花石镇") == (day(YESTERDAY, ZONE), "HS", None)
    assert asked("week", "平安") == (week(DAY, ZONE), None, "PINGAN")
    assert asked("射埠") == (default, "SB", None)
    for nonsense in [("nonsense",), ("2026-13",), ("yesterday", "火星镇"), ("a", "b", "c")]:
        assert asked(*nonsense) is None, nonsense
    # The periods, checked by hand: the ISO week of that Monday, local midnights.
    w = week(DAY, ZONE)
    assert (w.label, w.start, w.end) == ("2026-W49", local(DAY), local(date(2026, 12, 7)))
    r = between(date(2026, 11, 1), date(2026, 11, 15), ZONE)
    assert (r.label, r.start, r.end) == (
        "2026-11-01~2026-11-15",
        local(date(2026, 11, 1)),
        local(date(2026, 11, 16)),
    )


@pytest.mark.parametrize(
    ("words", "head", "label", "figures"),
    [
        # The week starts on the Monday itself: yesterday's case is last week's.
        (("week",), "liaison.head.week", "2026-W49", (5, 2, 1)),
        (("2026-11",), "liaison.head.month", "2026-11", (6, 3, 1)),
        (("2026-11-01", "2026-11-29"), "liaison.head.range", "2026-11-01~2026-11-29", (1, 1, 0)),
        # 花石镇's one case of yesterday, with 太保.
        (("yesterday", "花石镇"), "liaison.head.day", "2026-11-29", (1, 1, 0)),
    ],
)
async def test_stats_answers_the_period_asked(
    svc: Services,
    words: tuple[str, ...],
    head: str,
    label: str,
    figures: tuple[int, int, int],
):
    await stats_day(svc)
    got = await produced(svc, show_stats(svc, command(LIAISON, *words)))
    assert got.result is True
    lines = lines_of(got.texts())
    assert lines[0] == t(head, "zh", label=label)
    opened, closed, police = figures
    assert counts(opened=opened, closed=closed, police=police) in lines
    if opened == 1:
        assert slice_line(lines, "花石镇").startswith("· 花石镇：1 起")
        assert not any(line.startswith("· 射埠镇") for line in lines)


async def test_nonsense_gets_the_usage(svc: Services):
    await stats_day(svc)
    got = await produced(svc, show_stats(svc, command(LIAISON, "nonsense")))
    assert got.result is False
    assert got.texts() == [t("liaison.err.period", "zh")]
    assert got.audit == []


# --- the digest's schedule ----------------------------------------------------------


def _at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=ZoneInfo(ZONE))


@pytest.mark.parametrize(
    ("local_now", "labels"),
    [
        (_at(WEDNESDAY, 7, 59), []),
        (_at(WEDNESDAY, 8), ["day:2026-12-01"]),
        (_at(WEDNESDAY, 23, 59), ["day:2026-12-01"]),
        # Monday: also the ISO week before (23rd to 29th).
        (_at(DAY, 8), ["day:2026-11-29", "week:2026-W48"]),
        # The 1st (a Tuesday): also the month before.
        (_at(date(2026, 12, 1), 9), ["day:2026-11-30", "month:2026-11"]),
        # A Monday that is the 1st: all three.
        (_at(date(2027, 2, 1), 8), ["day:2027-01-31", "week:2027-W04", "month:2027-01"]),
    ],
)
def test_digest_periods(local_now: datetime, labels: list[str]):
    due = digest_periods(local_now, time(8, 0), ZONE)
    assert [f"{p.kind}:{p.label}" for p in due] == labels


def test_digest_periods_are_whole_local_periods():
    daily, weekly, monthly = digest_periods(_at(date(2027, 2, 1), 8), time(8, 0), ZONE)
    assert (daily.start, daily.end) == (local(date(2027, 1, 31)), local(date(2027, 2, 1)))
    assert (weekly.start, weekly.end) == (local(date(2027, 1, 25)), local(date(2027, 2, 1)))
    assert (monthly.start, monthly.end) == (local(date(2027, 1, 1)), local(date(2027, 2, 1)))


async def wednesday(svc: Services) -> list[Seeded]:
    """Three cases of the Wednesday: two in 花石镇 (one closed, one waiting for 平安), one
    approved in 射埠镇."""
    await make_groups(svc)
    return [
        await seed_case(svc, township="HS", opened=local(WEDNESDAY, 9), outcome="closed"),
        await seed_case(svc, township="HS", opened=local(WEDNESDAY, 10), outcome="waiting"),
        await seed_case(
            svc, township="SB", opened=local(WEDNESDAY, 11), outcome="approved", insurer="PICC"
        ),
    ]


async def test_the_digest_is_queued_once_at_its_time_with_its_chart(svc: Services):
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT))
    await wednesday(svc)
    set_clock(svc, THURSDAY_MORNING - timedelta(minutes=1))
    early = await produced(svc, send_due_digests(svc))
    assert (early.result, early.outbox, early.audit) == (0, [], [])

    set_clock(svc, THURSDAY_MORNING)
    got = await produced(svc, send_due_digests(svc))
    assert got.result == 1
    [sent] = await rows(svc, DigestSent)
    assert (sent.chat_id, sent.period, sent.sent_at) == (
        OFFICE_CHAT,
        "day:2026-12-02",
        THURSDAY_MORNING,
    )
    [event] = got.audit
    assert (event.kind, event.chat_id, event.data) == (
        "liaison.digest",
        OFFICE_CHAT,
        {"period": "day:2026-12-02"},
    )
    assert {i.chat_id for i in got.outbox} == {OFFICE_CHAT}
    lines = lines_of(got.texts())
    assert lines[0] == t("liaison.head.day", "zh", label="2026-12-02")
    assert counts(opened=3, closed=1) in lines
    assert t("liaison.month_to_date", "zh", label="2026-12-01~2026-12-02") in lines
    [chart] = sent_to(got.outbox, OFFICE_CHAT, "send_file")
    assert chart.payload["photo"] is True
    assert chart.payload["caption"] == t("liaison.chart_caption", "zh", label="2026-12-02")
    path = svc.media_dir / str(chart.payload["path"])
    assert path.is_file() and path.read_bytes().startswith(PNG)

    later = await produced(svc, send_due_digests(svc))
    assert (later.result, later.outbox, later.audit) == (0, [], [])
    set_clock(svc, THURSDAY_MORNING + timedelta(hours=6))
    assert await send_due_digests(svc) == 0
    assert len(await rows(svc, DigestSent)) == 1


async def test_an_office_of_one_township_gets_only_that_townships_cases(svc: Services):
    with_offices(
        svc, LiaisonChat(chat_id=OFFICE_CHAT, townships=("HS",)), LiaisonChat(chat_id=PERSONAL_CHAT)
    )
    seeded = await wednesday(svc)
    set_clock(svc, THURSDAY_MORNING)
    got = await produced(svc, send_due_digests(svc))
    assert got.result == 2
    hs_only = lines_of(texts_to(got.outbox, OFFICE_CHAT))
    assert counts(opened=2, closed=1) in hs_only
    assert slice_line(hs_only, "花石镇").startswith("· 花石镇：2 起")
    assert not any("射埠镇" in line or "人保" in line for line in hs_only)
    sb_numbers = [s.number for s in seeded if s.township == "SB"]
    assert not any(n in line for n in sb_numbers for line in hs_only)
    everything = lines_of(texts_to(got.outbox, PERSONAL_CHAT))
    assert counts(opened=3, closed=1) in everything
    assert slice_line(everything, "射埠镇").startswith("· 射埠镇：1 起")
    # 平安's waiting case is overdue by the morning: listed in both offices' digests.
    [waiting] = [s for s in seeded if s.outcome == "waiting"]
    assert any(waiting.number in line for line in hs_only)
    assert any(waiting.number in line for line in everything)
    for chat in (OFFICE_CHAT, PERSONAL_CHAT):
        [chart] = sent_to(got.outbox, chat, "send_file")
        assert (svc.media_dir / str(chart.payload["path"])).is_file()


async def test_a_chat_registered_with_setup_gets_the_digest_of_its_scope(svc: Services):
    hs_person = Person(user_id=1006, name="花石镇联席办", role="liaison", townships=("HS",))
    with_people(svc, hs_person)
    assert await setup_group(svc, setup_request(1006, "联席办")) is SetupOutcome.REGISTERED
    seeded = await wednesday(svc)
    set_clock(svc, THURSDAY_MORNING)
    got = await produced(svc, send_due_digests(svc))
    assert got.result == 1
    assert [(e.kind, e.chat_id) for e in got.audit] == [("liaison.digest", OFFICE_CHAT)]
    lines = lines_of(texts_to(got.outbox, OFFICE_CHAT))
    assert counts(opened=2, closed=1) in lines
    assert not any(s.number in line for s in seeded if s.township == "SB" for line in lines)


async def test_a_quiet_day_is_one_line_and_no_chart(svc: Services):
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT))
    await make_groups(svc)
    set_clock(svc, THURSDAY_MORNING)
    got = await produced(svc, send_due_digests(svc))
    assert got.result == 1
    assert got.kinds() == ["send_text"]
    assert got.texts() == [t("liaison.quiet", "zh", label="2026-12-02")]
    assert got.audit_kinds() == ["liaison.digest"]
    assert [(d.chat_id, d.period) for d in await rows(svc, DigestSent)] == [
        (OFFICE_CHAT, "day:2026-12-02")
    ]
    charts = svc.media_dir / "digests"
    assert not charts.exists() or not any(charts.iterdir())


async def test_two_digest_runs_at_once_queue_each_digest_once(svc: Services):
    # On PostgreSQL both runs may find nothing sent and race on digest_sent's key; on
    # SQLite the second transaction waits for the first's write lock. Either way each
    # chat gets each period's digest once.
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT), LiaisonChat(chat_id=PERSONAL_CHAT))
    await make_groups(svc)
    for hour in (9, 10, 11):
        await seed_case(svc, township="HS", opened=local(DAY, hour), outcome="closed")
    # The 1st, a Tuesday: yesterday's digest and last month's.
    set_clock(svc, local(date(2026, 12, 1), 8))
    got = await produced(svc, asyncio.gather(send_due_digests(svc), send_due_digests(svc)))
    assert sum(got.result) == 4
    expected = sorted(
        (chat, period)
        for chat in (OFFICE_CHAT, PERSONAL_CHAT)
        for period in ("day:2026-11-30", "month:2026-11")
    )
    assert sorted((d.chat_id, d.period) for d in await rows(svc, DigestSent)) == expected
    digests = [e for e in got.audit if e.kind == "liaison.digest"]
    assert sorted((e.chat_id or 0, e.data["period"]) for e in digests) == expected
    for chat in (OFFICE_CHAT, PERSONAL_CHAT):
        heads = [text.split("\n")[0] for text in texts_to(got.outbox, chat)]
        assert sorted(heads) == sorted(
            [
                t("liaison.head.day", "zh", label="2026-11-30"),
                t("liaison.head.month", "zh", label="2026-11"),
            ]
        )
        assert len(sent_to(got.outbox, chat, "send_file")) == 2
    again = await produced(svc, asyncio.gather(send_due_digests(svc), send_due_digests(svc)))
    assert (again.result, again.outbox, again.audit) == ([0, 0], [], [])


def overlapping(svc: Services) -> None:
    """From now on each transaction, its work done, waits before committing until another
    one has done its work too, so two runs both find no digest_sent row before either
    commits. The wait is bounded: SQLite lets one writer in at a time, so there the
    second only begins once the first gives up waiting and commits."""
    real = svc.in_transaction
    parked: list[asyncio.Event] = []

    async def held(work: Callable[[AsyncSession], Awaitable[T]], *, attempts: int = 4) -> T:
        async def then_wait(session: AsyncSession) -> T:
            result = await work(session)
            if parked:
                parked.pop().set()
            else:
                other = asyncio.Event()
                parked.append(other)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(other.wait(), timeout=0.5)
                if other in parked:
                    parked.remove(other)
            return result

        return await real(then_wait, attempts=attempts)

    svc.in_transaction = held  # type: ignore[method-assign]


async def test_two_runs_inside_their_transactions_at_once_queue_each_digest_once(
    svc: Services,
):
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT), LiaisonChat(chat_id=PERSONAL_CHAT))
    await make_groups(svc)
    await seed_case(svc, township="HS", opened=local(WEDNESDAY, 9), outcome="closed")
    set_clock(svc, THURSDAY_MORNING)
    overlapping(svc)
    got = await produced(svc, asyncio.gather(send_due_digests(svc), send_due_digests(svc)))
    assert sum(got.result) == 2
    expected = [(OFFICE_CHAT, "day:2026-12-02"), (PERSONAL_CHAT, "day:2026-12-02")]
    assert sorted((d.chat_id, d.period) for d in await rows(svc, DigestSent)) == sorted(expected)
    assert sorted((e.chat_id or 0, e.data["period"]) for e in got.audit) == sorted(expected)
    for chat in (OFFICE_CHAT, PERSONAL_CHAT):
        heads = [text.split("\n")[0] for text in texts_to(got.outbox, chat)]
        assert heads == [t("liaison.head.day", "zh", label="2026-12-02")]
        assert len(sent_to(got.outbox, chat, "send_file")) == 1


# --- personal data ------------------------------------------------------------------


async def masking_day(svc: Services) -> tuple[list[Seeded], list[Seeded]]:
    """Two offices, one allowed to see personal data; the Wednesday's cases (two of them
    with the same driver and phone, one at 23:59 local) and cases just outside it."""
    with_offices(
        svc,
        LiaisonChat(chat_id=OFFICE_CHAT),
        LiaisonChat(chat_id=PERSONAL_CHAT, show_personal_data=True),
    )
    await make_groups(svc)
    # (township, local opening, outcome, phone, driver, inside the Wednesday)
    plan = [
        ("HS", local(WEDNESDAY) - timedelta(minutes=1), "closed", "13700000001", "钱七", False),
        ("HS", local(WEDNESDAY, 9), "closed", PHONE, DRIVER, True),
        ("SB", local(WEDNESDAY, 14), "waiting", PHONE, DRIVER, True),
        ("SB", local(WEDNESDAY, 23, 59), "collecting", "13600000002", "孙八", True),
        ("HS", local(date(2026, 12, 3)), "collecting", "13500000003", "周九", False),
    ]
    inside: list[Seeded] = []
    outside: list[Seeded] = []
    for town, opened, outcome, phone, driver, within in plan:
        made = await seed_case(
            svc, township=town, opened=opened, outcome=outcome, phone=phone, driver=driver
        )
        (inside if within else outside).append(made)
    set_clock(svc, THURSDAY_MORNING)
    return inside, outside


async def seen_from(svc: Services, chat_id: int) -> Oversight:
    async with svc.db.session() as session:
        seen = await oversight(
            session, svc, chat_id=chat_id, chat_type="supergroup", user_id=LIAISON
        )
    assert isinstance(seen, Oversight)
    return seen


async def exported(svc: Services, seen: Oversight) -> list[ExportRow]:
    return [row async for row in export_rows(svc, day(WEDNESDAY, ZONE), seen, lang="zh")]


async def test_the_digest_masks_repeated_phones_unless_the_chat_may_see_them(svc: Services):
    inside, _ = await masking_day(svc)
    got = await produced(svc, send_due_digests(svc))
    assert got.result == 2
    numbers = "、".join(sorted(s.number for s in inside if s.phone == PHONE))

    def repeated(shown: str) -> str:
        item = t("liaison.repeat_item", "zh", value=shown, numbers=numbers)
        return t("liaison.repeat_phones", "zh", items=Raw(item))

    masked = lines_of(texts_to(got.outbox, OFFICE_CHAT))
    assert repeated("138****5678") in masked
    assert not any(PHONE in line or DRIVER in line for line in masked)
    shown = lines_of(texts_to(got.outbox, PERSONAL_CHAT))
    assert repeated(PHONE) in shown


async def test_export_rows_mask_drivers_unless_the_chat_may_see_them(svc: Services):
    inside, _ = await masking_day(svc)
    masked = await exported(svc, await seen_from(svc, OFFICE_CHAT))
    assert [r.number for r in masked] == [s.number for s in inside]
    assert masked[0].drivers == "甲 欧阳** 138****5678"
    for row, case in zip(masked, inside, strict=True):
        assert row.drivers == f"甲 {mask_name(case.driver)} {mask_phone(case.phone)}"
        assert case.phone not in row.drivers and case.driver not in row.drivers
    shown = await exported(svc, await seen_from(svc, PERSONAL_CHAT))
    assert [r.number for r in shown] == [s.number for s in inside]
    assert [r.drivers for r in shown] == [f"甲 {s.driver} {s.phone}" for s in inside]


def _cells_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _cells_xlsx(path: Path) -> dict[str, list[list[str]]]:
    book = load_workbook(path, read_only=True)
    try:
        return {
            sheet.title: [
                ["" if v is None else str(v) for v in row]
                for row in sheet.iter_rows(values_only=True)
            ]
            for sheet in book.worksheets
        }
    finally:
        book.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_written_exports_hold_the_periods_cases_masked_or_not(
    svc: Services, tmp_path: Path, fmt: str
):
    inside, outside = await masking_day(svc)
    period = day(WEDNESDAY, ZONE)
    number_col = t("liaison.export.col.number", "zh")
    drivers_col = t("liaison.export.col.drivers", "zh")
    for chat, personal in ((OFFICE_CHAT, False), (PERSONAL_CHAT, True)):
        path = tmp_path / f"{chat}.{fmt}"
        count = await write_export(
            svc, period, await seen_from(svc, chat), path, lang="zh", fmt=fmt
        )
        assert count == len(inside)
        if fmt == "csv":
            assert path.read_bytes().startswith(b"\xef\xbb\xbf")
            sheets = {"cases": _cells_csv(path)}
            cases = sheets["cases"]
        else:
            sheets = _cells_xlsx(path)
            cases = sheets[t("liaison.export.sheet.cases", "zh")]
        header, *body = cases
        numbers = [row[header.index(number_col)] for row in body]
        assert numbers == [s.number for s in inside]
        assert not any(s.number in numbers for s in outside)
        drivers = [row[header.index(drivers_col)] for row in body]
        every_cell = "\n".join(c for sheet in sheets.values() for row in sheet for c in row)
        if personal:
            assert drivers == [f"甲 {s.driver} {s.phone}" for s in inside]
        else:
            assert drivers == [f"甲 {mask_name(s.driver)} {mask_phone(s.phone)}" for s in inside]
            for s in inside:
                assert s.phone not in every_cell and s.driver not in every_cell


# --- /export ------------------------------------------------------------------------


async def test_export_is_refused_in_a_township_group(svc: Services):
    await stats_day(svc)
    got = await produced(svc, export_cases(svc, command(POLICE, chat_id=CHAT)))
    assert got.result is None
    assert got.kinds() == ["send_text"]
    assert got.texts() == [t("liaison.err.export_here", "zh")]
    assert got.audit == []
    assert not (svc.media_dir / "exports").exists()


async def test_export_is_refused_to_a_stranger_in_the_office_chat(svc: Services):
    await stats_day(svc)
    got = await produced(svc, export_cases(svc, command(STRANGER)))
    assert got.result is None
    assert got.texts() == [t("liaison.err.nobody", "zh")]
    assert got.audit_kinds() == ["liaison.refused"]


async def month_edges(svc: Services) -> tuple[list[Seeded], list[Seeded]]:
    """Cases at November's local edges: 23:59 on 10-31 (15:59 UTC) and 00:00 on 12-01 are
    outside it; 00:00 on 11-01 and 23:59 on 11-30 inside."""
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT))
    await make_groups(svc)
    before = await seed_case(
        svc, township="HS", opened=local(date(2026, 10, 31), 23, 59), outcome="closed"
    )
    inside = [
        await seed_case(svc, township="HS", opened=local(date(2026, 11, 1)), outcome="closed"),
        await seed_case(svc, township="SB", opened=local(DAY, 9), outcome="approved"),
        await seed_case(svc, township="HS", opened=local(DAY, 23, 59), outcome="waiting"),
    ]
    after = await seed_case(
        svc, township="SB", opened=local(date(2026, 12, 1)), outcome="collecting"
    )
    set_clock(svc, local(date(2026, 12, 1), 9))
    return inside, [before, after]


async def test_export_in_the_office_chat_sends_the_spreadsheet(svc: Services):
    inside, outside = await month_edges(svc)
    asked = command(LIAISON, "2026-11")
    got = await produced(svc, export_cases(svc, asked))
    assert got.result == len(inside)
    [item] = got.outbox
    assert (item.kind, item.chat_id) == ("send_file", OFFICE_CHAT)
    assert item.payload["filename"] == "kuaipei-2026-11.xlsx"
    assert item.payload["reply_to"] == asked.message_id
    assert item.payload["caption"] == t("liaison.export.caption", "zh", label="2026-11", n=3)
    path = svc.media_dir / str(item.payload["path"])
    assert path.is_file()
    cases = _cells_xlsx(path)[t("liaison.export.sheet.cases", "zh")]
    assert [row[0] for row in cases[1:]] == [s.number for s in inside]
    assert not any(s.number in row[0] for s in outside for row in cases)
    [event] = got.audit
    assert (event.kind, event.chat_id, event.actor_user_id, event.data) == (
        "liaison.exported",
        OFFICE_CHAT,
        LIAISON,
        {"period": "2026-11", "format": "xlsx", "cases": 3},
    )


async def test_export_csv_defaults_to_this_month(svc: Services):
    _, outside = await month_edges(svc)
    got = await produced(svc, export_cases(svc, command(LIAISON, "csv")))
    assert got.result == 1
    [item] = got.outbox
    assert (item.kind, item.payload["filename"]) == ("send_file", "kuaipei-2026-12.csv")
    path = svc.media_dir / str(item.payload["path"])
    header, *body = _cells_csv(path)
    assert [row[0] for row in body] == [outside[1].number]
    [event] = await audits(svc, "liaison.exported")
    assert event.data == {"period": "2026-12", "format": "csv", "cases": 1}


async def test_the_export_period_must_be_a_period(svc: Services):
    await month_edges(svc)
    got = await produced(svc, export_cases(svc, command(LIAISON, "2026-11", "花石镇")))
    assert got.result is None
    assert got.texts() == [t("liaison.err.period", "zh")]
    assert await rows(svc, OutboxItem, col(OutboxItem.kind) == "send_file") == []


def test_missed_days_are_the_days_after_the_last_digest_at_most_a_week_back():
    assert missed_days(None, date(2026, 12, 10)) == []  # nothing sent yet: nothing to catch up
    # The 2nd's digest (of the 1st) was the last: the 3rd..9th sent nothing.
    assert missed_days(date(2026, 12, 1), date(2026, 12, 10)) == [
        date(2026, 12, d) for d in range(3, 10)
    ]
    assert missed_days(date(2026, 12, 8), date(2026, 12, 10)) == []  # sent on the 9th
    assert missed_days(date(2026, 11, 1), date(2026, 12, 10))[0] == date(2026, 12, 3)


async def test_digests_missed_while_the_bot_was_down_go_out_late_once(svc: Services):
    with_offices(svc, LiaisonChat(chat_id=OFFICE_CHAT))
    await wednesday(svc)
    set_clock(svc, THURSDAY_MORNING)
    assert await send_due_digests(svc) == 1  # the Wednesday, on Thursday
    # Down from Thursday until Tuesday morning: Friday's, the weekend's and Monday's
    # digests (with Monday's weekly one) were missed.
    set_clock(svc, THURSDAY_MORNING + timedelta(days=5))
    got = await produced(svc, send_due_digests(svc))
    keys = sorted(e.data["period"] for e in got.audit if e.kind == "liaison.digest")
    assert keys == [
        "day:2026-12-03",
        "day:2026-12-04",
        "day:2026-12-05",
        "day:2026-12-06",
        "day:2026-12-07",
        "week:2026-W49",
    ]
    assert await send_due_digests(svc) == 0
