"""A day of cases for the liaison office's e2e tests, written as the use cases leave them.

Driving fifty cases through the local Telegram would take minutes; what the digest reads
is rows, so the day is seeded in the database with the clock events the use cases note,
and only what the office does (register its chat, receive the digest, ask for figures and
a spreadsheet) goes through the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.compose.app import Runtime
from bot.rules.sla import Event
from storage.models import Case, InsurerClaim, InsurerPayment, Party

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 30)  # a Monday
INSURERS = ("PINGAN", "PICC", "CPIC")
TOWNSHIPS = {"HS": "HS", "SB": "SB"}  # township code -> case prefix


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@dataclass(frozen=True)
class Seeded:
    number: str
    township: str
    insurer: str
    outcome: str  # closed, approved, waiting, collecting, police
    phone: str
    driver: str


OUTCOMES = ("closed", "approved", "waiting", "collecting", "closed", "approved")


async def seed_day(bot: Runtime, chats: dict[str, int], n: int = 54) -> list[Seeded]:
    """`n` cases opened through the day, over two townships and three insurers: some
    closed, some approved, some waiting for an insurer (overdue by the next morning), some
    still collecting, and one handed to the police."""
    svc = bot.services
    seeded: list[Seeded] = []
    for i in range(n):
        town = ("HS", "SB")[i % 2]
        # Spread so that every township sees every insurer and every outcome.
        insurer = INSURERS[(i // 2) % 3]
        outcome = "police" if i == 7 else OUTCOMES[(i // 3) % len(OUTCOMES)]
        opened = local(DAY, 8) + timedelta(minutes=12 * i)
        number = f"{TOWNSHIPS[town]}-20261130-{i + 1:03d}"
        phone, driver = f"1380000{i:04d}", f"司机{i:02d}号"

        work = partial(
            _one,
            chat=chats[town],
            town=town,
            insurer=insurer,
            outcome=outcome,
            opened=opened,
            number=number,
            phone=phone,
            driver=driver,
            i=i,
        )
        await svc.in_transaction(work)
        seeded.append(Seeded(number, town, insurer, outcome, phone, driver))
    return seeded


async def _one(
    session: AsyncSession,
    *,
    chat: int,
    town: str,
    insurer: str,
    outcome: str,
    opened: datetime,
    number: str,
    phone: str,
    driver: str,
    i: int,
) -> None:
    ready = opened + timedelta(minutes=10 + i % 5)
    status = {
        "closed": "closed",
        "approved": "approved",
        "waiting": "awaiting_insurer",
        "collecting": "collecting",
        "police": "police",
    }[outcome]
    pinged = outcome in ("closed", "approved", "waiting")
    approved_at = (
        ready + timedelta(minutes=20 + i % 7) if outcome in ("closed", "approved") else None
    )
    paid_at = approved_at + timedelta(hours=3) if outcome == "closed" and approved_at else None
    case = Case(
        number=number,
        chat_id=chat,
        township_code=town,
        status=status,
        origin_message_id=700_000 + i,
        opened_by=1,
        opened_by_name="王协理",
        opened_at=opened,
        updated_at=opened,
        ready_at=ready if outcome != "collecting" else None,
        closed_at=paid_at,
        police_at=ready if outcome == "police" else None,
    )
    session.add(case)
    await session.flush()
    assert case.id is not None
    session.add(
        Party(
            case_id=case.id,
            label="甲",
            plate=f"湘C{10000 + i}",
            insurer_code=insurer,
            driver_name=driver,
            phone=phone,
            grade="full",
        )
    )
    note = clocks.note
    note(session, case.id, Event.CASE_OPENED, at=opened)
    if outcome == "collecting":
        return
    note(session, case.id, Event.CASE_READY, at=ready)
    if outcome == "police":
        note(session, case.id, Event.HANDED_TO_POLICE, at=ready)
        return
    amount = 100_000 + 1_234 * i  # fen
    claim = InsurerClaim(
        case_id=case.id,
        insurer_code=insurer,
        status={"closed": "paid", "approved": "approved", "waiting": "pinged"}[outcome],
        layers=[{"layer": "third_party", "payee": "乙", "amount_fen": amount}],
        requested_fen=amount,
        approved_fen=amount if approved_at else None,
        paid_fen=amount if paid_at else 0,
        claim_no=f"RD{i:06d}" if approved_at else None,
        decided_at=approved_at,
        created_at=ready,
    )
    session.add(claim)
    await session.flush()
    assert pinged
    note(session, case.id, Event.INSURER_PINGED, at=ready, insurer=insurer)
    if approved_at is None:
        return
    note(session, case.id, Event.INSURER_APPROVED, at=approved_at, insurer=insurer)
    if paid_at is None:
        return
    assert claim.id is not None
    session.add(
        InsurerPayment(
            claim_id=claim.id, case_id=case.id, amount_fen=amount, at=paid_at, by=2, by_name="平安"
        )
    )
    note(session, case.id, Event.PAID_IN_FULL, at=paid_at, insurer=insurer)
    note(session, case.id, Event.CLOSED, at=paid_at)
