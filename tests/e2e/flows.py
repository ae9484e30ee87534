"""Reusable end-to-end flows: drive a case through the sandbox as people would.

`drive_to_ready` plays the standard rear-end case of tests/e2e/test_parties.py in its
quickest form (quick-form lines, the six eligibility taps, 追尾 for 甲, the estimates of
docs/domain.md example A, 甲 confirming from their own Telegram account and 乙 on paper) and
returns the case once it is `ready` (and routed: `awaiting_insurer`). test_parties.py keeps its long form, which also
checks each step's wording.
"""

from __future__ import annotations

import re

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from storage.models import Case
from tests.e2e.conftest import World, eventually
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

TOWNSHIP = {"forum": "花石镇", "plain": "射埠镇"}


def _newest(world: World, chat: int) -> int:
    return max((m["message_id"] for m in world.sb.transcript(chat)), default=0)


async def _question(world: World, chat: int, containing: str, after: int) -> dict:
    sb = world.sb
    try:
        await sb.wait_for(
            lambda: any(
                containing in text_of(m) and m["message_id"] > after for m in bot_messages(sb, chat)
            ),
            timeout=10,
        )
    except TimeoutError as exc:
        raise AssertionError(f"no message {containing!r}:\n{sb.format_transcript(chat)}") from exc
    return last_bot_message(sb, chat, containing)


async def drive_to_links(
    world: World, bot: Runtime, chat: int, *, photos: int = 9, by: int | None = None
) -> dict:
    """Open the rear-end case in `chat` and fill it in up to the confirmation links; return them.

    The drivers' phones are 甲 13800001111 (张三) and 乙 13900002222 (李四). `by` does it all
    (default: the world's assistant).
    """
    who = by or world.assistant
    sb = world.sb
    forum = chat == world.forum
    await register(world, chat, TOWNSHIP["forum" if forum else "plain"])
    sb.send_album(chat, who, [scene_photo(i) for i in range(photos)])
    await eventually(lambda: card_shows(sb, chat, photos))
    case = (await cases_in(bot, chat))[0]
    thread = case.message_thread_id if forum else None
    anchor = None if forum else card_of(sb, chat)["message_id"]

    def say(text: str, reply_to: int | None = None) -> None:
        sb.send_text(chat, who, text, thread_id=thread, reply_to=reply_to or anchor)

    say("甲 湘C12345 平安 13800001111 张三 小型轿车")
    await eventually(lambda: card_has(sb, chat, "湘C12345"))
    say("乙 湘C67890 人保 13900002222 李四 小型普通客车")
    await eventually(lambda: card_has(sb, chat, "湘C67890"))

    for question, answer in (
        ("是否有人受伤", "无人受伤"),
        ("车辆能否", "能移动"),
        ("双方驾驶证", "证件有效"),
        ("是否疑似酒驾", "无"),
        ("是否载有危险", "无"),
        ("双方对事实", "无争议"),
    ):
        await eventually(lambda q=question: card_has(sb, chat, f"待答：{q}"))
        await press(sb, chat, who, card_of(sb, chat), answer)
    await eventually(lambda: card_has(sb, chat, "符合快处快赔条件"))

    await press(sb, chat, who, card_of(sb, chat), "事故情形")
    menu = await _question(world, chat, "选择有违法情形的一方", 0)
    await press(sb, chat, who, menu, "甲方")
    situations = await _question(world, chat, "甲方的事故情形", 0)
    await press(sb, chat, who, situations, "追尾")
    await eventually(lambda: card_has(sb, chat, "甲 全部 / 乙 无"))

    mark = _newest(world, chat)
    await press(sb, chat, who, card_of(sb, chat), "录入估损")
    q = await _question(world, chat, "甲方车损估价", mark)
    say("1500", reply_to=q["message_id"])
    q = await _question(world, chat, "乙方车损估价", mark)
    say("4000", reply_to=q["message_id"])
    await eventually(lambda: card_has(sb, chat, "赔付测算"))

    await press(sb, chat, who, card_of(sb, chat), "确认链接")
    return await _question(world, chat, "请各方驾驶人点击", 0)


async def answer_link(
    world: World, links: dict, label: str, driver: int, answer: str = "确认无误"
) -> tuple[int, str]:
    """`driver` opens `label`'s deep link in their private chat and taps `answer`.

    Returns the private chat and the press (its callback answer says what the bot made of it).
    """
    sb = world.sb
    token = re.search(r"start=(cf_[\w-]+)$", button_data_of(links, label)).group(1)
    private = driver  # a user's private chat with the bot has the user's id
    if sb.world.chat(private) is None:
        private = sb.create_chat("private", members=[driver])
    mark = _newest(world, private)
    sb.send_text(private, driver, f"/start {token}")
    summary = await _question(world, private, "请核对后确认", mark)
    return private, await press(sb, private, driver, summary, answer)


async def share_contact(world: World, private: int, driver: int, expect: str) -> str:
    """The driver taps the bot's 📱 button; returns the bot's answer, which contains `expect`."""
    sb = world.sb
    await sb.wait_for(lambda: sb.reply_keyboard(private) is not None, timeout=10)
    mark = _newest(world, private)
    sb.share_contact(private, driver)
    return text_of(await _question(world, private, expect, mark))


async def drive_to_ready(world: World, bot: Runtime, chat: int, *, photos: int = 9) -> Case:
    """Open a two-car rear-end case in `chat` (world.forum or world.plain) and make it ready.

    With fewer than the nine photos of the checklist everything else is completed and the
    case is returned still `collecting`.
    """
    sb = world.sb
    links = await drive_to_links(world, bot, chat, photos=photos)
    # 甲 confirms from their own account through the deep link, sharing their contact (the
    # phone on the case); 乙 signed on paper.
    zhang = sb.create_user("张三", phone_number="8613800001111")
    private, _ = await answer_link(world, links, "甲方", zhang)
    await share_contact(world, private, zhang, "已记录您的确认")
    await eventually(lambda: card_has(sb, chat, "已确认（本人Telegram）"))
    await press(sb, chat, world.assistant, card_of(sb, chat), "乙方纸质确认")

    if photos < 9:
        await eventually(lambda: card_has(sb, chat, "✅已确认（纸质）"), timeout=10)
        case = (await cases_in(bot, chat))[0]
        assert case.status == "collecting"
        return case

    # A complete case is routed to its paying insurers at once (bot/claims/routing.py).
    async def routed() -> bool:
        return (await cases_in(bot, chat))[0].status != "collecting"

    await eventually(routed)
    case = (await cases_in(bot, chat))[0]
    assert case.status == "awaiting_insurer" and case.ready_at is not None
    return case
