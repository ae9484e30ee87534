"""Inline buttons whose callback data is an opaque token looked up on the server.

Anyone in a group can press any button, and a modified client can send any data;
so the data names nothing but a random token, and the action, its case and its
arguments come from the database, where each action re-checks who is pressing.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from storage import queries as q
from storage.models import Button, Case

log = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "b:"
DATA_PATTERN = re.compile(r"^b:[A-Za-z0-9_-]{12}$")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{12}")


def well_formed(token: str) -> bool:
    """Whether a token has the shape the bot issues. Anything else is forged and is refused
    before it reaches the database (PostgreSQL refuses a NUL in a text parameter)."""
    return _TOKEN.fullmatch(token) is not None


@dataclass(frozen=True)
class Press:
    """Who pressed which button where."""

    token: str
    chat_id: int
    message_id: int | None
    user_id: int
    user_name: str
    # What Telegram said just now about the presser being a chat admin; asked only for
    # actions registered with `chat_admin=True`, None otherwise.
    chat_admin: bool | None = None


@dataclass(frozen=True)
class PressResult:
    """What the presser sees: a short toast, or an alert they must dismiss."""

    text: str = ""
    alert: bool = False


ButtonAction = Callable[[AsyncSession, Services, Press, Button], Awaitable[PressResult]]


async def needs_chat_admin(svc: Services, token: str) -> bool:
    """Whether the button behind a token needs the presser's admin status from Telegram."""
    admin_actions = svc.registry.chat_admin_buttons
    if not admin_actions or not well_formed(token):
        return False
    async with svc.db.session() as session:
        button = await session.get(Button, token)
    return button is not None and button.action in admin_actions


async def button_data(
    session: AsyncSession,
    *,
    now: datetime,
    chat_id: int,
    action_name: str,
    case_id: int | None = None,
    expires_at: datetime | None = None,
    **args: Any,
) -> str:
    """The callback data for a button; the same action and arguments reuse their token."""
    key = json.dumps({"case": case_id, **args}, sort_keys=True, ensure_ascii=False)
    stmt = select(Button).where(
        Button.chat_id == chat_id, Button.action == action_name, Button.args_key == key
    )
    existing = (await session.exec(stmt)).first()
    if existing is not None:
        return PREFIX + existing.token
    token = secrets.token_urlsafe(9)  # 12 characters, 72 random bits
    session.add(
        Button(
            token=token,
            chat_id=chat_id,
            case_id=case_id,
            action=action_name,
            args_key=key,
            args=args,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return PREFIX + token


async def press_button(svc: Services, press: Press, *, texts: dict[str, str]) -> PressResult:
    """Run the action behind a pressed button, after checking the token belongs here."""

    async def work(session: AsyncSession) -> PressResult:
        now = svc.clock.now()
        if not well_formed(press.token):
            q.audit(
                session,
                at=now,
                kind="button.refused",
                chat_id=press.chat_id,
                actor=press.user_id,
                reason="malformed",
                # Escaped and cut: forged data may hold NUL or be of any length.
                token=press.token.encode("unicode_escape").decode("ascii")[:80],
            )
            return PressResult(texts["unknown"], alert=True)
        button = await session.get(Button, press.token)
        fn = svc.registry.buttons.get(button.action) if button else None
        if button is None or fn is None or button.chat_id != press.chat_id:
            q.audit(
                session,
                at=now,
                kind="button.refused",
                chat_id=press.chat_id,
                actor=press.user_id,
                reason="unknown",
                token=press.token,
            )
            return PressResult(texts["unknown"], alert=True)
        if button.expires_at is not None and button.expires_at <= now:
            return PressResult(texts["expired"], alert=True)
        result = await fn(session, svc, press, button)
        if result.alert:  # an alert is how a button says no
            log.info("button %s refused in chat %s", button.action, press.chat_id)
        return result

    return await svc.in_transaction(work)


@dataclass
class FreshButtons:
    """Buttons issued in bulk (a sweep's 接单 buttons): each call gives callback data now,
    `insert` writes them all in one statement. Only for arguments never issued before
    (they carry what makes them unique), so no lookup of an existing token is needed."""

    now: datetime
    rows: list[dict[str, Any]] = field(default_factory=list)

    def issue(self, *, chat_id: int, action_name: str, case_id: int | None, **args: Any) -> str:
        token = secrets.token_urlsafe(9)
        key = json.dumps({"case": case_id, **args}, sort_keys=True, ensure_ascii=False)
        self.rows.append(
            {
                "token": token,
                "chat_id": chat_id,
                "case_id": case_id,
                "action": action_name,
                "args_key": key,
                "args": args,
                "created_at": self.now,
                "expires_at": None,
            }
        )
        return PREFIX + token

    async def insert(self, session: AsyncSession) -> None:
        if self.rows:
            conn = await session.connection()
            await conn.execute(insert(Button), self.rows)
            self.rows = []


def grid(cells: list[T], width: int) -> list[list[T]]:
    """Lay buttons out in rows of `width` (the last row may be shorter)."""
    return [cells[i : i + width] for i in range(0, len(cells), width)]


async def case_button(
    session: AsyncSession, svc: Services, case: Case, action_name: str, **args: Any
) -> str:
    """Callback data for a button of one case, issued now."""
    return await button_data(
        session,
        now=svc.clock.now(),
        chat_id=case.chat_id,
        case_id=case.id,
        action_name=action_name,
        **args,
    )
