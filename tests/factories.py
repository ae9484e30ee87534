"""Factories for the middle test tier: real Services over a real database, rows made directly.

The example deployment's people have the roles (bot/config/kuaipei.example.yaml); anyone
else is a stranger unless a test grants them a role with `make_member`. Every factory
writes in its own transaction and returns the row as stored. `produced` runs one use-case
call and hands back the outbox items and audit events that call wrote, so a test can say
what the bot would have said and recorded without a Telegram in the loop.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import col, select

from bot.compose.wiring import wire
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.kernel.buttons import PREFIX, Press, PressResult, button_data, press_button
from bot.kernel.clock import ManualClock
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import t
from storage.db import Database
from storage.models import (
    AuditEvent,
    Case,
    CaseMessage,
    ChatGroup,
    InsurerClaim,
    InsurerRow,
    Member,
    OutboxItem,
    Party,
    Photo,
    RoleRequest,
)

T = TypeVar("T")

# 10:00 in Asia/Shanghai: every adjuster of the example deployment is on duty.
MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
CHAT = -1001000000001
OTHER_CHAT = -1001000000002

# People of the example deployment (bot/config/kuaipei.example.yaml).
POLICE = 700000001
PICC_ADJUSTER = 5829104736  # 刘建平
PICC_SUPERVISOR = 5391027746  # 谭志勇
PINGAN_ADJUSTER = 5748203915  # 陈晓东
PINGAN_ADJUSTER_2 = 6281039457  # 胡敏
PINGAN_SUPERVISOR = 5610294837  # 周卫国
CPIC_ADJUSTER = 5903712648  # 李娟
# People with no role anywhere unless a test gives them one.
ASSISTANT = 1001  # opens the cases made here, so counts as their assistant
STRANGER = 1002
ADMIN = 1003  # a Telegram chat admin when a press says so
OFFICER_2 = 1004  # a second officer, granted in the chat by the tests that need one

NAMES = {
    POLICE: "湘潭县交警大队值班员",
    PICC_ADJUSTER: "刘建平",
    PICC_SUPERVISOR: "谭志勇",
    PINGAN_ADJUSTER: "陈晓东",
    PINGAN_ADJUSTER_2: "胡敏",
    PINGAN_SUPERVISOR: "周卫国",
    CPIC_ADJUSTER: "李娟",
    ASSISTANT: "王协理",
    STRANGER: "赵师傅",
    ADMIN: "李队长",
    OFFICER_2: "张警官",
}

# The standard rear-end case of docs/domain.md example A: 甲 hit 乙 from behind.
PARTIES: dict[str, dict[str, Any]] = {
    "甲": {
        "plate": "湘C12345",
        "insurer_code": "PINGAN",
        "driver_name": "张三",
        "phone": "13800001111",
        "vehicle_type": "小型轿车",
        "estimate_fen": 150000,
        "grade": "full",
        "situations": ["rear_end"],
    },
    "乙": {
        "plate": "湘C67890",
        "insurer_code": "PICC",
        "driver_name": "李四",
        "phone": "13900002222",
        "vehicle_type": "小型普通客车",
        "estimate_fen": 400000,
        "grade": "none",
        "situations": [],
    },
}

_next_message_id = [10_000]


def next_message_id() -> int:
    """A chat message id no other row of the test uses."""
    _next_message_id[0] += 1
    return _next_message_id[0]


async def make_services(
    database_url: str, *, media_dir: Path, now: datetime = MORNING, **deployment: Any
) -> Services:
    """Services over a migrated database, wired as the app wires them, on a manual clock.

    Keyword arguments replace fields of the example deployment (`people=(...)`).
    """
    loaded = load_deployment(EXAMPLE_FILE)
    if deployment:
        loaded = loaded.model_copy(update=deployment)
    svc = Services(
        db=Database(database_url), clock=ManualClock(now), deployment=loaded, media_dir=media_dir
    )
    wire(svc)
    async with svc.db.transaction() as s:
        for ins in loaded.insurers:
            s.add(InsurerRow(code=ins.code, name=ins.name, short_name=ins.short_name))
    return svc


async def make_group(
    svc: Services,
    *,
    chat_id: int = CHAT,
    township: str = "HS",
    is_forum: bool = True,
    title: str = "花石镇快处快赔群",
    language: str = "zh",
) -> ChatGroup:
    """A group registered (/setup) for a township of the deployment."""
    prefix = next(town.case_prefix for town in svc.deployment.townships if town.code == township)
    group = ChatGroup(
        chat_id=chat_id,
        title=title,
        township_code=township,
        case_prefix=prefix,
        is_forum=is_forum,
        language=language,
        registered_by=ADMIN,
        registered_at=svc.clock.now(),
    )
    async with svc.db.transaction() as s:
        s.add(group)
    return group


async def make_case(
    svc: Services,
    *,
    chat_id: int = CHAT,
    status: str = "collecting",
    thread_mode: str = "forum",
    opener: int = ASSISTANT,
    township: str = "HS",
    number: str | None = None,
    eligibility: dict[str, bool] | None = None,
    police_claimed_by: int | None = None,
) -> Case:
    """A case with its thread and card in place (a forum topic, or a reply chain).

    The group must exist (`make_group`). The origin photo and the card are linked to the
    case, so a reply to either (or a post in the topic) is in its thread.
    """
    now = svc.clock.now()
    origin, card = next_message_id(), next_message_id()
    async with svc.db.transaction() as s:
        seq = int((await s.exec(select(func.count()).select_from(Case))).one()) + 1
        case = Case(
            number=number or f"{township}-20261130-{seq:03d}",
            chat_id=chat_id,
            township_code=township,
            status=status,
            thread_mode=thread_mode,
            message_thread_id=next_message_id() if thread_mode == "forum" else None,
            origin_message_id=origin,
            card_message_id=card,
            opened_by=opener,
            opened_by_name=NAMES.get(opener, str(opener)),
            opened_at=now,
            updated_at=now,
            eligibility=eligibility or {},
            ready_at=now if status not in ("collecting", "police", "cancelled") else None,
            police_claimed_by=police_claimed_by,
            police_claimed_by_name=NAMES.get(police_claimed_by) if police_claimed_by else None,
            police_claimed_at=now if police_claimed_by else None,
        )
        s.add(case)
        await s.flush()
        assert case.id is not None
        s.add(CaseMessage(chat_id=chat_id, message_id=origin, case_id=case.id, kind="photo"))
        s.add(
            CaseMessage(
                chat_id=chat_id, message_id=card, case_id=case.id, from_bot=True, kind="card"
            )
        )
    return case


async def make_party(
    svc: Services,
    case: Case,
    *,
    label: str = "甲",
    complete: bool = True,
    confirmed: bool = False,
    **fields: Any,
) -> Party:
    """A party of a case: complete (the rear-end example's 甲 or 乙) or only a plate."""
    base = dict(PARTIES.get(label, PARTIES["乙"]))
    values = base if complete else {"plate": base["plate"]}
    values |= fields
    now = svc.clock.now()
    if confirmed:
        values.setdefault("confirmed_at", now)
        values.setdefault("confirmed_via", "paper")
    party = Party(case_id=case.id or 0, label=label, **values)
    async with svc.db.transaction() as s:
        s.add(party)
    return party


async def make_photo(
    svc: Services, case: Case, *, slot: str | None = None, by: int = ASSISTANT
) -> Photo:
    """A photo of the case, downloaded and stored, in a checklist slot (None: an extra)."""
    message_id = next_message_id()
    photo = Photo(
        case_id=case.id or 0,
        chat_id=case.chat_id,
        message_id=message_id,
        file_id=f"file-{message_id}",
        file_unique_id=f"unique-{message_id}",
        from_user_id=by,
        received_at=svc.clock.now(),
        slot=slot,
        status="stored",
        stored_at=svc.clock.now(),
    )
    async with svc.db.transaction() as s:
        s.add(photo)
        await s.flush()
        s.add(CaseMessage(chat_id=case.chat_id, message_id=message_id, case_id=case.id or 0))
    return photo


async def make_claim(
    svc: Services,
    case: Case,
    *,
    insurer: str = "PINGAN",
    status: str = "pinged",
    requested_fen: int = 540000,
    approved_fen: int | None = None,
    paid_fen: int = 0,
    round: int = 1,
    ping_message_id: int | None = None,
) -> InsurerClaim:
    """One paying insurer's claim in `status`, its ping sent (`ping_id` finds it).

    An approved or paid claim is approved for the requested amount unless told otherwise.
    """
    if approved_fen is None and status in ("approved", "paid"):
        approved_fen = requested_fen
    if status == "paid" and paid_fen == 0:
        paid_fen = approved_fen or 0
    ping = ping_message_id or next_message_id()
    now = svc.clock.now()
    decided = status not in ("pinged", "superseded")
    claim = InsurerClaim(
        case_id=case.id or 0,
        insurer_code=insurer,
        round=round,
        status=status,
        layers=[{"layer": "third_party", "payee": "乙", "amount_fen": requested_fen}],
        requested_fen=requested_fen,
        approved_fen=approved_fen,
        paid_fen=paid_fen,
        decided_by=PINGAN_ADJUSTER if decided else None,
        decided_at=now if decided else None,
        created_at=now,
    )
    async with svc.db.transaction() as s:
        s.add(claim)
        await s.flush()
        # Linked as the sender links a sent ping: a case message referring to its claim.
        s.add(
            CaseMessage(
                chat_id=case.chat_id,
                message_id=ping,
                case_id=case.id or 0,
                from_bot=True,
                kind="text",
                ref=f"claim:{claim.id}",
            )
        )
    return claim


async def ping_id(svc: Services, claim: InsurerClaim) -> int:
    """The message id of a claim's ping."""
    async with svc.db.session() as s:
        stmt = select(CaseMessage.message_id).where(CaseMessage.ref == f"claim:{claim.id}")
        found = (await s.exec(stmt)).first()
    assert found is not None
    return found


async def make_member(
    svc: Services,
    *,
    user_id: int,
    role: str,
    insurer: str | None = None,
    chat_id: int = CHAT,
    name: str | None = None,
) -> Member:
    """A role granted in one group (/role or an approved /join)."""
    member = Member(
        chat_id=chat_id,
        user_id=user_id,
        display_name=name or NAMES.get(user_id, f"群员{user_id}"),
        role=role,
        insurer_code=insurer,
        created_at=svc.clock.now(),
    )
    async with svc.db.transaction() as s:
        s.add(member)
    return member


async def make_role_request(
    svc: Services,
    *,
    user_id: int = STRANGER,
    role: str = "assistant",
    insurer: str | None = None,
    chat_id: int = CHAT,
    status: str = "pending",
) -> RoleRequest:
    """A /join request waiting for a group admin (or already decided)."""
    request = RoleRequest(
        chat_id=chat_id,
        user_id=user_id,
        display_name=NAMES.get(user_id, f"群员{user_id}"),
        role=role,
        insurer_code=insurer,
        status=status,
        requested_at=svc.clock.now(),
    )
    async with svc.db.transaction() as s:
        s.add(request)
    return request


# --- calling the entry points ---------------------------------------------------------


async def issue(
    svc: Services,
    action: str,
    *,
    case: Case | None = None,
    chat_id: int = CHAT,
    expires_at: datetime | None = None,
    **args: Any,
) -> str:
    """A button token, issued the way the card sections and pings issue theirs."""
    async with svc.db.transaction() as s:
        data = await button_data(
            s,
            now=svc.clock.now(),
            chat_id=case.chat_id if case else chat_id,
            case_id=case.id if case else None,
            action_name=action,
            expires_at=expires_at,
            **args,
        )
    return data.removeprefix(PREFIX)


async def claim_token(svc: Services, case: Case, claim: InsurerClaim, action: str) -> str:
    """The token of one of a claim's buttons (approve, adjust, survey, reject, paid_full)."""
    return await issue(
        svc, f"claim.{action}", case=case, claim=claim.id, insurer=claim.insurer_code
    )


def press_texts(svc: Services) -> dict[str, str]:
    """What the button handler hands press_button for unknown and expired tokens."""
    return {
        "unknown": t("button.unknown", svc.language),
        "expired": t("button.expired", svc.language),
    }


async def press(
    svc: Services,
    token: str,
    user_id: int,
    *,
    chat_id: int = CHAT,
    message_id: int | None = None,
    chat_admin: bool | None = None,
) -> PressResult:
    """A press of a button, as handlers/buttons.py hands it to the use case."""
    return await press_button(
        svc,
        Press(
            token=token,
            chat_id=chat_id,
            message_id=message_id,
            user_id=user_id,
            user_name=NAMES.get(user_id, str(user_id)),
            chat_admin=chat_admin,
        ),
        texts=press_texts(svc),
    )


def text_in(
    case: Case,
    text: str,
    user_id: int,
    *,
    reply_to: int | None = None,
    topic: bool = True,
) -> IncomingText:
    """A text message in a case's thread: in its topic, or replying to its card."""
    in_topic = topic and case.thread_mode == "forum"
    return IncomingText(
        chat_id=case.chat_id,
        message_id=next_message_id(),
        user_id=user_id,
        user_name=NAMES.get(user_id, str(user_id)),
        text=text,
        topic_id=case.message_thread_id if in_topic else None,
        reply_to_message_id=reply_to if reply_to else (None if in_topic else case.card_message_id),
        chain_root_id=None if in_topic else case.origin_message_id,
    )


# --- what a call produced -------------------------------------------------------------


@dataclass
class Produced(Generic[T]):
    """A use case's return value and the outbox items and audit events it wrote."""

    result: T
    outbox: list[OutboxItem] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)

    def audit_kinds(self) -> list[str]:
        return [e.kind for e in self.audit]

    def texts(self) -> list[str]:
        """The texts of the messages it queued (cards are rendered later, by the sender)."""
        return [
            str(item.payload.get("text", "")) for item in self.outbox if item.kind == "send_text"
        ]

    def kinds(self) -> list[str]:
        return [item.kind for item in self.outbox]


async def _last_ids(svc: Services) -> tuple[int, int]:
    async with svc.db.session() as s:
        out = (await s.exec(select(func.max(OutboxItem.id)))).one()
        aud = (await s.exec(select(func.max(AuditEvent.id)))).one()
    return int(out or 0), int(aud or 0)


async def produced(svc: Services, call: Awaitable[T]) -> Produced[T]:
    """Await one use-case call and collect the rows it added to the outbox and the audit log."""
    out_before, audit_before = await _last_ids(svc)
    result = await call
    async with svc.db.session() as s:
        outbox = (
            await s.exec(
                select(OutboxItem)
                .where(col(OutboxItem.id) > out_before)
                .order_by(col(OutboxItem.id))
            )
        ).all()
        audit = (
            await s.exec(
                select(AuditEvent)
                .where(col(AuditEvent.id) > audit_before)
                .order_by(col(AuditEvent.id))
            )
        ).all()
    return Produced(result, list(outbox), list(audit))


async def rows(svc: Services, model: type[T], *where: Any) -> list[T]:
    """Rows of a table, oldest first."""
    async with svc.db.session() as s:
        stmt = select(model).where(*where)
        key = getattr(model, "id", None)
        if key is not None:
            stmt = stmt.order_by(key)
        return list((await s.exec(stmt)).all())


async def get(svc: Services, model: type[T], key: Any) -> T:
    """One row by primary key, freshly read."""
    async with svc.db.session() as s:
        row = await s.get(model, key)
    assert row is not None
    return row
