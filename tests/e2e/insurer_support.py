"""The insurer loop's e2e helpers: a staffed deployment, its claims and audits, pings, waiting."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment
from storage.models import AuditEvent, Case, InsurerClaim
from tests.e2e.conftest import SCALED_CARD_SETTLE, World, bot_settings, eventually
from tests.e2e.flows import drive_to_ready
from tests.e2e.helpers import bot_messages, text_of


@dataclass
class Staff:
    pingan1: int
    pingan2: int
    pingan_sup: int
    picc: int
    picc_sup: int
    cpic: int
    police: int


def staff_of(world: World) -> tuple[Staff, tuple[Person, ...]]:
    sb = world.sb
    ids = {}
    for key, name in (
        ("pingan1", "平安定损甲"),
        ("pingan2", "平安定损乙"),
        ("pingan_sup", "平安主管"),
        ("picc", "人保定损"),
        ("picc_sup", "人保主管"),
        ("cpic", "太保定损"),
        ("police", "值班交警"),
    ):
        ids[key] = sb.create_user(name)
        sb.add_member(world.forum, ids[key])
        sb.add_member(world.plain, ids[key])
    staff = Staff(**ids)
    people = (
        Person(user_id=world.assistant, name="王协理", role="assistant"),
        Person(user_id=staff.pingan1, name="平安定损甲", role="adjuster", insurer="PINGAN"),
        Person(user_id=staff.pingan2, name="平安定损乙", role="adjuster", insurer="PINGAN"),
        Person(user_id=staff.pingan_sup, name="平安主管", role="supervisor", insurer="PINGAN"),
        Person(user_id=staff.picc, name="人保定损", role="adjuster", insurer="PICC"),
        Person(user_id=staff.picc_sup, name="人保主管", role="supervisor", insurer="PICC"),
        Person(user_id=staff.cpic, name="太保定损", role="adjuster", insurer="CPIC"),
        Person(user_id=staff.police, name="值班交警", role="police"),
    )
    return staff, people


async def staffed_runtime(
    world: World,
    database_url: str,
    tmp_path: Path,
    *,
    proxy: bool,
    card_settle: float | None = SCALED_CARD_SETTLE,
) -> Runtime:
    staff, people = staff_of(world)
    world.staff = staff  # type: ignore[attr-defined]
    base = load_deployment(EXAMPLE_FILE)
    deployment = base.model_copy(
        update={
            "people": people,
            "compensation": base.compensation.model_copy(update={"no_fault_proxy_payment": proxy}),
        }
    )
    runtime = build_runtime(
        bot_settings(world.sb, database_url, tmp_path / "media", card_settle=card_settle),
        deployment,
        poll_timeout=1,
    )
    await runtime.start()
    return runtime


async def rows(bot: Runtime, model: Any, *where: Any) -> list[Any]:
    async with bot.services.db.session() as s:
        stmt = select(model).where(*where).order_by(col(model.id))
        return list((await s.exec(stmt)).all())


async def claims(bot: Runtime, case_id: int, live: bool = True) -> dict[str, InsurerClaim]:
    found = await rows(bot, InsurerClaim, InsurerClaim.case_id == case_id)
    if live:
        found = [c for c in found if c.status != "superseded"]
    return {c.insurer_code: c for c in found}


async def audits(bot: Runtime, kind: str) -> list[AuditEvent]:
    return await rows(bot, AuditEvent, AuditEvent.kind == kind)


async def case_of(bot: Runtime, case_id: int) -> Case:
    async with bot.services.db.session() as s:
        case = await s.get(Case, case_id)
    assert case is not None
    return case


def pings(world: World, chat: int) -> list[dict]:
    return [m for m in bot_messages(world.sb, chat) if "请审核" in text_of(m)]


def ping_of(world: World, chat: int, insurer: str) -> dict:
    found = [m for m in pings(world, chat) if insurer in text_of(m)]
    assert found, world.sb.format_transcript(chat)
    return found[-1]


async def wait_said(world: World, chat: int, containing: str, after: int = 0) -> dict:
    sb = world.sb
    try:
        await sb.wait_for(
            lambda: any(
                containing in text_of(m) and m["message_id"] > after for m in bot_messages(sb, chat)
            ),
            timeout=10,
        )
    except TimeoutError as exc:
        raise AssertionError(f"no {containing!r}:\n{sb.format_transcript(chat)}") from exc
    return [m for m in bot_messages(sb, chat) if containing in text_of(m)][-1]


def mentioned_ids(message: dict) -> set[int]:
    """Who a bot message notifies (tg://user links arrive as text_mention entities)."""
    return {e["user"]["id"] for e in message.get("entities", []) if e.get("type") == "text_mention"}


def newest(world: World, chat: int) -> int:
    return max((m["message_id"] for m in world.sb.transcript(chat)), default=0)


def say(world: World, chat: int, user: int, case: Case, text: str) -> None:
    world.sb.send_text(chat, user, text, thread_id=case.message_thread_id)


async def status_is(bot: Runtime, case_id: int, status: str) -> None:
    async def check() -> bool:
        return (await case_of(bot, case_id)).status == status

    await eventually(check)


async def routed_case(world: World, bot: Runtime, n_pings: int) -> Case:
    case = await drive_to_ready(world, bot, world.forum)
    await world.sb.wait_for(lambda: len(pings(world, world.forum)) >= n_pings, timeout=10)
    return case
