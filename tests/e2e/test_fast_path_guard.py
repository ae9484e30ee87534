"""The fast path's buttons and text intake are for the case's people, not for anyone in the group.

A villager with no role (not the case's opener, no assistant, police or admin grant) may
press the parties' buttons and type a quick form: each is refused with an alert or one
line in the thread, nothing changes, and the attempt is audited. The opener (an assistant)
and anyone given a fast-path role still work (see also tests/e2e/test_parties.py).
"""

from __future__ import annotations

from sqlmodel import select

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from storage.models import AuditEvent, Case, Member, Party, PendingInput, Photo
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import (
    bot_messages,
    card_has,
    card_of,
    card_shows,
    cards,
    cases_in,
    register,
    tap,
    text_of,
)


async def _card_has_button(world: World, label: str) -> bool:
    found = cards(world.sb, world.forum)
    keyboard = (found[0].get("reply_markup") or {}).get("inline_keyboard", []) if found else []
    return any(label in b["text"] for row in keyboard for b in row)


async def _open_with_parties(world: World, bot: Runtime) -> Case:
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(world.forum, world.assistant, [scene_photo(i) for i in range(3)])
    await eventually(lambda: card_shows(sb, world.forum, 3))
    case = (await cases_in(bot, world.forum))[0]
    for line, plate in (
        ("甲 湘C12345 平安 13800001111 张三 小型轿车", "湘C12345"),
        ("乙 湘C67890 人保 13900002222 李四 小型普通客车", "湘C67890"),
    ):
        sb.send_text(world.forum, world.assistant, line, thread_id=case.message_thread_id)
        await eventually(lambda p=plate: card_has(world.sb, world.forum, p))
    await eventually(lambda: _card_has_button(world, "乙方纸质确认"))
    return case


async def _audits(bot: Runtime, case_id: int, kind: str) -> list[AuditEvent]:
    async with bot.services.db.session() as s:
        stmt = select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == kind)
        return list((await s.exec(stmt)).all())


async def test_a_stranger_cannot_change_a_case_from_its_card(world: World, bot: Runtime):
    case = await _open_with_parties(world, bot)
    assert case.id is not None
    before = len(await _audits(bot, case.id, "party.updated"))

    for label in ("✏️甲方", "乙方纸质确认", "无人受伤", "有人受伤", "事故情形", "录入估损"):
        answer = await tap(
            world.sb, world.forum, world.villager, card_of(world.sb, world.forum), label
        )
        assert answer["show_alert"] is True, label
        assert "只有协理员、交警或开案人" in answer["text"], label

    async with bot.services.db.session() as s:
        row = await s.get(Case, case.id)
        parties = {p.label: p for p in (await s.exec(select(Party))).all()}
        pending = (await s.exec(select(PendingInput))).all()
    assert row is not None and row.status == "collecting" and row.eligibility == {}
    assert parties["乙"].confirmed_at is None
    assert [p for p in pending if p.user_id == world.villager] == []
    assert len(await _audits(bot, case.id, "party.updated")) == before
    refused = await _audits(bot, case.id, "button.refused")
    assert [(e.actor_user_id, e.data["reason"]) for e in refused] == [(world.villager, "role")] * 6
    assert {e.data["action"] for e in refused} == {
        "party.edit",
        "confirm.paper",
        "elig.answer",
        "liab.menu",
        "est.ask",
    }


async def test_a_strangers_quick_form_changes_nothing(world: World, bot: Runtime):
    sb = world.sb
    case = await _open_with_parties(world, bot)
    assert case.id is not None
    sb.send_text(
        world.forum,
        world.villager,
        "甲 湘C99999 人保 13700003333 王五 小型轿车",
        thread_id=case.message_thread_id,
    )
    await sb.wait_for(
        lambda: any(
            "只有协理员、交警或开案人" in text_of(m) for m in bot_messages(sb, world.forum)
        ),
        timeout=10,
    )
    async with bot.services.db.session() as s:
        plates = {p.label: p.plate for p in (await s.exec(select(Party))).all()}
    assert plates == {"甲": "湘C12345", "乙": "湘C67890"}
    assert "湘C99999" not in text_of(card_of(world.sb, world.forum))
    refused = await _audits(bot, case.id, "input.refused")
    assert [(e.actor_user_id, e.data["action"]) for e in refused] == [
        (world.villager, "quick_form")
    ]


async def test_a_member_given_the_assistant_role_may_work_the_case(world: World, bot: Runtime):
    sb = world.sb
    case = await _open_with_parties(world, bot)
    async with bot.services.db.session() as s:
        s.add(
            Member(
                chat_id=world.forum,
                user_id=world.villager,
                role="assistant",
                display_name="赵师傅",
                created_at=case.opened_at,
            )
        )
        await s.commit()
    sb.send_text(
        world.forum,
        world.villager,
        "甲 湘C99999 人保 13700003333 王五 小型轿车",
        thread_id=case.message_thread_id,
    )
    await eventually(lambda: card_has(world.sb, world.forum, "湘C99999"))
    answer = await tap(
        world.sb, world.forum, world.villager, card_of(world.sb, world.forum), "无人受伤"
    )
    assert answer["show_alert"] is False


async def test_an_old_retag_menu_changes_nothing_once_the_case_left_the_fast_path(
    world: World, bot: Runtime
):
    sb = world.sb
    case = await _open_with_parties(world, bot)
    assert case.id is not None
    await tap(
        world.sb, world.forum, world.assistant, card_of(world.sb, world.forum), "更正照片标签"
    )
    await sb.wait_for(
        lambda: any("#1" in str(m.get("reply_markup")) for m in bot_messages(sb, world.forum)),
        timeout=10,
    )
    picker = next(m for m in bot_messages(sb, world.forum) if "#1" in str(m.get("reply_markup")))
    await tap(world.sb, world.forum, world.assistant, picker, "#1")
    await sb.wait_for(
        lambda: any(
            "其他（不计入清单）" in str(m.get("reply_markup"))
            for m in bot_messages(sb, world.forum)
        ),
        timeout=10,
    )
    slots = next(
        m
        for m in bot_messages(sb, world.forum)
        if "其他（不计入清单）" in str(m.get("reply_markup"))
    )
    # The case leaves the fast path (an injury): the police have it now.
    await tap(world.sb, world.forum, world.assistant, card_of(world.sb, world.forum), "有人受伤")
    await eventually(lambda: _status_is(bot, case.id or 0, "police"))

    answer = await tap(world.sb, world.forum, world.assistant, slots, "其他（不计入清单）")
    assert answer["show_alert"] is True and "不能修改" in answer["text"]
    async with bot.services.db.session() as s:
        photo = (await s.exec(select(Photo).order_by(Photo.id))).first()
    assert photo is not None and photo.slot == "front_oblique"
    assert await _audits(bot, case.id, "photo.retagged") == []


async def _status_is(bot: Runtime, case_id: int, status: str) -> bool:
    async with bot.services.db.session() as s:
        row = await s.get(Case, case_id)
    return row is not None and row.status == status
