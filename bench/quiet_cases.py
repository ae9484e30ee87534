"""Quiet threads: standard cases in one township group under Telegram's real limits.

Plays the standard case of tests/e2e/test_message_budget.py (two cars, one album, two
insurers of which one pays under 无责代赔, one payout, a forum group) N times in ONE forum
group, a new case starting every 60/R seconds, each played by its own assistant, drivers
and the insurer's adjuster as fast as the bot lets them. The local Telegram enforces
Telegram's limits (20 calls a minute into one group — sends, edits, topics and pins —
and 30 a second overall). It prints the bot's calls per case (group and private apart),
the 429s the bot drew, and how long each person waited for the bot's answer to each step
(the toast of a press, the prompt or card change a message or press leads to).

    python bench/quiet_cases.py [--cases 4] [--rate 4] [--quick] [--database-url URL]

`--quick` plays 2 cases at the given rate. A whole run of 4 cases takes about seven minutes:
the group's 20 calls a minute, not the bot, set the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import select

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.compose.app import Runtime  # noqa: E402
from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment  # noqa: E402
from bot.config.logs import configure_logging  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from sandbox.photos import scene_photo  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from storage.models import Case  # noqa: E402
from tests.e2e.conftest import bot_settings  # noqa: E402
from tests.e2e.helpers import bot_messages, button_data_of, running_bot, text_of  # noqa: E402

TOKEN = "424243:BENCH-quiet"
NEW = {"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"}
EDITS = {"editMessageText", "editMessageCaption", "editMessageReplyMarkup"}
TOPIC_PIN = {"createForumTopic", "editForumTopic", "closeForumTopic", "reopenForumTopic"} | {
    "pinChatMessage"
}
STEP_TIMEOUT = 600.0


class Player:
    """One case's people, and how long the bot kept each of them waiting."""

    def __init__(self, sb: Sandbox, bot: Runtime, chat: int, n: int, people: dict[str, int]):
        self.sb, self.bot, self.chat, self.n = sb, bot, chat, n
        self.people = people
        self.thread: int | None = None
        self.waits: list[tuple[str, float]] = []

    async def _until(self, what: str, check: Callable[[], Any], since: float) -> Any:
        while True:
            got = check()
            if got:
                self.waits.append((what, time.perf_counter() - since))
                return got
            if time.perf_counter() - since > STEP_TIMEOUT:
                raise TimeoutError(f"case {self.n}: {what}")
            await asyncio.sleep(0.02)

    def card(self) -> dict[str, Any] | None:
        return next(
            (
                m
                for m in bot_messages(self.sb, self.chat, self.thread)
                if text_of(m).startswith("🚗")
            ),
            None,
        )

    def newest(self, containing: str) -> dict[str, Any] | None:
        for m in reversed(bot_messages(self.sb, self.chat, self.thread)):
            if containing in text_of(m):
                return m
        return None

    async def card_shows(self, what: str, text: str, since: float) -> None:
        await self._until(
            what, lambda: (c := self.card()) is not None and text in text_of(c), since
        )

    async def press(self, chat: int, user: int, message: dict[str, Any], label: str) -> float:
        at = time.perf_counter()
        qid = self.sb.press_button(
            chat, user, message["message_id"], button_data_of(message, label)
        )
        await self._until(f"toast {label}", lambda: self.sb.callback_answer(qid), at)
        return at

    def say(self, text: str, reply_to: int | None = None) -> float:
        self.sb.send_text(
            self.chat, self.people["assistant"], text, thread_id=self.thread, reply_to=reply_to
        )
        return time.perf_counter()

    async def play(self) -> None:
        sb, p = self.sb, self.people
        at = time.perf_counter()
        photos = [scene_photo(100 * self.n + i) for i in range(9)]  # no photo seen twice
        album = sb.send_album(self.chat, p["assistant"], photos)
        ids = {m["message_id"] for m in album}

        async def opened() -> Case | None:
            async with self.bot.services.db.session() as s:
                stmt = select(Case).where(
                    Case.chat_id == self.chat,
                    Case.origin_message_id.in_(ids),  # type: ignore[attr-defined]
                )
                return (await s.exec(stmt)).first()

        while (case := await opened()) is None or case.message_thread_id is None:
            await asyncio.sleep(0.02)
        self.thread = case.message_thread_id
        await self.card_shows("album → card", "照片：9 张", at)
        a, b = f"湘C{12345 + self.n}", f"湘C{67890 - self.n}"
        at = self.say(f"甲 {a} 平安 13800001111 张三 小型轿车")
        await self.card_shows("甲 form", a, at)
        at = self.say(f"乙 {b} 人保 13900002222 李四 小型普通客车")
        await self.card_shows("乙 form", b, at)
        for question, answer in (
            ("是否有人受伤", "无人受伤"),
            ("车辆能否", "能移动"),
            ("双方驾驶证", "证件有效"),
            ("是否疑似酒驾", "无"),
            ("是否载有危险", "无"),
            ("双方对事实", "无争议"),
        ):
            await self.card_shows("next question", f"待答：{question}", time.perf_counter())
            at = await self.press(self.chat, p["assistant"], self.card() or {}, answer)
        await self.card_shows("eligible", "符合快处快赔条件", at)
        at = await self.press(self.chat, p["assistant"], self.card() or {}, "事故情形")
        menu = await self._until("menu", lambda: self.newest("选择有违法情形的一方"), at)
        at = await self.press(self.chat, p["assistant"], menu, "甲方")
        menu = await self._until("situations", lambda: self.newest("甲方的事故情形"), at)
        at = await self.press(self.chat, p["assistant"], menu, "追尾")
        await self.card_shows("liability", "甲 全部 / 乙 无", at)
        at = await self.press(self.chat, p["assistant"], self.card() or {}, "录入估损")
        q = await self._until("estimate prompt", lambda: self.newest("甲方车损估价"), at)
        at = self.say("1500", reply_to=q["message_id"])
        q = await self._until("next estimate", lambda: self.newest("乙方车损估价"), at)
        at = self.say("4000", reply_to=q["message_id"])
        await self.card_shows("estimates", "赔付测算", at)
        at = await self.press(self.chat, p["assistant"], self.card() or {}, "确认链接")
        links = await self._until("links", lambda: self.newest("请各方驾驶人点击"), at)
        token = re.search(r"start=(cf_[\w-]+)$", button_data_of(links, "甲方")).group(1)  # type: ignore[union-attr]
        zhang = p["zhang"]
        at = time.perf_counter()
        sb.send_text(zhang, zhang, f"/start {token}")

        def summary() -> dict[str, Any] | None:
            return next((m for m in bot_messages(sb, zhang) if "请核对后确认" in text_of(m)), None)

        await self._until("private summary", summary, at)
        await self.press(zhang, zhang, summary() or {}, "确认无误")
        await self._until("contact button", lambda: sb.reply_keyboard(zhang) is not None, at)
        at = time.perf_counter()
        sb.share_contact(zhang, zhang)
        await self.card_shows("甲 confirmed", "已确认（本人Telegram）", at)
        at = await self.press(self.chat, p["assistant"], self.card() or {}, "乙方纸质确认")
        ping = await self._until("insurer ping", lambda: self.newest("请审核"), at)
        at = await self.press(self.chat, p["adjuster"], ping, "同意")
        await self._until("number question", lambda: self.newest("请回复报案号"), at)
        at = time.perf_counter()
        sb.send_text(
            self.chat, p["adjuster"], "报案号 RDAA2026009 定损 5400", thread_id=self.thread
        )
        done = await self._until(
            "numbers shown", lambda: self.newest("报案号 RDAA2026009，定损"), at
        )
        await self._until("payout button", lambda: self.newest("所有赔付方已同意"), at)
        at = await self.press(
            self.chat, p["adjuster"], self.newest("所有赔付方已同意") or done, "已全额赔付"
        )
        await self.card_shows("closed", "状态：已结案", at)
        await self._until("agreement", lambda: self.newest("协议书"), at)
        await self._until(
            "topic closed",
            lambda: any(
                t["message_thread_id"] == self.thread and t["closed"] for t in sb.topics(self.chat)
            ),
            at,
        )


async def bench(
    cases: int,
    rate: float,
    database_url: str | None,
    workdir: Path,
    *,
    group_rate: tuple[int, float] = (20, 60.0),
    quiet: bool = False,
) -> dict[str, Any]:
    """Play the cases; print the figures (unless `quiet`) and return them.

    `group_rate` is the group's limit (calls, seconds): Telegram's 20 a minute, or a
    shorter window with the same count when only the calls per case are wanted (the bot
    is told the same limit, as tests/e2e/conftest.py does).
    """
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    await upgrade_async(url)
    async with Sandbox(token=TOKEN, bot_username="kuaipei_bot", group_rate=group_rate) as sb:
        admin = sb.create_user("李队长")
        adjuster = sb.create_user("平安定损")
        players_people = [
            {
                "assistant": sb.create_user(f"协理员{i + 1}"),
                "zhang": sb.create_user("张三", phone_number="8613800001111"),
                "adjuster": adjuster,
            }
            for i in range(cases)
        ]
        members = [admin, adjuster, *(pp["assistant"] for pp in players_people)]
        chat = sb.create_chat(
            "supergroup", title="花石镇快处群", is_forum=True, members=members, admins=[admin]
        )
        for pp in players_people:
            sb.create_chat("private", members=[pp["zhang"]])
        base = load_deployment(EXAMPLE_FILE)
        people = (
            *base.people,
            Person(user_id=adjuster, name="平安定损", role="adjuster", insurer="PINGAN"),
            *(
                Person(user_id=pp["assistant"], name=f"协理员{i + 1}", role="assistant")
                for i, pp in enumerate(players_people)
            ),
        )
        settings = bot_settings(
            sb, url, workdir / "media", token=TOKEN, group_rate=group_rate, card_settle=None
        )
        deployment = base.model_copy(update={"people": people})
        async with running_bot(settings, deployment) as runtime:
            sb.send_text(chat, admin, "/setup 花石镇")
            await sb.wait_for(
                lambda: any("已登记" in text_of(m) for m in sb.transcript(chat)), timeout=60
            )
            start_calls = len(sb.calls)
            players = [Player(sb, runtime, chat, i, pp) for i, pp in enumerate(players_people)]
            started = time.perf_counter()

            async def run(i: int, player: Player) -> None:
                await asyncio.sleep(i * 60.0 / rate)
                await player.play()

            await asyncio.gather(*(run(i, p) for i, p in enumerate(players)))
            elapsed = time.perf_counter() - started
        calls = sb.calls[start_calls:]
        limited = sb.rate_limited()
    group: Counter[str] = Counter()
    private: Counter[str] = Counter()
    for c in calls:
        if c.get("status") != 200:
            continue
        kind = (
            "new"
            if c["method"] in NEW
            else "edit"
            if c["method"] in EDITS
            else "topic/pin"
            if c["method"] in TOPIC_PIN
            else None
        )
        if kind is None:
            continue
        (group if str(c["params"].get("chat_id")) == str(chat) else private)[kind] += 1
    waits = [w for p in players for _, w in p.waits]
    worst = max(((w, what, p.n) for p in players for what, w in p.waits), default=(0.0, "", 0))
    over = sum(1 for w in waits if w > 2.0)
    per_case = sum(group.values()) / cases
    figures: dict[str, Any] = {
        "cases": cases,
        "rate": rate,
        "elapsed_s": elapsed,
        "cases_per_min": cases / elapsed * 60,
        "group": {k: group[k] / cases for k in ("new", "edit", "topic/pin")},
        "private": {k: private[k] / cases for k in ("new", "edit")},
        "limited": limited,
        "waits": len(waits),
        "median_wait_s": statistics.median(waits),
        "p90_wait_s": sorted(waits)[int(0.9 * (len(waits) - 1))],
        "max_wait": worst,
        "over_2s": over,
    }
    if quiet:
        return figures
    print(
        f"cases: {cases}, one every {60.0 / rate:.0f} s ({rate:g}/min), one forum group, "
        f"database: {url.split(':', 1)[0]}, Telegram limits: {group_rate[0]} per "
        f"{group_rate[1]:g} s per group, 30/s overall"
    )
    print(f"played in {elapsed:.0f} s ({figures['cases_per_min']:.2f} cases/min achieved)")
    print(
        f"per case, group: new {group['new'] / cases:.1f}, edits {group['edit'] / cases:.1f}, "
        f"topic/pin {group['topic/pin'] / cases:.1f} "
        f"(= {per_case:.1f} of the group's {group_rate[0]} calls per window); "
        f"private: new {private['new'] / cases:.1f}"
    )
    print(f"group's limit allows at most {group_rate[0] / per_case:.2f} such cases per window")
    print(f"429s drawn by the bot: {limited}")
    print(
        f"waits for the bot: {len(waits)} steps, median {statistics.median(waits) * 1000:.0f} ms, "
        f"p90 {figures['p90_wait_s'] * 1000:.0f} ms, "
        f"max {worst[0]:.1f} s ({worst[1]!r} of case {worst[2] + 1}), over 2 s: {over}"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=4)
    parser.add_argument("--rate", type=float, default=4.0, help="new cases per minute")
    parser.add_argument("--quick", action="store_true", help="2 cases")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    configure_logging("WARNING", secrets=[TOKEN])
    cases = 2 if args.quick else args.cases
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        asyncio.run(bench(cases, args.rate, args.database_url, Path(tmp)))


if __name__ == "__main__":
    main()
