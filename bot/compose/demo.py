"""`kuaipei demo`: the bot against the local Telegram, one accident from photos to payout.

Everything is local: a Bot API server on a free loopback port, a fresh SQLite
database in a temporary folder, the example deployment file (with the demo's
people as its adjuster and police), synthetic photos. The scene: a rear-end
collision in 花石镇 is photographed, the parties are entered, checked and
confirmed, 平安's adjuster approves, the payment is recorded and the case closes
with its agreement; a photo in 射埠镇's plain group and one in an unregistered
group show the other two kinds of chat. The transcripts are printed at the end.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment
from bot.config.logs import configure_logging
from bot.config.settings import Settings
from sandbox import Sandbox
from sandbox.photos import scene_photo

DEMO_TOKEN = "123456:DEMO-kuaipei-local-token"
# The local Telegram runs Telegram's per-group limit (20 messages) on a 3 s window
# instead of 60 s so the scene fits in seconds; the bot is told the same window.
GROUP_WINDOW = 3.0
STEP_TIMEOUT = 20.0


class Scene:
    """The people of the demo acting through the local Telegram's control API."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def bot_says(self, chat: int, containing: str, after: int = 0) -> dict[str, Any] | None:
        """The newest bot message in a chat containing a text."""
        found = [
            m
            for m in self.sb.transcript(chat)
            if m["from"].get("is_bot")
            and m["message_id"] > after
            and containing in (m.get("text") or m.get("caption") or "")
        ]
        return found[-1] if found else None

    async def until(self, check: Callable[[], object], what: str) -> Any:
        """Wait until `check()` returns something true; return it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_TIMEOUT
        while not (result := check()):
            if loop.time() > deadline:
                raise TimeoutError(f"demo step did not happen: {what}")
            await asyncio.sleep(0.05)
        return result

    async def wait_for_text(self, chat: int, containing: str, after: int = 0) -> dict[str, Any]:
        """Wait for a bot message containing a text."""
        return await self.until(lambda: self.bot_says(chat, containing, after), containing)

    def newest(self, chat: int) -> int:
        """The newest message id of a chat."""
        return max((m["message_id"] for m in self.sb.transcript(chat)), default=0)

    async def press(self, chat: int, user: int, message: dict[str, Any], label: str) -> None:
        """Press the button whose label contains `label`, and wait for the bot's answer."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        data = next(
            (b.get("callback_data") for row in rows for b in row if label in b["text"]), None
        )
        if data is None:
            raise LookupError(f"no button {label!r} on message {message['message_id']}")
        qid = self.sb.press_button(chat, user, message["message_id"], data)
        await self.until(lambda: self.sb.callback_answer(qid) is not None, f"answer to {label}")

    def url_of(self, message: dict[str, Any], label: str) -> str:
        """The URL of a link button."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return next(b["url"] for row in rows for b in row if label in b["text"] and "url" in b)

    async def settled(self, quiet: float = 1.0) -> None:
        """Wait until the bot has said nothing new for `quiet` seconds."""
        loop = asyncio.get_running_loop()
        last, since = -1, loop.time()
        deadline = since + STEP_TIMEOUT
        while loop.time() < deadline:
            count = sum(1 for c in self.sb.calls if c["method"] != "getUpdates")
            if count != last:
                last, since = count, loop.time()
            elif loop.time() - since >= quiet:
                return
            await asyncio.sleep(0.1)


async def _accident(sc: Scene, forum: int, people: dict[str, int]) -> None:
    """A rear-end collision in 花石镇, from the photos to the closed case."""
    sb, wang = sc.sb, people["assistant"]
    sb.send_text(forum, people["villager"], "/setup 花石镇")  # not an admin: politely refused
    sb.send_text(forum, people["chief"], "/setup 花石镇")
    await sc.wait_for_text(forum, "已登记")
    sb.send_album(forum, wang, [scene_photo(i) for i in range(9)], caption="S208线追尾，两车")
    card = await sc.wait_for_text(forum, "证据清单 9/9")
    topic = card["message_thread_id"]

    def say(text: str, reply_to: int | None = None) -> None:
        sb.send_text(forum, wang, text, thread_id=topic, reply_to=reply_to)

    say("甲 湘C12345 平安 13800001111 张三 小型轿车")
    say("乙 湘C67890 人保 13900002222 李四 小型普通客车")
    await sc.wait_for_text(forum, "湘C67890 · 人保财险")  # the card shows 乙 complete
    for question, answer in (
        ("是否有人受伤", "无人受伤"),
        ("车辆能否", "能移动"),
        ("双方驾驶证", "证件有效"),
        ("是否疑似酒驾", "无"),
        ("是否载有危险", "无"),
        ("双方对事实", "无争议"),
    ):
        card = await sc.wait_for_text(forum, f"待答：{question}")
        await sc.press(forum, wang, card, answer)
    card = await sc.wait_for_text(forum, "符合快处快赔条件")
    await sc.press(forum, wang, card, "事故情形")
    await sc.press(forum, wang, await sc.wait_for_text(forum, "选择有违法情形的一方"), "甲方")
    await sc.press(forum, wang, await sc.wait_for_text(forum, "甲方的事故情形"), "追尾")
    card = await sc.wait_for_text(forum, "甲 全部 / 乙 无")
    mark = sc.newest(forum)
    await sc.press(forum, wang, card, "录入估损")
    say("1500", (await sc.wait_for_text(forum, "甲方车损估价", mark))["message_id"])
    say("4000元", (await sc.wait_for_text(forum, "乙方车损估价", mark))["message_id"])
    card = await sc.wait_for_text(forum, "赔付测算")

    # 甲 confirms from their own phone through the deep link; 乙 signs on paper.
    await sc.press(forum, wang, card, "确认链接")
    links = await sc.wait_for_text(forum, "请各方驾驶人点击")
    found = re.search(r"start=(cf_[\w-]+)$", sc.url_of(links, "甲方"))
    if found is None:
        raise RuntimeError("the confirmation button carries no token")
    token = found.group(1)
    private = people["zhang_chat"]
    sb.send_text(private, people["zhang"], f"/start {token}")
    summary = await sc.wait_for_text(private, "请核对后确认")
    await sc.press(private, people["zhang"], summary, "确认无误")
    # The answer counts once 张三's shared contact shows the phone on the case.
    await sb.wait_for(lambda: sb.reply_keyboard(private) is not None, timeout=10)
    sb.share_contact(private, people["zhang"])
    card = await sc.wait_for_text(forum, "已确认（本人Telegram）")
    await sc.press(forum, wang, card, "乙方纸质确认")

    # The case goes to 平安, whose adjuster approves, records the numbers and the payment.
    adjuster = people["adjuster"]
    ping = await sc.wait_for_text(forum, "请审核")
    await sc.press(forum, adjuster, ping, "同意")
    await sc.wait_for_text(forum, "请回复报案号")
    sb.send_text(forum, adjuster, "报案号 RDAA2026110001 定损 5400", thread_id=topic)
    await sc.wait_for_text(forum, "所有赔付方已同意")
    sb.send_text(forum, adjuster, "/paid 5500 HX20261129A", thread_id=topic)
    await sc.wait_for_text(forum, "已结案")


async def play(workdir: Path, quiet: bool = False) -> str:
    """Play the demo and return the printed transcripts."""
    from bot.compose.app import build_runtime
    from storage.migrate import upgrade_async

    async with Sandbox(
        token=DEMO_TOKEN, bot_username="kuaipei_bot", group_rate=(20, GROUP_WINDOW)
    ) as sb:
        people = {
            "chief": sb.create_user("李队长", username="li_dz"),
            "assistant": sb.create_user("王协理", username="wang_xl"),
            "villager": sb.create_user("赵师傅", username="zhao_sf"),
            "adjuster": sb.create_user("刘定损", username="liu_pingan"),
            "police": sb.create_user("陈警官", username="chen_jj"),
            "zhang": sb.create_user("张三", phone_number="8613800001111"),
        }
        everyone = [people[k] for k in ("chief", "assistant", "villager", "adjuster", "police")]
        forum = sb.create_chat(
            "supergroup",
            title="花石镇快处快赔群",
            is_forum=True,
            members=everyone,
            admins=[people["chief"]],
        )
        plain = sb.create_chat(
            "supergroup", title="射埠镇快处群", members=everyone, admins=[people["chief"]]
        )
        stray = sb.create_chat("group", title="村民闲聊群", members=everyone)
        people["zhang_chat"] = sb.create_chat("private", members=[people["zhang"]])

        base = load_deployment(EXAMPLE_FILE)
        deployment = base.model_copy(
            update={
                "people": (
                    Person(user_id=people["assistant"], name="王协理", role="assistant"),
                    Person(
                        user_id=people["adjuster"], name="刘定损", role="adjuster", insurer="PINGAN"
                    ),
                    Person(user_id=people["police"], name="陈警官", role="police"),
                )
            }
        )
        db_url = f"sqlite:///{workdir / 'kuaipei-demo.db'}"
        await upgrade_async(db_url)
        settings = Settings(
            TELEGRAM_BOT_TOKEN=DEMO_TOKEN,
            TELEGRAM_API_BASE_URL=sb.base_url,
            TELEGRAM_FILE_BASE_URL=sb.file_base_url,
            DATABASE_URL=db_url,
            MEDIA_DIR=workdir / "media",
            SEND_GROUP_PERIOD_SECONDS=GROUP_WINDOW,
        )
        runtime = build_runtime(settings, deployment, poll_timeout=1)
        scene = Scene(sb)
        await runtime.start()
        try:
            await _accident(scene, forum, people)
            sb.send_text(plain, people["chief"], "/setup 射埠")
            await scene.wait_for_text(plain, "已登记")
            sb.send_photo(plain, people["assistant"], scene_photo(20), caption="路口刮擦")
            sb.send_photo(stray, people["assistant"], scene_photo(21))
            await scene.wait_for_text(stray, "/setup")
            await scene.settled()
        finally:
            await runtime.stop()
        chats = (forum, people["zhang_chat"], plain, stray)
        parts = [sb.format_transcript(chat) for chat in chats]
        limited = sb.rate_limited()
    text = "\n\n".join(parts)
    if not quiet:
        text += f"\n\n(429s drawn from the local Telegram's limits: {limited})"
    return text


def run_demo(quiet: bool = False) -> int:
    """Run the demo and print its transcripts; exit code 0 on success."""
    configure_logging("WARNING", secrets=[DEMO_TOKEN])
    logging.getLogger("bot").setLevel(logging.WARNING if quiet else logging.INFO)
    with tempfile.TemporaryDirectory(prefix="kuaipei-demo-") as tmp:
        print(asyncio.run(play(Path(tmp), quiet=quiet)))
    return 0
