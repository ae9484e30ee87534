"""Hostile input through the local Telegram: odd text, injected markup, forged buttons, bad files.

The corpus is data: each table below is one batch sent to one running bot; every input
of it is checked for the answer a person must see (or silence), and the whole batch for
no ERROR record, no refused or unescaped text, and no change of the domain tables.
"""

from __future__ import annotations

import io
import logging
import struct
import zlib

import pytest
from PIL import Image

from bot.app import Runtime
from sandbox.photos import scene_photo
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import (
    bot_messages,
    button_data_of,
    card_of,
    card_shows,
    cases_in,
    photos_of,
    press,
    register,
    said,
    text_of,
)
from tests.e2e.hostile_support import (
    MARK,
    Input,
    check_answers,
    one_by_one,
    errors_logged,
    escaping_problems,
    failed_outbox_problems,
    settle,
    snapshot,
)

LONG = "长" * 4096
HUGE = "🚗" * 5000  # 10 000 UTF-16 units, past Telegram's 4096
ZW = "\u200b\u200c\u200d\u2060\ufeff"
RTL = "\u202e\u202d\u2066"
COMBINING = "a" + "\u0301" * 300
INJECTIONS = (
    f'<b id="{MARK}">粗</b>',
    "<script>alert(1)</script>",
    f'<a href="https://evil.example/{MARK}">点我</a>',
    "<u>下划线</u><s>删</s>",
    "<tg-spoiler>藏</tg-spoiler>",
    "</code></b>",
    "&lt;i&gt; &amp; &nbsp; &#x3c;",
    "AT&T <3 >_<",
    "*粗* _斜_ `代码` [链接](http://x) ~~删~~ ||藏||",
)

# --- commands: where they do not work, with arguments that make no sense ---------------


def _commands() -> dict[str, list[Input]]:
    """Per chat kind: what is sent and the piece of the answer a person must get."""
    private = [
        Input("/foo", None, "unknown command"),
        Input("/" + "a" * 32, None, "longest command name"),
        Input("/setup 花石镇", "群", "setup in private"),
        Input("/role @nobody 协理员", "群", "role in private"),
        Input("/stats 2026-13", "请在联席办群或乡镇群里使用此命令", "stats bad month"),
        Input("/export 9999-99-99 csv", "请在联席办群或乡镇群里使用此命令", "export bad day"),
        Input("/join 定损员 <b>平安</b>", "请在事故处理群里使用这个命令", "join with html"),
        Input("/case <script>", "/case", "case with html"),
        Input("/paid -5 " + INJECTIONS[0], "已登记的事故处理群", "paid in private"),
        Input("/start cf_forgedtoken123", "确认链接无效或已过期", "forged deep link"),
        Input("/start cf_" + "x" * 300, "确认链接无效或已过期", "oversized deep link"),
        Input("/start <b>x</b>", "快处快赔助手", "start with html"),
        Input("/help " + RTL + "x", "快处快赔助手", "help with rtl"),
        Input(LONG, None, "4096 chars"),
        Input(ZW + RTL, None, "only invisible"),
    ]
    stray = [
        Input("/foo@kuaipei_bot", None, "unknown addressed"),
        Input("/setup@other_bot 花石镇", None, "other bot's setup"),
        Input("/stats " + "9" * 200, "本群尚未登记", "stats huge number"),
        Input("/export 2026-02-30 2026-02-31", "本群尚未登记", "export impossible dates"),
        Input("/role " + INJECTIONS[2], "本群尚未登记", "role injection"),
        Input("/case " + "HS-" + "9" * 100, "本群尚未登记", "case long number"),
        Input("/queue " + COMBINING, "本群尚未登记", "queue combining"),
        Input("/overdue " + HUGE[:100], "本群尚未登记", "overdue emoji"),
        Input("/whoami " + INJECTIONS[1], "本群尚未登记", "whoami script"),
        Input("/team " + INJECTIONS[6], "本群尚未登记", "team entities"),
        Input("/paid 1e9", "本群尚未登记", "paid unregistered"),
        Input("/agreement " + INJECTIONS[5], "本群尚未登记", "agreement unregistered"),
        Input("甲 湘C12345 " + INJECTIONS[0], None, "quick form unregistered"),
        Input(HUGE, None, "huge emoji text"),
    ]
    forum = [  # registered, outside any case: by a villager who holds no role
        Input("/stats 2026-13", "统计只对", "stats month 13"),
        Input("/stats 0000-00-00", "统计只对", "stats day zero"),
        Input("/stats 2026-01-02 2026-01-01", "统计只对", "stats reversed range"),
        Input("/stats 2026-01-01 2026-01-02 2026-01-03 x", "统计只对", "stats four words"),
        Input("/stats 本月 " + INJECTIONS[0], "统计只对", "stats injection township"),
        Input("/export " + "9" * 4000, "统计只对", "export huge"),
        Input("/export month xlsx " + INJECTIONS[3], "统计只对", "export injection"),
        Input("/setup " + INJECTIONS[0], "只有群管理员可以登记本群", "setup by villager"),
        Input("/role " + INJECTIONS[1] + " 管理员", "只有群管理员可以设置角色", "role by villager"),
        Input("/role @zhao_sf 上帝", "只有群管理员可以设置角色", "role unknown name"),
        Input("/join " + INJECTIONS[2], "未知角色“<a”", "join injection"),
        Input("/join 定损员 " + "保" * 300, "未找到保险公司", "join long insurer"),
        Input("/join 协理员 " + ZW, "用法：/join", "join invisible"),
        Input("/case " + INJECTIONS[6], "“&lt;i&gt;”不是案件编号", "case entities"),
        Input("/case HS-20260101-001" + RTL, "“HS-20260101-001”不是案件编号", "case rtl"),
        Input("/paid " + INJECTIONS[0], "请在案件话题", "paid outside case"),
        Input("/agreement", "请在案件话题", "agreement outside case"),
        Input("/queue", "目前没有转交警处理的案件", "queue villager"),
        Input("/overdue " + INJECTIONS[4], "/overdue 只对", "overdue villager"),
        Input("/frobnicate " + INJECTIONS[0], None, "unknown in group"),
        Input("/start@kuaipei_bot cf_forged", "快处快赔助手", "deep link in group"),
        Input("甲 " + INJECTIONS[0], None, "quick form outside case"),
        Input(INJECTIONS[1], None, "chatter script"),
        Input(LONG, None, "chatter 4096"),
    ]
    return {"private": private, "stray": stray, "forum": forum}


@pytest.mark.parametrize("where", ["private", "stray", "forum"])
async def test_commands_in_the_wrong_place_or_with_nonsense(
    world: World, bot: Runtime, where: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    sb = world.sb
    if where == "private":
        chat = sb.create_chat("private", members=[world.villager])
    else:
        chat = world.stray if where == "stray" else world.forum
        if where == "forum":
            await register(world, chat, "花石镇")
    await settle(sb, bot)
    before = await snapshot(bot)
    if where == "private":  # answers in a private chat quote nothing: one input at a time
        problems = await one_by_one(sb, bot, chat, world.villager, _commands()[where])
    else:
        sent = [
            (c, sb.send_text(chat, world.villager, c.text)["message_id"])
            for c in _commands()[where]
        ]
        await settle(sb, bot)
        problems = check_answers(sb, chat, sent)
    problems += escaping_problems(sb) + failed_outbox_problems(sb.calls)
    problems += errors_logged(caplog.records)
    assert await snapshot(bot) == before
    assert not problems, "\n".join(problems)
