"""The drivers' own confirmation is tied to them: their shared contact must carry their phone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from storage.models import AuditEvent, Party
from tests.e2e.conftest import World, bot_settings, eventually, with_assistant
from tests.e2e.flows import answer_link, drive_to_links, share_contact
from tests.e2e.helpers import bot_messages, cards, cases_in, text_of


async def _parties(bot: Runtime) -> dict[str, Party]:
    async with bot.services.db.session() as session:
        return {p.label: p for p in (await session.exec(select(Party))).all()}


async def _refusals(bot: Runtime) -> list[str]:
    async with bot.services.db.session() as session:
        stmt = select(AuditEvent).where(AuditEvent.kind == "confirm.contact_refused")
        return [e.data["reason"] for e in (await session.exec(stmt)).all()]


def _card_text(world: World) -> str:
    return text_of(cards(world.sb, world.forum)[0])


async def test_the_driver_with_the_phone_on_the_case_confirms(world: World, bot: Runtime):
    links = await drive_to_links(world, bot, world.forum)
    zhang = world.sb.create_user("张三", phone_number="+86 138 0000 1111")
    private, _ = await answer_link(world, links, "甲方", zhang)
    # Tapping ✅ alone records nothing: the bot asks for the contact first.
    await world.sb.wait_for(lambda: world.sb.reply_keyboard(private) is not None, timeout=10)
    assert (await _parties(bot))["甲"].confirmed_at is None
    keyboard = world.sb.reply_keyboard(private)
    assert keyboard["keyboard"][0][0]["request_contact"] is True
    assert "已记录您的确认" in await share_contact(world, private, zhang, "已记录您的确认")
    party = (await _parties(bot))["甲"]
    assert party.confirmed_via == "telegram" and party.confirmed_by == zhang
    await eventually(lambda: _has(world, "已确认（本人Telegram）"))
    assert world.sb.reply_keyboard(private) is None  # the contact keyboard is taken away


async def test_a_bystander_cannot_confirm_for_both_drivers(world: World, bot: Runtime):
    links = await drive_to_links(world, bot, world.forum)
    # The bystander's own phone is 甲's (say, 甲's relative typed theirs): the first answer
    # passes the phone check, the second party of the same case is refused.
    bystander = world.sb.create_user("路人", phone_number="8613800001111")
    private, _ = await answer_link(world, links, "甲方", bystander)
    await share_contact(world, private, bystander, "已记录您的确认")
    _, qid = await answer_link(world, links, "乙方", bystander)
    assert "一个Telegram账号只能为一方确认" in world.sb.callback_answer(qid)["text"]
    parties = await _parties(bot)
    assert parties["乙"].confirmed_at is None and parties["乙"].confirmed_by is None
    assert world.sb.reply_keyboard(private) is None  # no contact asked for 乙
    assert (await cases_in(bot, world.forum))[0].status == "collecting"


async def test_a_shared_phone_that_does_not_match_records_nothing(world: World, bot: Runtime):
    links = await drive_to_links(world, bot, world.forum)
    bystander = world.sb.create_user("路人", phone_number="8613700009999")
    private, _ = await answer_link(world, links, "乙方", bystander)
    answer = await share_contact(world, private, bystander, "不一致")
    assert "未记录任何回答" in answer
    parties = await _parties(bot)
    assert parties["乙"].confirmed_at is None and parties["乙"].confirmed_by is None
    assert await _refusals(bot) == ["mismatch"]
    assert "乙 ✅" not in _card_text(world) and "已确认（本人Telegram）" not in _card_text(world)


async def test_a_forwarded_contact_of_the_driver_is_refused(world: World, bot: Runtime):
    links = await drive_to_links(world, bot, world.forum)
    li = world.sb.create_user("李四", phone_number="8613900002222")
    bystander = world.sb.create_user("路人", phone_number="8613700009999")
    private, _ = await answer_link(world, links, "乙方", bystander)
    await world.sb.wait_for(lambda: world.sb.reply_keyboard(private) is not None, timeout=10)
    # 李四's contact card, with 李四's user id and the right number, sent by someone else.
    world.sb.send_contact(private, bystander, "+8613900002222", "李四", user_id=li)
    await eventually(lambda: said(world, private, "只能分享您本人的手机号"))
    # A contact card without any user id (a number typed into the phone book) likewise.
    world.sb.send_contact(private, bystander, "13900002222", "李四")
    await eventually(lambda: said(world, private, "只能分享您本人的手机号", times=2))
    assert (await _parties(bot))["乙"].confirmed_at is None
    assert await _refusals(bot) == ["not_own", "not_own"]


async def test_paper_stays_for_drivers_without_telegram(world: World, bot: Runtime):
    await drive_to_links(world, bot, world.forum)
    from tests.e2e.helpers import press

    await press(
        world.sb, world.forum, world.assistant, cards(world.sb, world.forum)[0], "乙方纸质确认"
    )
    await eventually(lambda: _has(world, "✅已确认（纸质）"))


@pytest.fixture
async def no_contact_check(
    sb, world: World, database_url: str, tmp_path: Path
) -> AsyncIterator[Runtime]:
    base = load_deployment(EXAMPLE_FILE)
    rules = base.rules.model_copy(update={"confirm_by_contact": False})
    runtime = build_runtime(
        bot_settings(sb, database_url, tmp_path / "media"),
        with_assistant(base.model_copy(update={"rules": rules}), world),
        poll_timeout=1,
    )
    await runtime.start()
    yield runtime
    await runtime.stop()


async def test_without_the_contact_check_the_link_alone_confirms_once_per_account(
    world: World, no_contact_check: Runtime
):
    bot = no_contact_check
    links = await drive_to_links(world, bot, world.forum)
    someone = world.sb.create_user("某人")
    private, _ = await answer_link(world, links, "甲方", someone)
    await eventually(lambda: said(world, private, "已记录您的确认"))
    assert world.sb.reply_keyboard(private) is None
    _, qid = await answer_link(world, links, "乙方", someone)
    assert "一个Telegram账号只能为一方确认" in world.sb.callback_answer(qid)["text"]
    assert (await _parties(bot))["乙"].confirmed_at is None


async def _has(world: World, text: str) -> bool:
    found = cards(world.sb, world.forum)
    return bool(found) and text in text_of(found[0])


async def said(world: World, chat: int, text: str, times: int = 1) -> bool:
    return sum(text in text_of(m) for m in bot_messages(world.sb, chat)) >= times
