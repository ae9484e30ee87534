"""A case goes to the insurers only with an assistant, the police or an admin behind it.

A member without a role may open a case and fill it in, but the complete case waits in
`ready` until someone with the role takes it from the card.
"""

from __future__ import annotations

from bot.compose.app import Runtime
from storage.models import Case
from tests.e2e.conftest import World, eventually
from tests.e2e.evidence_support import audit, card_has, cases
from tests.e2e.flows import answer_link, drive_to_links, drive_to_ready, share_contact
from tests.e2e.helpers import cards, press, text_of
from tests.e2e.insurer_support import claims, pings

NEEDED = "需要协理员、交警或群管理员负责本案"


async def _villager_completes_a_case(world: World, bot: Runtime) -> Case:
    """The villager (no role) opens the rear-end case and completes it; it is `ready`."""
    sb, chat = world.sb, world.forum
    links = await drive_to_links(world, bot, chat, by=world.villager)
    zhang = sb.create_user("张三", phone_number="8613800001111")
    private, _ = await answer_link(world, links, "甲方", zhang)
    await share_contact(world, private, zhang, "已记录您的确认")
    await eventually(lambda: card_has(sb, chat, "已确认（本人Telegram）"))
    await press(sb, chat, world.villager, cards(sb, chat)[0], "乙方纸质确认")

    async def ready() -> bool:
        return (await cases(bot))[0].status == "ready"

    await eventually(ready)
    await eventually(lambda: card_has(sb, chat, "材料齐全，待协理员"))
    return (await cases(bot))[0]


async def test_a_case_completed_by_a_villager_waits_for_an_assistant(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    case = await _villager_completes_a_case(world, bot)
    assert case.id is not None and case.responsible_id is None
    card = cards(sb, chat)[0]
    assert NEEDED in text_of(card)
    assert "可提交保险公司" not in text_of(card)
    assert pings(world, chat) == [] and await claims(bot, case.id) == {}
    assert await audit(bot, "case.routed") == []

    # The villager cannot take it: refused, audited, the case stays where it is.
    qid = await press(sb, chat, world.villager, card, "我来负责")
    answer = sb.callback_answer(qid)
    assert answer["show_alert"] and "只有协理员、交警或群管理员" in answer["text"]
    (refused,) = [
        e for e in await audit(bot, "button.refused") if e.actor_user_id == world.villager
    ]
    assert refused.data["action"] == "case.take" and refused.data["reason"] == "role"
    assert (await cases(bot))[0].status == "ready" and pings(world, chat) == []

    # An assistant takes it: it goes to its insurers at once.
    await press(sb, chat, world.assistant, cards(sb, chat)[0], "我来负责")

    async def routed() -> bool:
        return (await cases(bot))[0].status == "awaiting_insurer"

    await eventually(routed)
    case = (await cases(bot))[0]
    assert case.responsible_id == world.assistant and case.responsible_name == "王协理"
    assert set(await claims(bot, case.id or 0))
    await eventually(lambda: _pinged(world))
    assert len(await audit(bot, "case.taken")) == 1


async def test_a_group_admin_may_take_the_case(world: World, bot: Runtime):
    # 李队长 holds no role in the bot: only Telegram says they administer the group.
    sb, chat = world.sb, world.forum
    await _villager_completes_a_case(world, bot)
    await press(sb, chat, world.admin, cards(sb, chat)[0], "我来负责")

    async def routed() -> bool:
        return (await cases(bot))[0].status == "awaiting_insurer"

    await eventually(routed)
    assert (await cases(bot))[0].responsible_id == world.admin


async def test_an_assistant_opener_is_responsible_and_routed_without_a_press(
    world: World, bot: Runtime
):
    case = await drive_to_ready(world, bot, world.forum)
    assert case.status == "awaiting_insurer"
    assert case.responsible_id == world.assistant
    assert not any(NEEDED in text_of(c) for c in cards(world.sb, world.forum))
    assert await audit(bot, "case.taken") == []


async def _pinged(world: World) -> bool:
    return bool(pings(world, world.forum))
