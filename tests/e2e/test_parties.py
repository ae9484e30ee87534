"""Parties, eligibility, liability, estimates and confirmations: a rear-end case to `ready`."""

from __future__ import annotations

import re

import pytest

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from tests.e2e.conftest import World, eventually
from tests.e2e.flows import share_contact
from tests.e2e.helpers import (
    bot_messages,
    button_data_of,
    card_has,
    card_of,
    card_shows,
    cases_in,
    last_bot_message,
    press,
    register,
    text_of,
)


async def wait_question(world: World, chat: int, containing: str, after: int) -> dict:
    sb = world.sb
    try:
        await sb.wait_for(
            lambda: any(
                containing in text_of(m) and m["message_id"] > after for m in bot_messages(sb, chat)
            ),
            timeout=10,
        )
    except TimeoutError as exc:
        raise AssertionError(f"no question {containing!r}:\n{sb.format_transcript(chat)}") from exc
    return last_bot_message(sb, chat, containing)


def newest_id(world: World, chat: int) -> int:
    return max((m["message_id"] for m in world.sb.transcript(chat)), default=0)


async def say(
    world: World, chat: int, user: int, text: str, *, thread: int | None, reply_to: int | None
) -> None:
    world.sb.send_text(chat, user, text, thread_id=thread, reply_to=reply_to)


@pytest.mark.parametrize("forum", [True, False], ids=["forum", "plain"])
async def test_rear_end_case_reaches_ready(world: World, bot: Runtime, forum: bool):
    sb = world.sb
    chat = world.forum if forum else world.plain
    await register(world, chat, "花石镇" if forum else "射埠镇")
    # The default checklist: three scene shots, then each party's plate and two licences.
    first = sb.send_album(chat, world.assistant, [scene_photo(i) for i in range(9)])[0]
    await eventually(lambda: card_shows(sb, chat, 9))
    case = (await cases_in(bot, chat))[0]
    thread = case.message_thread_id if forum else None
    anchor = None if forum else card_of(world.sb, chat)["message_id"]
    assert first  # the album opened the case

    # 甲 by quick form (an experienced assistant), then the vehicle type by button.
    mark = newest_id(world, chat)
    await say(
        world,
        chat,
        world.assistant,
        "甲 湘C12345 平安 13800001111 张三",
        thread=thread,
        reply_to=anchor,
    )
    q = await wait_question(world, chat, "车辆类型", mark)
    await press(sb, chat, world.assistant, q, "小型轿车")
    await eventually(lambda: card_has(world.sb, chat, "湘C12345"))

    # 乙 by buttons and replies.
    await press(sb, chat, world.assistant, card_of(world.sb, chat), "乙方")
    mark2 = newest_id(world, chat)
    q = await wait_question(world, chat, "乙方车牌号", 0)
    await say(world, chat, world.assistant, "湘c·67890", thread=thread, reply_to=q["message_id"])
    q = await wait_question(world, chat, "乙方的交强险", mark2)
    await press(sb, chat, world.assistant, q, "人保财险")
    q = await wait_question(world, chat, "乙方驾驶人姓名和电话", mark2)
    await say(
        world, chat, world.assistant, "李四 13900002222", thread=thread, reply_to=q["message_id"]
    )
    q = await wait_question(world, chat, "乙方车辆类型", mark2)
    await press(sb, chat, world.assistant, q, "小型普通客车")
    await eventually(lambda: card_has(world.sb, chat, "湘C67890"))
    text = text_of(card_of(world.sb, chat))
    assert "138****1111" in text and "13800001111" not in text  # masked on the card

    # Eligibility: six answers that keep the case on the fast path.
    for question, answer in (
        ("是否有人受伤", "无人受伤"),
        ("车辆能否", "能移动"),
        ("双方驾驶证", "证件有效"),
        ("是否疑似酒驾", "无"),
        ("是否载有危险", "无"),
        ("双方对事实", "无争议"),
    ):
        await eventually(lambda q=question: card_has(world.sb, chat, f"待答：{q}"))
        await press(sb, chat, world.assistant, card_of(world.sb, chat), answer)
    await eventually(lambda: card_has(world.sb, chat, "符合快处快赔条件"))

    # Liability from the preset list: 甲 rear-ended 乙.
    await press(sb, chat, world.assistant, card_of(world.sb, chat), "事故情形")
    menu = await wait_question(world, chat, "选择有违法情形的一方", 0)
    await press(sb, chat, world.assistant, menu, "甲方")
    await sb.wait_for(
        lambda: any("甲方的事故情形" in text_of(m) for m in bot_messages(sb, chat)), timeout=10
    )
    await press(sb, chat, world.assistant, last_bot_message(sb, chat, "甲方的事故情形"), "追尾")
    await eventually(lambda: card_has(world.sb, chat, "甲 全部 / 乙 无"))

    # Estimates (docs/domain.md example A: A's loss 1,500, B's loss 4,000).
    mark3 = newest_id(world, chat)
    await press(sb, chat, world.assistant, card_of(world.sb, chat), "录入估损")
    q = await wait_question(world, chat, "甲方车损估价", mark3)
    await say(world, chat, world.assistant, "一千五", thread=thread, reply_to=q["message_id"])
    await wait_question(world, chat, "不是金额", mark3)
    await say(world, chat, world.assistant, "1,500", thread=thread, reply_to=q["message_id"])
    q = await wait_question(world, chat, "乙方车损估价", mark3)
    await say(world, chat, world.assistant, "¥4000元", thread=thread, reply_to=q["message_id"])
    await eventually(lambda: card_has(world.sb, chat, "赔付测算"))
    text = text_of(card_of(world.sb, chat))
    assert "平安产险 → 乙 交强险财产 ¥2,000.00" in text
    assert "平安产险 → 乙 商业三者 ¥2,000.00" in text
    assert "平安产险 → 甲 车损险 ¥1,400.00" in text
    assert "还缺：" in text and "甲方确认" in text

    # Both drivers confirm from their own accounts through the deep links.
    zhang = sb.create_user("张三", phone_number="8613800001111")
    li = sb.create_user("李四", phone_number="+86 139 0000 2222")
    await press(sb, chat, world.assistant, card_of(world.sb, chat), "确认链接")
    links = await wait_question(world, chat, "请各方驾驶人点击", 0)
    for label, driver in (("甲方", zhang), ("乙方", li)):
        url = button_data_of(links, label)
        token = re.search(r"start=(cf_[\w-]+)$", url).group(1)
        assert url.startswith("https://t.me/kuaipei_bot?start=")
        private = sb.create_chat("private", members=[driver])
        sb.send_text(private, driver, f"/start {token}")
        await sb.wait_for(
            lambda p=private: any("请核对后确认" in text_of(m) for m in bot_messages(sb, p)),
            timeout=10,
        )
        summary = last_bot_message(sb, private, "请核对后确认")
        assert "湘C" in text_of(summary)
        await press(sb, private, driver, summary, "确认无误")
        # The answer counts once the driver's shared contact shows the phone on the case.
        await share_contact(world, private, driver, "已记录您的确认")
    # Complete: ready, and at once routed to the paying insurer (bot/claims/routing.py).
    await eventually(lambda: card_has(world.sb, chat, "状态：等待保险公司"))
    cases = await cases_in(bot, chat)
    assert cases[0].status == "awaiting_insurer" and cases[0].ready_at is not None
