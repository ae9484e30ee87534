"""SQLModel tables. Telegram ids are 64-bit, money is integer fen, times are UTC-aware."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

# The status enums are pure data: the tables store their values as plain strings.
from bot.case.status import CaseStatus
from bot.claims.rules import ClaimStatus
from storage.types import OutboxStatus, PhotoStatus, RequestStatus, tg_id_column, ts_column


class ChatGroup(SQLModel, table=True):
    """A Telegram group registered for one township."""

    __tablename__ = "chat_group"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    title: str = ""
    township_code: str
    case_prefix: str
    is_forum: bool = False
    timezone: str = "Asia/Shanghai"
    language: str = "zh"
    registered_by: int = tg_id_column()
    registered_at: datetime = ts_column()
    # "township": a case group; "liaison": the liaison office's chat (no cases of its own),
    # overseeing `scope` (township codes; empty: all), with personal data shown or masked.
    kind: str = "township"
    scope: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    show_personal_data: bool = False


class Member(SQLModel, table=True):
    """A person's role in a group (assistant, adjuster, police ...)."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("chat_id", "user_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = tg_id_column(index=True)
    user_id: int = tg_id_column(index=True)
    display_name: str = ""
    role: str
    insurer_code: str | None = None
    created_at: datetime = ts_column()


class InsurerRow(SQLModel, table=True):
    """An insurer of the deployment, kept so cases can reference it."""

    __tablename__ = "insurer"
    code: str = Field(primary_key=True)
    name: str
    short_name: str


class Case(SQLModel, table=True):
    """One accident = one case = one thread."""

    __tablename__ = "accident_case"
    __table_args__ = (UniqueConstraint("chat_id", "origin_message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, index=True)
    chat_id: int = tg_id_column(index=True)
    township_code: str
    status: CaseStatus = Field(default=CaseStatus.COLLECTING, sa_type=AutoString, index=True)
    # "forum": a topic of its own; "reply": a reply chain anchored on the first photo.
    thread_mode: str = "reply"
    message_thread_id: int | None = tg_id_column(nullable=True)
    origin_message_id: int = tg_id_column()
    card_message_id: int | None = tg_id_column(nullable=True)
    card_pinned: bool = False
    card_text: str | None = None
    # Text plus buttons of the card as last sent, to skip edits that change nothing.
    card_signature: str | None = None
    media_group_id: str | None = Field(default=None, index=True)
    opened_by: int = tg_id_column()
    opened_by_name: str = ""
    opened_at: datetime = ts_column(index=True)
    updated_at: datetime = ts_column()
    # When it was closed or cancelled, and first handed to the police: the statistics read
    # these (docs/domain.md §7.1) instead of replaying the audit log.
    closed_at: datetime | None = ts_column(nullable=True, index=True)
    police_at: datetime | None = ts_column(nullable=True, index=True)
    # Eligibility answers (docs/domain.md §2.1), question code -> True/False.
    eligibility: dict[str, bool] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    # "preset" when the grades were proposed from situations, "direct" when set by hand.
    liability_source: str | None = None
    ready_at: datetime | None = ts_column(nullable=True)
    # The police officer working the case from the queue (exclusive), and since when.
    police_claimed_by: int | None = tg_id_column(nullable=True)
    police_claimed_by_name: str | None = None
    police_claimed_at: datetime | None = ts_column(nullable=True)
    # Evidence and scene: the checklist scenario and where the accident happened.
    scenario: str = "default"
    scene_lat: float | None = None
    scene_lon: float | None = None
    scene_source: str | None = None  # "location", "venue" or "photo"
    scene_title: str | None = None
    scene_address: str | None = None
    scene_set_at: datetime | None = ts_column(nullable=True)
    scene_set_by: int | None = tg_id_column(nullable=True)
    # Who stands behind the case towards the insurers (an assistant, the police or an
    # admin): the opener when they hold such a role, else whoever took the case.
    responsible_id: int | None = tg_id_column(nullable=True)
    responsible_name: str | None = None


class CaseCounter(SQLModel, table=True):
    """The last sequence number used for a case prefix on a local date."""

    __tablename__ = "case_counter"
    prefix: str = Field(primary_key=True)
    day: str = Field(primary_key=True)
    last: int = 0


class Party(SQLModel, table=True):
    """A vehicle and its driver in a case (甲/乙/丙)."""

    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("case_id", "label"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    label: str
    plate: str | None = None
    insurer_code: str | None = Field(default=None, foreign_key="insurer.code")
    driver_name: str | None = None
    phone: str | None = None
    vehicle_type: str | None = None
    policy_number: str | None = None
    # Loss estimates (估损) by the assistant; the insurer's assessment (定损) is kept apart.
    estimate_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    other_property_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    situations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    grade: str | None = None
    confirmed_at: datetime | None = ts_column(nullable=True)
    # "telegram" (the driver's own account, through the deep link) or "paper".
    confirmed_via: str | None = None
    confirmed_by: int | None = tg_id_column(nullable=True)
    refused_at: datetime | None = ts_column(nullable=True)
    confirm_token: str | None = Field(default=None, unique=True)


class Photo(SQLModel, table=True):
    """A piece of photo evidence attached to a case."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("case_id", "file_unique_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    chat_id: int = tg_id_column()
    message_id: int = tg_id_column()
    file_id: str
    file_unique_id: str
    media_group_id: str | None = None
    from_user_id: int = tg_id_column()
    received_at: datetime = ts_column()
    # Posted outside any case thread, it joined its sender's recent case by time alone
    # (rules.single_photo_join_minutes); such a photo can be split off into a case of its own.
    joined: bool = False
    # Evidence. "photo" (compressed: Telegram strips EXIF) or "document" (a file).
    kind: str = "photo"
    file_size: int | None = None
    mime_type: str | None = None
    # Checklist slot, e.g. "impact" or "plate:甲"; None for an extra photo.
    slot: str | None = None
    # pending (to download) -> stored; failed after too many attempts. Refused photos are deleted.
    status: PhotoStatus = Field(default=PhotoStatus.PENDING, sa_type=AutoString, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = ts_column(nullable=True)
    last_error: str | None = None
    sha256: str | None = Field(default=None, index=True)
    phash: str | None = Field(default=None, index=True)
    image_format: str | None = None
    width: int | None = None
    height: int | None = None
    has_metadata: bool = False
    taken_at: datetime | None = ts_column(nullable=True)
    taken_offset: str | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None
    stored_at: datetime | None = ts_column(nullable=True)
    # Its case ended longer ago than the evidence period: file deleted (bot/retention/).
    purged_at: datetime | None = ts_column(nullable=True)


class AuditEvent(SQLModel, table=True):
    """What happened, who did it and when; appended in the same transaction as the change."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="accident_case.id", index=True)
    chat_id: int | None = tg_id_column(nullable=True)
    at: datetime = ts_column()
    actor_user_id: int | None = tg_id_column(nullable=True)
    kind: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class InboxUpdate(SQLModel, table=True):
    """A raw update, stored before it is handled; `update_id` makes handling once-only."""

    __tablename__ = "inbox_update"
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The update's chat (0: none), so one process at a time handles a chat's updates in
    # order (bot/transport/inbox_lease.py); NULL only on rows handled before it existed.
    chat_id: int | None = tg_id_column(nullable=True, index=True)
    received_at: datetime = ts_column()
    claimed_at: datetime | None = ts_column(nullable=True)
    handled_at: datetime | None = ts_column(nullable=True, index=True)
    error: str | None = None


class OutboxItem(SQLModel, table=True):
    """Something the bot must say or do in a chat, recorded before it is sent."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = tg_id_column(index=True)
    case_id: int | None = Field(default=None, foreign_key="accident_case.id", index=True)
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(default=None, unique=True)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=AutoString, index=True)
    attempts: int = 0
    not_before: datetime | None = ts_column(nullable=True)
    created_at: datetime = ts_column()
    done_at: datetime | None = ts_column(nullable=True)
    error: str | None = None
    # The sender delivering it (status sending): of several bot processes, one sends it.
    claimed_by: str | None = None
    # Repeats an ambiguous failure may have caused (the answer to a non-idempotent call was
    # lost, or a sender died mid-item), and of which calls (`*`: unknown, a takeover): a
    # second ambiguity on the same call ends the item (docs/architecture.md).
    ambiguous: int = 0
    ambiguous_calls: str | None = None


class CaseMessage(SQLModel, table=True):
    """Which case a chat message belongs to: every bot message and every case photo."""

    __tablename__ = "case_message"
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    from_bot: bool = False
    kind: str = ""
    # What a bot message stands for, when a use case needs it back (`claim:<id>`: a ping).
    ref: str | None = Field(default=None, index=True)


class Button(SQLModel, table=True):
    """An inline button: the callback data carries only this opaque token."""

    __tablename__ = "button"
    __table_args__ = (UniqueConstraint("chat_id", "action", "args_key"),)
    token: str = Field(primary_key=True)
    chat_id: int = tg_id_column(index=True)
    case_id: int | None = Field(default=None, foreign_key="accident_case.id", index=True)
    action: str
    # Canonical JSON of args, so the same button on a re-rendered card keeps its token.
    args_key: str
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = ts_column()
    expires_at: datetime | None = ts_column(nullable=True)


class PendingInput(SQLModel, table=True):
    """A question the bot asked one person in one case, waiting for their reply."""

    __tablename__ = "pending_input"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    chat_id: int = tg_id_column()
    user_id: int = tg_id_column()
    question: str
    party_label: str | None = None
    created_at: datetime = ts_column()
    expires_at: datetime = ts_column()


class MessageInput(SQLModel, table=True):
    """What a person's message in a case thread was taken as: an answer or a quick-form line.

    Telegram delivers an edit as the same message again; this row lets the edit correct
    the field that message set instead of answering whatever question is open now.
    """

    __tablename__ = "message_input"
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    user_id: int = tg_id_column()
    # The question answered (a pending question's code), or "quick_form".
    question: str
    party_label: str | None = None
    at: datetime = ts_column()


class PhotoFlag(SQLModel, table=True):
    """A fraud guard's finding on a photo: reused elsewhere, taken too early, too far away."""

    __tablename__ = "photo_flag"
    __table_args__ = (UniqueConstraint("photo_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    photo_id: int = Field(foreign_key="photo.id", index=True)
    # "reused" (file_unique_id, sha256 or phash), "too_old", "too_far"
    kind: str
    other_case_id: int | None = Field(default=None, foreign_key="accident_case.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = ts_column(index=True)


class RoleRequest(SQLModel, table=True):
    """A member's /join request for a role in a group, until a group admin decides it."""

    __tablename__ = "role_request"
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = tg_id_column(index=True)
    user_id: int = tg_id_column(index=True)
    display_name: str = ""
    role: str
    insurer_code: str | None = None
    # pending -> approved | denied; a decided request never changes again.
    status: RequestStatus = Field(default=RequestStatus.PENDING, sa_type=AutoString, index=True)
    requested_at: datetime = ts_column()
    decided_by: int | None = tg_id_column(nullable=True)
    decided_at: datetime | None = ts_column(nullable=True)


class InsurerClaim(SQLModel, table=True):
    """One paying insurer's part of a case: its ping, decision, numbers, payout."""

    __tablename__ = "insurer_claim"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    insurer_code: str = Field(foreign_key="insurer.code")
    # Routing round: a disputed case routed again supersedes the open claims of the last round.
    round: int = 1
    # pinged -> approved -> paid; pinged -> survey | rejected; any open one -> superseded.
    status: ClaimStatus = Field(default=ClaimStatus.PINGED, sa_type=AutoString, index=True)
    # What the insurer is asked to approve: [{"layer", "payee", "amount_fen", "advanced"}].
    layers: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    requested_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    approved_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    claim_no: str | None = None  # 报案号
    assessed_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    survey_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    recognized_claim_id: int | None = None  # 互认: the claim whose survey result it accepted
    paid_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    decided_by: int | None = tg_id_column(nullable=True)
    decided_by_name: str | None = None
    decided_at: datetime | None = ts_column(nullable=True)
    reason: str | None = None
    created_at: datetime = ts_column(index=True)


class InsurerPayment(SQLModel, table=True):
    """A payment an insurer confirmed for its claim (a claim may be paid in parts)."""

    __tablename__ = "insurer_payment"
    # One chat message records at most one payment: Telegram's edit of it corrects that row.
    __table_args__ = (UniqueConstraint("case_id", "message_id"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="insurer_claim.id", index=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    amount_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    reference: str | None = None
    at: datetime = ts_column()
    by: int = tg_id_column()
    by_name: str = ""
    # The /paid message that recorded it (None: the card's "paid in full" button).
    message_id: int | None = tg_id_column(nullable=True)


class ContactRequest(SQLModel, table=True):
    """A driver's answer in the private chat, waiting for the shared contact that proves it.

    One per account: asking again (another party, another answer) replaces the request.
    """

    __tablename__ = "contact_request"
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    party_id: int = Field(foreign_key="party.id", index=True)
    token: str
    agree: bool
    asked_at: datetime = ts_column()


class StageClock(SQLModel, table=True):
    """One stage's clock of a case (per paying insurer for the insurer stages).

    `clock` holds the frozen terms and the periods it ran (bot/rules/sla_clock.py);
    `fired` the ladder firings done, `silenced` the steps an acknowledgement quietened.
    `due_at` is the next instant the sweep must look at (None: nothing can fall due), the
    one indexed question the sweep asks. Once stopped, the row is the stage's record for
    the statistics: started, stopped, worked time, target met.
    """

    __tablename__ = "stage_clock"
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="accident_case.id", index=True)
    chat_id: int = tg_id_column(index=True)
    township_code: str
    stage: str
    insurer_code: str | None = None
    state: str = Field(default="running", index=True)
    started_at: datetime = ts_column()
    stopped_at: datetime | None = ts_column(nullable=True, index=True)
    target_seconds: int
    worked_seconds: int | None = None
    met_target: bool | None = None
    clock: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    fired: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    silenced: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_at: datetime | None = ts_column(nullable=True, index=True)
    breach_at: datetime | None = ts_column(nullable=True, index=True)
    # The last ladder step that fired (its kind) and when; what the card shows.
    step_kind: str | None = None
    fired_at: datetime | None = ts_column(nullable=True)
    ack_by: int | None = tg_id_column(nullable=True)
    ack_by_name: str | None = None
    ack_at: datetime | None = ts_column(nullable=True)
    ack_until: datetime | None = ts_column(nullable=True)


class ChatLease(SQLModel, table=True):
    """Which sender delivers a chat's outbox now, until when: with several bot processes
    on one database, one at a time per chat keeps the chat's messages in order."""

    __tablename__ = "chat_lease"
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    holder: str
    until: datetime = ts_column()
    # A group's recent send times (epoch seconds) within its flood window: they travel with
    # the lease, so the next process to send into the group keeps the limit (MULTI_PROCESS).
    sent: list[float] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class InboxLease(SQLModel, table=True):
    """Which process handles a chat's stored updates now, until when (MULTI_PROCESS): one
    at a time per chat keeps them in update_id order (bot/transport/inbox_lease.py)."""

    __tablename__ = "inbox_lease"
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    holder: str = Field(index=True)
    until: datetime = ts_column()


class BotProcess(SQLModel, table=True):
    """A running bot process and its last heartbeat (MULTI_PROCESS): the live ones share
    Telegram's overall send budget (bot/transport/fleet.py)."""

    __tablename__ = "bot_process"
    holder: str = Field(primary_key=True)
    started_at: datetime = ts_column()
    seen_at: datetime = ts_column()


class DigestSent(SQLModel, table=True):
    """A digest sent to a chat for a period: recorded with its message, so each period's
    digest goes out once across restarts and processes."""

    __tablename__ = "digest_sent"
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    period: str = Field(primary_key=True)  # "day:2026-11-30", "week:2026-W48", "month:2026-11"
    sent_at: datetime = ts_column()
