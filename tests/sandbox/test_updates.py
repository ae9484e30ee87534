"""Updates: long polling, offsets, conflicts, albums, redelivery, webhooks, Application."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import Conflict
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN, Cast, jpeg


async def test_long_poll_blocks_until_timeout(bot: Bot) -> None:
    start = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    # Not before the timeout; the ceiling only says it returned, not how quickly (a loaded
    # runner may be late).
    assert 0.9 <= time.monotonic() - start < 5


async def test_long_poll_wakes_on_a_new_update(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    async def later() -> None:
        await asyncio.sleep(0.3)
        sb.send_text(cast.forum, cast.wang, "来了")

    task = asyncio.create_task(later())
    start = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    await task
    # Well before the 5 s timeout: the update woke the poll.
    assert time.monotonic() - start < 4 and updates[0].message.text == "来了"


async def test_offsets_confirm_and_negative_offset(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    for n in range(5):
        sb.send_text(cast.forum, cast.li, f"m{n}")
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first] == ["m0", "m1"]
    again = await bot.get_updates()
    assert len(again) == 5  # nothing confirmed yet
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["m2", "m3", "m4"]
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["m4"]
    assert len(sb.pending_updates()) == 1
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_album_arrives_as_separate_updates(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    msgs = sb.send_album(
        cast.forum, cast.wang, [jpeg(), jpeg(800, 600), jpeg(100, 100)], caption="现场三张"
    )
    updates = await bot.get_updates()
    assert len(updates) == 3 and len({u.update_id for u in updates}) == 3
    groups = {u.message.media_group_id for u in updates}
    assert groups == {msgs[0]["media_group_id"]} and None not in groups
    assert [u.message.caption for u in updates] == ["现场三张", None, None]
    assert updates[2].message.photo[-1].width == 100
    with pytest.raises(ValueError):
        sb.send_album(cast.forum, cast.wang, [jpeg()])


async def test_redeliver_repeats_the_same_update_id(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    sb.send_text(cast.forum, cast.li, "一次")
    (first,) = await bot.get_updates()
    assert await bot.get_updates(offset=first.update_id + 1) == ()
    sb.redeliver(first.update_id)
    (again,) = await bot.get_updates()
    assert again.update_id == first.update_id and again.message.text == "一次"


async def test_second_poller_conflicts(sb: Sandbox, bot: Bot) -> None:
    async with Bot(TOKEN, base_url=sb.base_url) as other:
        slow = asyncio.create_task(bot.get_updates(timeout=3))
        await asyncio.sleep(0.2)
        fast = asyncio.create_task(other.get_updates(timeout=0.5))
        with pytest.raises(Conflict, match="(?i)terminated by other getUpdates request"):
            await slow
        assert await fast == ()


async def test_allowed_updates_are_sticky(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    m = await bot.send_message(
        cast.forum,
        "卡片",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("同意", callback_data="ok")]]),
    )
    sb.send_text(cast.forum, cast.li, "text is filtered")
    sb.press_button(cast.forum, cast.li, m.message_id, "ok")
    updates = await bot.get_updates()
    assert len(updates) == 1 and updates[0].callback_query.data == "ok"


async def test_callback_query_and_answer(bot: Bot, sb: Sandbox, cast: Cast) -> None:
    m = await bot.send_message(
        cast.forum,
        "卡片",
        reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("同意", callback_data="v1:ok:7")]]
        ),
    )
    qid = sb.press_button(cast.forum, cast.li, m.message_id, "v1:ok:7")
    (update,) = await bot.get_updates()
    q = update.callback_query
    assert (q.id, q.data, q.from_user.id, q.message.message_id) == (
        qid,
        "v1:ok:7",
        cast.li,
        m.message_id,
    )
    assert await q.answer("已同意", show_alert=True)
    assert sb.callback_answer(qid)["text"] == "已同意"
    assert sb.callback_answer(qid)["show_alert"] is True
    with pytest.raises(Exception, match="(?i)query is too old"):
        await q.answer("again")
    with pytest.raises(ValueError):
        sb.press_button(cast.forum, cast.li, m.message_id, "forged")
    assert sb.press_button(cast.forum, cast.li, m.message_id, "forged", strict=False)


async def test_application_polling_runs_handlers(sb: Sandbox, cast: Cast) -> None:
    seen: list[str] = []

    async def setup(update: Update, _ctx: object) -> None:
        seen.append("cmd:" + " ".join(_ctx.args))  # type: ignore[attr-defined]
        await update.effective_message.reply_text(
            "登记完成",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("确认", callback_data="confirm")]]
            ),
        )

    async def text(update: Update, _ctx: object) -> None:
        seen.append("text:" + update.effective_message.text)

    async def button(update: Update, _ctx: object) -> None:
        await update.callback_query.answer("好")
        seen.append("button:" + update.callback_query.data)

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(sb.base_url)
        .base_file_url(sb.file_base_url)
        .build()
    )
    app.add_handler(CommandHandler("setup", setup))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(CallbackQueryHandler(button))
    await app.initialize()
    await app.updater.start_polling(timeout=1)
    await app.start()
    try:
        sb.send_text(cast.forum, cast.wang, "/setup@kuaipei_bot 花石镇")
        await sb.wait_for(lambda: len(sb.transcript(cast.forum)) == 2, timeout=5)
        reply = sb.transcript(cast.forum)[-1]
        assert reply["text"] == "登记完成" and reply["reply_to_message_id"] == 2
        sb.send_text(cast.forum, cast.li, "收到")
        sb.press_button(cast.forum, cast.li, reply["message_id"], "confirm")
        await sb.wait_for(lambda: len(seen) == 3, timeout=5)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert seen == ["cmd:花石镇", "text:收到", "button:confirm"]
    assert sb.pending_updates() == []  # the final getUpdates confirmed everything


async def test_wait_for_times_out_helpfully(sb: Sandbox) -> None:
    with pytest.raises(TimeoutError, match="pending updates"):
        await sb.wait_for(lambda: False, timeout=0.2)


class Receiver:
    """A tiny webhook endpoint on loopback that fails the first ``fail`` posts."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.received: list[tuple[dict, str | None]] = []
        self.statuses: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.fail > 0:
            self.fail -= 1
            self.statuses.append(500)
            return web.Response(status=500)
        self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        self.statuses.append(200)
        return web.Response(text="ok")

    async def start(self) -> tuple[web.AppRunner, str]:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner, f"http://127.0.0.1:{port}/hook"


async def test_webhook_delivers_and_retries(cast: Cast, sb: Sandbox, bot: Bot) -> None:
    receiver = Receiver(fail=2)
    runner, url = await receiver.start()
    sb.feed.webhook_retry = (0.05, 0.2)
    try:
        assert await bot.set_webhook(url, secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == url
        sb.send_text(cast.forum, cast.wang, "经 webhook")
        sb.send_text(cast.forum, cast.wang, "第二条")
        await sb.wait_for(lambda: len(receiver.received) == 2, timeout=5)
        assert receiver.statuses == [500, 500, 200, 200]
        texts = [body["message"]["text"] for body, _ in receiver.received]
        assert texts == ["经 webhook", "第二条"]
        assert {secret for _, secret in receiver.received} == {"s3cret"}
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 0 and "500" in info.last_error_message
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook()
        sb.send_text(cast.forum, cast.wang, "回到轮询")
        assert (await bot.get_updates())[0].message.text == "回到轮询"
    finally:
        await runner.cleanup()
