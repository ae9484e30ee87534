"""Factories for the liaison office's use-case tests: township groups and liaison chats,
cases seeded at given local times in the state the use cases leave them, and the
commands the office, the police and the insurers type.

What the figures read is rows, so a case is written directly with the clock events its
use cases would have noted (`bot.case.clocks.note`, the one door they all go through);
its stage clocks therefore carry the deployment's terms, as in the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.case.status import CaseStatus
from bot.claims.rules import ClaimStatus
from bot.config.deployment import LiaisonChat, Person
from bot.kernel.clock import ManualClock
from bot.kernel.incoming import Command, IncomingPhoto, SetupRequest
from bot.kernel.services import Services
from bot.rules.sla import Event
from storage.models import Case, InsurerClaim, InsurerPayment, Party
from tests.factories import CHAT, NAMES, OTHER_CHAT, make_group, next_message_id
from tests.sla_factories import LIAISON

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
DAY = date(2026, 11, 30)  # a Monday, the day of the tests' MORNING

OFFICE_CHAT = -1001000000009
PERSONAL_CHAT = -1001000000010  # an office allowed to see personal data
GROUPS = {"HS": CHAT, "SB": OTHER_CHAT}

# A liaison person overseeing two townships only (the example's office oversees all).
TWO_TOWN_LIAISON = 1005
TWO_TOWN_PERSON = Person(
    user_id=TWO_TOWN_LIAISON, name="花石射埠联席办", role="liaison", townships=("SB", "HS")
)
PEOPLE_NAMES = {**NAMES, LIAISON: "湘潭县联席办", TWO_TOWN_LIAISON: TWO_TOWN_PERSON.name}


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A local wall-clock time of the region, as the aware UTC instant the rows hold."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


def set_clock(svc: Services, at: datetime) -> None:
    """The manual clock moved forward to `at`."""
    clock = svc.clock
    assert isinstance(clock, ManualClock)
    step = at - clock.now()
    assert step >= timedelta(0), "the clock only moves forward"
    clock.advance(seconds=step.total_seconds())


def with_offices(svc: Services, *chats: LiaisonChat) -> None:
    """The deployment file naming these liaison chats."""
    svc.deployment = svc.deployment.model_copy(update={"liaison_chats": chats})


def with_people(svc: Services, *people: Person) -> None:
    """The deployment file's people, plus these."""
    everyone = (*svc.deployment.people, *people)
    svc.deployment = svc.deployment.model_copy(update={"people": everyone})


async def make_groups(svc: Services) -> None:
    """The township groups of 花石镇 and 射埠镇."""
    await make_group(svc, chat_id=GROUPS["HS"], township="HS")
    await make_group(svc, chat_id=GROUPS["SB"], township="SB", title="射埠镇快处快赔群")


@dataclass(frozen=True)
class Seeded:
    id: int
    number: str
    township: str
    insurer: str | None
    outcome: str
    phone: str
    driver: str
    opened_at: datetime


# What each outcome leaves: the case's status and whether an insurer was asked.
STATUS = {
    "collecting": "collecting",
    "police": "police",
    "waiting": "awaiting_insurer",
    "approved": "approved",
    "closed": "closed",
}
PINGED = frozenset({"waiting", "approved", "closed"})


async def seed_case(
    svc: Services,
    *,
    township: str,
    opened: datetime,
    outcome: str,
    insurer: str = "PINGAN",
    phone: str | None = None,
    driver: str = "张三丰",
    amount_fen: int = 123_456,
) -> Seeded:
    """One case opened at `opened` in a township's group and taken as far as `outcome`:
    collecting; ready 10 minutes later and handed to the police; or ready, its insurer
    pinged and then waiting, approving 20 minutes later, or also paying 3 hours after
    that (closed)."""
    status = STATUS[outcome]
    ready = opened + timedelta(minutes=10) if outcome != "collecting" else None
    approved = (
        ready + timedelta(minutes=20) if ready and outcome in ("approved", "closed") else None
    )
    paid = approved + timedelta(hours=3) if approved and outcome == "closed" else None

    async def work(session: AsyncSession) -> Seeded:
        seq = int((await session.exec(select(func.count()).select_from(Case))).one()) + 1
        number = f"{township}-{opened.astimezone(TZ):%Y%m%d}-{seq:03d}"
        the_phone = phone or f"139{seq:08d}"
        case = Case(
            number=number,
            chat_id=GROUPS[township],
            township_code=township,
            status=CaseStatus(status),
            thread_mode="forum",
            message_thread_id=next_message_id(),
            origin_message_id=next_message_id(),
            card_message_id=next_message_id(),
            opened_by=1001,
            opened_by_name="王协理",
            opened_at=opened,
            updated_at=opened,
            ready_at=ready,
            closed_at=paid,
            police_at=ready if outcome == "police" else None,
        )
        session.add(case)
        await session.flush()
        assert case.id is not None
        session.add(
            Party(
                case_id=case.id,
                label="甲",
                plate=f"湘C{50000 + seq}",
                insurer_code=insurer if outcome in PINGED else None,
                driver_name=driver,
                phone=the_phone,
                grade="full",
            )
        )
        seeded = Seeded(
            case.id,
            number,
            township,
            insurer if outcome in PINGED else None,
            outcome,
            the_phone,
            driver,
            opened,
        )
        clocks.note(session, case.id, Event.CASE_OPENED, at=opened)
        if ready is None:
            return seeded
        clocks.note(session, case.id, Event.CASE_READY, at=ready)
        if outcome == "police":
            clocks.note(session, case.id, Event.HANDED_TO_POLICE, at=ready)
            return seeded
        claim = InsurerClaim(
            case_id=case.id,
            insurer_code=insurer,
            status=ClaimStatus(
                {"closed": "paid", "approved": "approved", "waiting": "pinged"}[outcome]
            ),
            layers=[{"layer": "third_party", "payee": "乙", "amount_fen": amount_fen}],
            requested_fen=amount_fen,
            approved_fen=amount_fen if approved else None,
            paid_fen=amount_fen if paid else 0,
            claim_no=f"RD{seq:06d}" if approved else None,
            decided_at=approved,
            created_at=ready,
        )
        session.add(claim)
        await session.flush()
        assert claim.id is not None
        clocks.note(session, case.id, Event.INSURER_PINGED, at=ready, insurer=insurer)
        if approved is None:
            return seeded
        clocks.note(session, case.id, Event.INSURER_APPROVED, at=approved, insurer=insurer)
        if paid is None:
            return seeded
        session.add(
            InsurerPayment(
                claim_id=claim.id,
                case_id=case.id,
                amount_fen=amount_fen,
                at=paid,
                by=2,
                by_name="平安",
            )
        )
        clocks.note(session, case.id, Event.PAID_IN_FULL, at=paid, insurer=insurer)
        clocks.note(session, case.id, Event.CLOSED, at=paid)
        return seeded

    return await svc.in_transaction(work)


def command(user_id: int, *args: str, chat_id: int = OFFICE_CHAT, **extra: Any) -> Command:
    """/stats or /export with its words, as the handler hands it over."""
    return Command(
        chat_id=chat_id,
        chat_type="supergroup",
        user_id=user_id,
        user_name=PEOPLE_NAMES.get(user_id, str(user_id)),
        message_id=next_message_id(),
        thread_id=None,
        args=args,
        **extra,
    )


def setup_request(
    user_id: int, argument: str, *, chat_id: int = OFFICE_CHAT, admin: bool = True
) -> SetupRequest:
    """/setup with its argument, Telegram having said whether the sender is a chat admin."""
    return SetupRequest(
        chat_id=chat_id,
        chat_type="supergroup",
        title="湘潭县联席办",
        is_forum=False,
        user_id=user_id,
        user_is_admin=admin,
        argument=argument,
        message_id=next_message_id(),
        thread_id=None,
    )


def photo_in(chat_id: int, user_id: int) -> IncomingPhoto:
    """A single scene photo posted in a chat, outside any thread."""
    message_id = next_message_id()
    return IncomingPhoto(
        chat_id=chat_id,
        chat_title="湘潭县联席办",
        chat_is_forum=False,
        message_id=message_id,
        user_id=user_id,
        user_name=PEOPLE_NAMES.get(user_id, str(user_id)),
        file_id=f"file-{message_id}",
        file_unique_id=f"unique-{message_id}",
        media_group_id=None,
        topic_id=None,
        reply_to_message_id=None,
        chain_root_id=None,
    )
