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
from sqlalchemy import func
from sqlmodel import select

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from storage.models import Photo
from storage.types import PhotoStatus
from tests.e2e.conftest import World, eventually
from tests.e2e.flows import drive_to_ready
from tests.e2e.helpers import (
    button_data_of,
    card_of,
    card_shows,
    cases_in,
    photos_of,
    press,
    register,
    said,
)
from tests.e2e.hostile_support import (
    DOMAIN_TABLES,
    MARK,
    Input,
    Probe,
    settle,
    snapshot,
)
from tests.e2e.insurer_support import ping_of, pings

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
        Input("/foo", "快处快赔助手", "unknown command"),
        Input("/" + "a" * 32, "快处快赔助手", "longest command name"),
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
        Input("随便说点 " + INJECTIONS[0], None, "private chatter"),
        Input("/start", "快处快赔助手", "plain start"),
        Input("/start cf_" + "-" * 20, "确认链接无效或已过期", "deep link of dashes"),
        Input("/whoami " + INJECTIONS[3], "请在事故处理群里使用这个命令", "whoami in private"),
        Input("/team", "请在事故处理群里使用这个命令", "team in private"),
        Input("/queue", "请在已登记的事故处理群里发送 /queue", "queue in private"),
        Input("/overdue", "请在案件所在的群里使用 /overdue", "overdue in private"),
        Input("/agreement " + INJECTIONS[0], "里发送 /agreement", "agreement in private"),
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
        Input("/join 定损员 " + ZW, "定损员需要写明保险公司", "join invisible insurer"),
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
    admin = [  # the stray group's administrator: registration and roles with nonsense
        Input("/setup " + INJECTIONS[0], '未找到乡镇“<b id="zqx">粗</b>”', "setup injection"),
        Input("/setup " + "镇" * 500, "未找到乡镇“镇镇", "setup huge township"),
        Input("/setup " + RTL + "不存在镇", "未找到乡镇“不存在镇”", "setup rtl township"),
        Input(
            "/setup 花石镇 射埠镇 " + INJECTIONS[1],
            "未找到乡镇“花石镇 射埠镇 <script>",
            "setup two townships",
        ),
        Input("/setup " + ZW, "/setup", "setup invisible"),
        Input("/setup 🚗", "未找到乡镇“🚗”", "setup emoji"),
        Input("/role " + INJECTIONS[2], "本群尚未登记", "admin role injection"),
        Input("/role @zhao_sf " + INJECTIONS[0], "本群尚未登记", "admin role html"),
        Input("/role " + "@" + "a" * 40 + " 协理员", "本群尚未登记", "admin role long name"),
        Input("/team " + LONG[:100], "本群尚未登记", "admin team long"),
    ]
    return {"private": private, "stray": stray, "forum": forum, "admin": admin}


@pytest.mark.parametrize("where", ["private", "stray", "forum", "admin"])
async def test_commands_in_the_wrong_place_or_with_nonsense(
    world: World, bot: Runtime, where: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    sb = world.sb
    if where == "private":
        chat = sb.create_chat("private", members=[world.villager])
    else:
        chat = world.forum if where == "forum" else world.stray
        if where == "forum":
            await register(world, chat, "花石镇")
    await settle(sb, bot)
    before = await snapshot(bot)
    probe = Probe(sb, bot, chat, caplog)
    who = world.admin if where == "admin" else world.villager
    if where == "private":  # answers in a private chat quote nothing: one input at a time
        await probe.one_by_one(_commands()[where], lambda c: sb.send_text(chat, who, c.text))
    else:
        await probe.batch(
            _commands()[where], lambda c: sb.send_text(chat, who, c.text)["message_id"]
        )
    await probe.unchanged(before, f"commands ({where})")
    probe.assert_clean()


# --- inside a case: quick-form lines, a pending amount, forged buttons, edits ----------

NOT_NUMBER = "不是金额"
QUICK_LINES = [
    *(Input(f"甲 {bad}", "未能识别", f"quick injection {i}") for i, bad in enumerate(INJECTIONS)),
    Input("甲 湘C1234", "未能识别", "plate too short"),
    Input("甲 湘I12345", "未能识别", "plate with I"),
    Input("甲 湘O00000", "未能识别", "plate with O"),
    Input("甲 京A·1234５6", "未能识别", "plate too long"),
    Input("甲 使12345", "未能识别", "embassy too short"),
    Input("甲 粤Z1234港港", "未能识别", "hk twice"),
    Input("甲 湘C12345" * 8, "未能识别", "plate repeated in one token"),
    Input("甲 1٣٨00001111", "未能识别", "phone arabic digits"),
    Input("甲 1380000111", "未能识别", "phone with a digit missing"),
    Input("甲 138-0000-111", "未能识别", "short phone with hyphens"),
    Input("甲 +8613800001111999", "未能识别", "phone too long"),
    Input("甲 " + "张" * 7, "未能识别", "name too long"),
    Input("甲 " + COMBINING, "未能识别", "combining marks"),
    Input("甲 " + HUGE[:200], "未能识别", "emoji token"),
    Input("甲 " + "x" * 4000, "未能识别", "one huge token"),
    *(Input(f"乙 {bad} {bad}", "未能识别", f"quick twice {i}") for i, bad in enumerate(INJECTIONS)),
    Input("甲 " + RTL + "湘C12345" + RTL + "x", "未能识别", "rtl around a plate"),
    Input("甲 湘C12345港", "未能识别", "hk suffix outside 粤Z"),
    Input("甲 WJ12345", "未能识别", "armed police plate"),
    Input("甲 湘C１２３４５６７", "未能识别", "full-width too long"),
    Input("甲 " + "\u0000\u0007" + "x", "未能识别", "control characters"),
    Input("甲 " + "ǅ" * 10, "未能识别", "titlecase digraphs"),
    Input("癸 湘C12345", "最多", "label beyond the party limit"),
    Input("子 湘C12345", None, "not a party label"),
    Input(ZW + RTL, None, "invisible only"),
    Input(LONG, None, "4096 chars of chatter"),
    Input(INJECTIONS[1], None, "script chatter"),
]
AMOUNTS = [
    Input("abc", NOT_NUMBER, "letters"),
    Input("-100", "不能为负数", "negative"),
    Input("¥-5", "不能为负数", "negative after prefix"),
    Input("0", "不能为 0", "zero"),
    Input("0.00", "不能为 0", "zero with decimals"),
    Input("0.001", "两位小数", "three decimals"),
    Input("1e5", NOT_NUMBER, "exponent"),
    Input("inf", NOT_NUMBER, "inf"),
    Input("NaN", NOT_NUMBER, "nan"),
    Input("一千八", NOT_NUMBER, "chinese numerals"),
    Input("1,80,0", NOT_NUMBER, "bad grouping"),
    Input("18,00", NOT_NUMBER, "european decimal"),
    Input("9" * 40, "金额过大", "forty digits"),
    Input("9" * 4000, "金额过大", "four thousand digits"),
    Input("1500" + ZW, NOT_NUMBER, "zero-width after digits"),
    Input("1500.5.5", NOT_NUMBER, "two points"),
    Input("$1500", NOT_NUMBER, "dollar sign"),
    Input("١٥٠٠", NOT_NUMBER, "arabic-indic digits"),
    Input("20000", "超过快处快赔上限", "above the ceiling"),
    Input("1500 " + INJECTIONS[0], NOT_NUMBER, "amount and injection"),
    Input(INJECTIONS[6], NOT_NUMBER, "entities as amount"),
    Input(INJECTIONS[7], NOT_NUMBER, "ampersand as amount"),
    Input(RTL + "1500", NOT_NUMBER, "rtl before digits"),
    Input("🚗", NOT_NUMBER, "emoji amount"),
    Input("1800元元", NOT_NUMBER, "two currency marks"),
    Input("RMB RMB 1800", NOT_NUMBER, "two prefixes"),
    Input("1800.", NOT_NUMBER, "trailing point"),
    Input(".5", NOT_NUMBER, "no integer part"),
    Input("1 800", NOT_NUMBER, "space inside"),
]
PAID_BY = "/paid 只能由本案赔付保险公司的定损员或主管"
PAID = [  # the case is still collecting: nothing to pay yet, whatever the arguments
    Input("/paid", PAID_BY, "paid no amount"),
    Input("/paid abc", PAID_BY, "paid letters"),
    Input("/paid -1800 REF", PAID_BY, "paid negative"),
    Input("/paid 1800 " + INJECTIONS[0], PAID_BY, "paid injection reference"),
    Input("/paid 1800 " + "R" * 500, PAID_BY, "paid huge reference"),
    Input("/paid " + "9" * 50, PAID_BY, "paid huge amount"),
    Input("/paid 1800 " + RTL + ZW, PAID_BY, "paid invisible reference"),
    Input("/paid 0.001", PAID_BY, "paid three decimals"),
]
FORGED = [
    "b:AAAAAAAAAAAA",  # the right shape, never issued
    "b:short",
    "b:" + "A" * 62,
    "x" * 64,
    "😀" * 16,  # 64 bytes of emoji
    "b:AAAAAAAAAAA\x00",
    "b:<b>zqx</b>",
    "../../etc/passwd",
    "b:' OR 1=1 --",
    "b:%00%0a",
    "b:" + "\u202e" * 4,
    "v1:ack:1:x",
    "x" * 65,  # past Telegram's 64 bytes
    "b:" + "A" * 4094,
    "b:AAAAAAAAAAAA\n",
    "B:AAAAAAAAAAAA",
    "b:湘湘湘湘",
    "",
]
UNKNOWN_BUTTON = "这个按钮已失效"


async def _open_case(world: World, bot: Runtime) -> tuple[int, int]:
    """A case in the forum opened by the assistant: (its topic, its card's message id)."""
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(world.forum, world.assistant, [scene_photo(i) for i in range(3)])
    await eventually(lambda: card_shows(sb, world.forum, 3))
    case = (await cases_in(bot, world.forum))[0]
    assert case.message_thread_id is not None
    return case.message_thread_id, card_of(sb, world.forum)["message_id"]


async def test_a_case_thread_takes_no_hostile_line_amount_button_or_edit(
    world: World, bot: Runtime, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    sb, chat, who = world.sb, world.forum, world.assistant
    thread, _ = await _open_case(world, bot)
    await settle(sb, bot)
    before = await snapshot(bot)
    probe = Probe(sb, bot, chat, caplog)

    def say(text: str, reply_to: int | None = None) -> int:
        return sb.send_text(chat, who, text, thread_id=thread, reply_to=reply_to)["message_id"]

    lines = await probe.batch(QUICK_LINES, lambda c: say(c.text))
    await probe.unchanged(before, "quick-form lines")

    # The amount question stays open while every reply to it is refused.
    await press(sb, chat, who, card_of(sb, chat), "录入估损")
    question = await said(sb, chat, "甲方车损估价")
    await settle(sb, bot)
    asked = await snapshot(bot, ("pending_input", *DOMAIN_TABLES))
    amounts = await probe.batch(AMOUNTS, lambda c: say(c.text, question["message_id"]))
    await probe.unchanged(asked, "refused amounts")
    await probe.batch(PAID, lambda c: say(c.text))
    await probe.unchanged(asked, "/paid in a collecting case")

    # Forged callback data, on the card and on a person's message.
    card = card_of(sb, chat)
    for data in FORGED:
        for target in (card["message_id"], lines[0][1]):
            answer = await probe.tap(who, target, data)
            if UNKNOWN_BUTTON not in (answer.get("text") or "") or not answer.get("show_alert"):
                probe.problems.append(f"forged {data!r} answered {answer}")

    # A real answer pressed again and again (a replay): taken once, then nothing changes.
    replayed = button_data_of(card_of(sb, chat), "无人受伤")
    await press(sb, chat, who, card_of(sb, chat), "无人受伤")
    await settle(sb, bot)
    answered = await snapshot(bot)
    for _ in range(3):
        await probe.tap(who, card["message_id"], replayed)
    await settle(sb, bot)
    await probe.unchanged(answered, "replayed answer")
    asked = await snapshot(bot, ("pending_input", *DOMAIN_TABLES))

    # Edits: a refused line edited into another injection, chatter edited into a wall of text,
    # a refused amount edited into markup — none is taken as new input.
    edits = {
        Input(INJECTIONS[3], "不会当作新的回答", "edit quick line"): lines[0][1],
        Input("甲 " + INJECTIONS[4], "不会当作新的回答", "edit plate line"): lines[10][1],
        Input(HUGE, "不会当作新的回答", "edit chatter to huge"): lines[-2][1],
        Input(INJECTIONS[0], "不会当作新的回答", "edit refused amount"): amounts[0][1],
    }
    await probe.one_by_one(list(edits), lambda c: sb.edit_text(chat, who, edits[c], c.text))
    await probe.unchanged(asked, "forged buttons and edits")
    probe.assert_clean()


# --- files that are no photos: bombs, truncated, disguised, empty ----------------------


def _png(width: int, height: int) -> bytes:
    """A PNG whose header declares `width`×`height` pixels over a few bytes of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A real JPEG with its frame header rewritten to declare another size."""
    data = bytearray(scene_photo(1))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "GIF")
    return buf.getvalue()


BOMB = "图片尺寸异常"
NOT_PHOTO = "这不是照片"
DAMAGED = "不完整或已损坏"
EMPTY = "文件是空的"
FORMAT = "不支持这种图片格式"
# (how it is sent, the bytes, the file name, the answer, the note)
FILES: list[tuple[str, bytes, str, str, str]] = [
    ("photo", _png(30_000, 30_000), "", BOMB, "png bomb as photo"),
    ("document", _png(30_000, 30_000), "IMG_1.png", BOMB, "png bomb as file"),
    ("document", _png(8_000, 8_000), "IMG_2.png", BOMB, "png over the pixel budget"),
    ("document", _jpeg_declaring(65_000, 65_000), "IMG_3.jpg", BOMB, "jpeg bomb as file"),
    ("photo", _jpeg_declaring(65_000, 65_000), "", BOMB, "jpeg bomb as photo"),
    ("document", scene_photo(2)[:2000], "IMG_4.jpg", DAMAGED, "truncated jpeg file"),
    ("photo", scene_photo(3)[:2000], "", DAMAGED, "truncated jpeg photo"),
    (
        "document",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
        "IMG_5.jpg",
        NOT_PHOTO,
        "pdf",
    ),
    ("document", b"just some text, not a photo\n" * 10, "IMG_6.jpg", NOT_PHOTO, "text as jpg"),
    ("document", b"<html><script>alert(1)</script>", "<b>zqx</b>.jpg", NOT_PHOTO, "html file"),
    ("document", b"", "IMG_7.jpg", EMPTY, "zero bytes file"),
    ("photo", b"", "", EMPTY, "zero bytes photo"),
    ("document", _gif(), "IMG_8.gif", FORMAT, "gif file"),
    ("photo", b"\xff\xd8\xff" + b"\x00" * 500, "", NOT_PHOTO, "jpeg magic then nothing"),
]


async def test_files_that_are_no_photos_are_refused_and_nothing_is_kept(
    world: World, bot: Runtime, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    sb, chat, who = world.sb, world.forum, world.assistant
    thread, _ = await _open_case(world, bot)
    case = (await cases_in(bot, chat))[0]
    assert case.id is not None
    await settle(sb, bot)
    before = await snapshot(bot)
    probe = Probe(sb, bot, chat, caplog)
    # Two batches: files still being stored count against the case's photo limit.
    batches = (FILES[:7], FILES[7:])
    files = {
        Input(note, answer, note): (how, data, name, INJECTIONS[i % len(INJECTIONS)])
        for batch in batches
        for i, (how, data, name, answer, note) in enumerate(batch)
    }

    def send(file: Input) -> int:
        how, data, name, caption = files[file]
        if how == "photo":
            return sb.send_photo(chat, who, data, caption=caption, thread_id=thread)["message_id"]
        return sb.send_document(chat, who, data, file_name=name, caption=caption, thread_id=thread)[
            "message_id"
        ]

    async def stored() -> None:
        await settle(sb, bot)
        await eventually(lambda: _downloads_done(bot), timeout=30)
        await settle(sb, bot)

    inputs = list(files)
    await probe.batch(inputs[: len(batches[0])], send, settled=stored)
    await probe.batch(inputs[len(batches[0]) :], send, settled=stored)
    await probe.unchanged(before, "refused files")
    assert await photos_of(bot, case.id) == 3
    probe.assert_clean()


async def _downloads_done(bot: Runtime) -> bool:
    async with bot.services.db.session() as s:
        stmt = select(func.count()).select_from(Photo).where(Photo.status == PhotoStatus.PENDING)
        return int((await s.exec(stmt)).one()) == 0


# --- the insurer's side: claim-number replies and /paid on an approved claim -----------

CLAIM_BAD = "没有看懂"
CLAIM_REPLIES = [
    Input("报案号", CLAIM_BAD, "label only"),
    Input("报案号 " + INJECTIONS[0], CLAIM_BAD, "claim injection"),
    Input("报案号 " + INJECTIONS[1], CLAIM_BAD, "claim script"),
    Input("定损 -5200", CLAIM_BAD, "negative assessed"),
    Input("定损 5200 5300", CLAIM_BAD, "two amounts"),
    Input("定损 " + "9" * 40, CLAIM_BAD, "huge assessed"),
    Input("RDAA2026001 一千八", CLAIM_BAD, "chinese numerals assessed"),
    Input("RDAA" + ZW + "2026001", CLAIM_BAD, "zero-width in the number"),
    Input(RTL + "RDAA2026001 abc", CLAIM_BAD, "rtl and letters"),
    Input(INJECTIONS[6], CLAIM_BAD, "entities"),
    Input(LONG, CLAIM_BAD, "4096 chars"),
    Input("🚗🚗🚗", CLAIM_BAD, "emoji"),
]
PAID_BAD = [
    Input("/paid", "请回复金额", "no amount"),
    Input("/paid abc REF-1", "“abc”不是金额", "letters"),
    Input("/paid -100 REF-1", "金额不能为负数", "negative"),
    Input("/paid 0 REF-1", "金额不能为 0", "zero"),
    Input("/paid 1e3 REF-1", "“1e3”不是金额", "exponent"),
    Input("/paid " + "9" * 50, "金额过大", "huge"),
    Input("/paid 0.001 REF-1", "金额最多两位小数", "three decimals"),
    Input("/paid " + INJECTIONS[0], "“<b”不是金额", "injection as amount"),
]

# An adjuster may read the figures: their period and township words reach the parser.
STATS_USAGE = "请写明时段"
EXPORT_HERE = "导出只在联席办群里提供"
STATS_BAD = [
    Input("/stats 2026-13", STATS_USAGE, "stats month 13"),
    Input("/stats 2026-02-30", STATS_USAGE, "stats february 30"),
    Input("/stats 2026-03-01 2026-02-01", STATS_USAGE, "stats reversed"),
    Input("/stats 0000-01-01 9999-12-31", STATS_USAGE, "stats the whole calendar"),
    Input("/stats 本月 " + INJECTIONS[0], STATS_USAGE, "stats injection"),
    Input("/stats " + "9" * 3000, STATS_USAGE, "stats huge"),
    Input("/stats 本周 花石镇 平安", STATS_USAGE, "stats three words"),
    Input("/export 2026-13 xlsx", EXPORT_HERE, "export month 13"),
    Input("/export month " + INJECTIONS[1], EXPORT_HERE, "export injection"),
    Input("/export " + RTL + "2026-11", EXPORT_HERE, "export rtl"),
]


async def test_an_adjusters_bad_replies_and_payments_change_no_claim(
    world: World, standard: Runtime, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    sb, chat, bot = world.sb, world.forum, standard
    staff = world.staff  # type: ignore[attr-defined]
    case = await drive_to_ready(world, bot, chat)
    await sb.wait_for(lambda: len(pings(world, chat)) >= 1, timeout=10)
    ping = ping_of(world, chat, "平安")
    await press(sb, chat, staff.pingan1, ping, "同意")
    await said(sb, chat, "请回复报案号")
    await settle(sb, bot)
    before = await snapshot(bot, ("pending_input", *DOMAIN_TABLES))
    probe = Probe(sb, bot, chat, caplog)

    def say(c: Input) -> int:
        # The figures are asked for outside the case's topic, the rest inside it.
        thread = None if c in STATS_BAD else case.message_thread_id
        return sb.send_text(chat, staff.pingan1, c.text, thread_id=thread)["message_id"]

    await probe.batch(CLAIM_REPLIES + PAID_BAD + STATS_BAD, say)
    await probe.unchanged(before, "bad claim replies and /paid")
    probe.assert_clean()
