"""The SLA e2e helpers: a staffed runtime on an injected clock, a liaison office chat, the
bot's reminders as people see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Deployment, LiaisonChat, Person, load_deployment
from bot.kernel.clock import ManualClock
from bot.rules.sla import Event
from storage.models import Case
from tests.e2e.conftest import World, bot_settings
from tests.e2e.helpers import bot_messages, text_of
from tests.e2e.insurer_support import staff_of

# Monday 30 November 2026, 09:00 in Xiangtan: a working day, inside working hours.
MONDAY_9AM = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
SWEEP_SECONDS = 0.2


@dataclass
class Office:
    """The liaison office: one person and its own chat."""

    person: int
    chat: int


def office_of(world: World) -> Office:
    sb = world.sb
    person = sb.create_user("县联席办")
    chat = sb.create_chat("supergroup", title="湘潭县联席办", members=[person, world.admin])
    return Office(person, chat)


def sla_deployment(world: World, office: Office) -> Deployment:
    """The example deployment, staffed, 无责代赔 on, with the liaison office's chat."""
    staff, people = staff_of(world)
    world.staff = staff  # type: ignore[attr-defined]
    base = load_deployment(EXAMPLE_FILE)
    liaison = Person(user_id=office.person, name="县联席办", role="liaison")
    return base.model_copy(
        update={
            "people": (*people, liaison),
            "liaison_chats": (LiaisonChat(chat_id=office.chat),),
        }
    )


async def sla_runtime(
    world: World,
    deployment: Deployment,
    database_url: str,
    tmp_path: Path,
    clock: ManualClock,
) -> Runtime:
    """A started bot on `clock`, sweeping every SWEEP_SECONDS of real time."""
    settings = bot_settings(world.sb, database_url, tmp_path / "media").model_copy(
        update={"sla_sweep_seconds": SWEEP_SECONDS}
    )
    runtime = build_runtime(settings, deployment, clock=clock, poll_timeout=1)
    await runtime.start()
    return runtime


def reminders(world: World, chat: int, containing: str) -> list[dict[str, Any]]:
    """The bot's messages in a chat whose text contains `containing`, oldest first."""
    return [m for m in bot_messages(world.sb, chat) if containing in text_of(m)]


def links_of(message: dict[str, Any]) -> list[str]:
    """The URLs a message links its words to."""
    return [e["url"] for e in message.get("entities", []) if e.get("type") == "text_link"]


async def stall(bot: Runtime, chat: int, n: int, *, numbered_from: int = 101) -> list[str]:
    """`n` cases in `chat` pinged to PINGAN now, as routing leaves them (no card needed),
    numbered from `numbered_from`."""
    svc = bot.services
    now = svc.clock.now()

    async def work(session: AsyncSession) -> list[str]:
        numbers = []
        for i in range(n):
            case = Case(
                number=f"HS-20261130-{numbered_from + i:04d}",
                chat_id=chat,
                township_code="HS",
                status="awaiting_insurer",
                origin_message_id=900_000 + numbered_from + i,
                opened_by=1,
                opened_by_name="王协理",
                opened_at=now,
                updated_at=now,
            )
            session.add(case)
            await session.flush()
            clocks.note(session, case.id, Event.INSURER_PINGED, at=now, insurer="PINGAN")
            numbers.append(case.number)
        return numbers

    return await svc.in_transaction(work)
