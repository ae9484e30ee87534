"""/case (the timeline, by role) and the police path (/queue, claim, release, cancel with a
reason, take over, hand back), end to end through the sandbox.

The people with roles are deployment people whose user ids are sandbox users (the sandbox
picks ids itself, so the test builds its own deployment from the example file).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.compose.app import Runtime, build_runtime
from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment
from bot.kernel.buttons import PREFIX, Press, press_button
from bot.kernel.clock import ManualClock
from bot.police import buttons as police_buttons
from sandbox.photos import scene_photo
from storage.models import AuditEvent, Case
from tests.e2e.conftest import World, bot_settings, eventually, with_assistant
from tests.e2e.flows import drive_to_ready
from tests.e2e.helpers import (
    button_data_of,
    card_of,
    cards,
    cases_in,
    press,
    register,
    said,
    tap,
    text_of,
)

MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in Xiangtan


@dataclass
class Staff:
    officer: int  # 刘警官
    officer2: int  # 张警官
    liaison: int
    pingan: int  # adjuster of 平安 (甲's insurer: pays in the standard rear-end case)
    picc: int  # adjuster of 人保 (乙's insurer: pays nothing there)
    clock: ManualClock


@pytest.fixture
async def staffed(
    world: World, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Runtime, Staff]]:
    sb = world.sb
    names = {"officer": "刘警官", "officer2": "张警官", "liaison": "联席办小周"}
    names |= {"pingan": "陈晓东", "picc": "刘建平"}
    ids = {key: sb.create_user(name) for key, name in names.items()}
    for uid in ids.values():
        for chat in (world.forum, world.plain, world.stray):
            sb.add_member(chat, uid)
    people = (
        Person(user_id=ids["officer"], name="刘警官", role="police"),
        Person(user_id=ids["officer2"], name="张警官", role="police"),
        Person(user_id=ids["liaison"], name="联席办小周", role="liaison"),
        Person(user_id=ids["pingan"], name="陈晓东", role="adjuster", insurer="PINGAN"),
        Person(user_id=ids["picc"], name="刘建平", role="adjuster", insurer="PICC"),
    )
    deployment = with_assistant(
        load_deployment(EXAMPLE_FILE).model_copy(update={"people": people}), world
    )
    clock = ManualClock(MORNING)
    runtime = build_runtime(
        bot_settings(sb, database_url, tmp_path / "media"),
        deployment,
        clock=clock,
        poll_timeout=1,
    )
    await runtime.start()
    yield runtime, Staff(clock=clock, **ids)
    await runtime.stop()


# --- helpers -----------------------------------------------------------------------------


def newest(world: World, chat: int) -> int:
    return max((m["message_id"] for m in world.sb.transcript(chat)), default=0)


async def ask(world: World, chat: int, user: int, text: str, expect: str) -> str:
    """Send a command in the group's general chat and return the bot's answer to it."""
    mark = newest(world, chat)
    world.sb.send_text(chat, user, text)
    return text_of(await said(world.sb, chat, expect, after=mark))


async def card_says(world: World, chat: int, number: str, text: str) -> None:
    async def check() -> bool:
        return any(number in text_of(c) and text in text_of(c) for c in cards(world.sb, chat))

    await eventually(check)


async def case_row(bot: Runtime, case_id: int) -> Case:
    async with bot.services.db.session() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        return case


async def events(bot: Runtime, case_id: int, *kinds: str) -> list[AuditEvent]:
    async with bot.services.db.session() as s:
        stmt = select(AuditEvent).where(AuditEvent.case_id == case_id)
        if kinds:
            stmt = stmt.where(col(AuditEvent.kind).in_(kinds))
        return list((await s.exec(stmt.order_by(col(AuditEvent.id)))).all())


async def open_case(world: World, bot: Runtime, chat: int) -> Case:
    """A fresh case from a small album (each album in the general chat opens its own case)."""
    before = len(await cases_in(bot, chat))
    world.sb.send_album(
        chat, world.assistant, [scene_photo(i + 10 * before + 50) for i in range(2)]
    )

    async def opened() -> bool:
        found = await cases_in(bot, chat)
        return len(found) > before and any(
            found[before].number in text_of(c) for c in cards(world.sb, chat)
        )

    await eventually(opened)
    return (await cases_in(bot, chat))[before]


# --- /case --------------------------------------------------------------------------------


async def test_case_timeline_by_role(world: World, staffed: tuple[Runtime, Staff]):
    bot, staff = staffed
    sb, chat = world.sb, world.forum
    case = await drive_to_ready(world, bot, chat)
    number = case.number

    # An adjuster of the paying insurer (平安 pays everything in a rear-end by 甲): allowed.
    text = await ask(world, chat, staff.pingan, f"/case {number}", "🕘 案件")
    lines = text.splitlines()
    assert lines[0].startswith(f"🕘 案件 {number} · 花石镇 · ")
    assert "10:00 王协理：开案" in text  # the group's time zone, the opener's name
    assert "王协理：添加照片 9 张" in text  # nine photo events merged into one line
    assert "王协理：填写甲方信息" in text
    assert "材料齐全" in text
    assert "甲方确认（本人在线确认）" in text and "乙方确认（纸质签字）" in text
    assert "各阶段用时" in text and "开案 → 材料齐全：不到1分钟" in text
    assert "开案至今：" in text and "（未结案）" in text

    # Police and the liaison office see every case of their groups.
    assert "开案" in await ask(world, chat, staff.officer, f"/case {number}", "🕘 案件")
    assert "开案" in await ask(world, chat, staff.liaison, f"/case {number.lower()}", "🕘 案件")

    # An adjuster of an insurer that pays nothing here (乙's own insurer), a stranger and
    # the assistant (no timeline right in the matrix) are refused politely.
    for who in (staff.picc, world.villager, world.assistant):
        text = await ask(world, chat, who, f"/case {number}", "无权查看")
        assert f"无权查看案件 {number}" in text and "开案" not in text
    refused = await events(bot, case.id, "timeline.refused")
    assert [e.actor_user_id for e in refused] == [staff.picc, world.villager, world.assistant]

    # Unknown and malformed numbers, and no number at all, get a clear answer.
    text = await ask(world, chat, staff.officer, "/case HS-20991231-999", "未找到案件")
    assert "HS-20991231-999" in text
    assert "不是案件编号" in await ask(world, chat, staff.officer, "/case 123abc", "不是案件编号")
    assert "HS-20261129-001" in await ask(world, chat, staff.officer, "/case", "请写明案件编号")

    # Any registered chat: the liaison asks from another township's group.
    await register(world, world.plain, "射埠镇")
    text = await ask(world, world.plain, staff.liaison, f"/case {number}", "🕘 案件")
    assert "王协理：开案" in text
    # An unregistered group is told so.
    assert "尚未登记" in await ask(world, world.stray, staff.liaison, f"/case {number}", "尚未登记")

    # Time passes; an officer takes the case over and hands it back: readiness decides again.
    staff.clock.advance(minutes=65)
    await press(sb, chat, staff.officer, card_of(world.sb, chat, number), "交警接管")
    await card_says(world, chat, number, "刘警官 已认领")
    staff.clock.advance(minutes=10)
    await press(sb, chat, staff.officer, card_of(world.sb, chat, number), "退回快处")
    await said(world.sb, chat, "已将本案退回快处流程")

    async def ready_again() -> bool:
        kinds = [e.kind for e in await events(bot, case.id)]
        return (
            "case.handed_back" in kinds
            and kinds[kinds.index("case.handed_back") :].count("case.ready") == 1
        )

    await eventually(ready_again)
    row = await case_row(bot, case.id)
    assert row.status != "police" and row.police_claimed_by is None
    text = await ask(world, chat, staff.officer, f"/case {number}", "🕘 案件")
    assert "刘警官：交警接管并认领" in text and "刘警官：交警退回快处" in text
    assert "→ 已转交警：1小时5分钟" in text and "已转交警 → 采集证据中：10分钟" in text
    assert "开案至今：1小时15分钟（未结案）" in text


async def test_a_long_timeline_is_cut_to_fit(world: World, staffed: tuple[Runtime, Staff]):
    bot, staff = staffed
    chat = world.forum
    await register(world, chat, "花石镇")
    case = await open_case(world, bot, chat)
    async with bot.services.db.transaction() as s:
        for i in range(400):
            s.add(
                AuditEvent(
                    case_id=case.id,
                    chat_id=chat,
                    at=MORNING,
                    actor_user_id=world.assistant,
                    kind="case.scene_set" if i % 2 else "party.added",
                    data={"label": "丙"},
                )
            )
    text = await ask(world, chat, staff.officer, f"/case {case.number}", "🕘 案件")
    assert len(text) <= 4096  # the sandbox refuses longer texts, so it arrived whole
    assert "记录太长，省略中间" in text and "（共 402 条）" in text
    assert "王协理：开案" in text and "开案至今：" in text


# --- the police path -----------------------------------------------------------------------


async def test_police_queue_claim_release_cancel_take_over_hand_back(
    world: World, staffed: tuple[Runtime, Staff]
):
    bot, staff = staffed
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    a = await open_case(world, bot, chat)
    b = await open_case(world, bot, chat)
    c = await open_case(world, bot, chat)

    # An empty queue says so.
    assert "目前没有" in await ask(world, chat, world.villager, "/queue", "🚓")

    # A: the assistant's answer sends it to the police (the fast path's own hand-over).
    await press(sb, chat, world.assistant, card_of(world.sb, chat, a.number), "有人受伤")
    await card_says(world, chat, a.number, "交警处理：待认领")
    assert "认领" in str(card_of(world.sb, chat, a.number)["buttons"])
    staff.clock.advance(minutes=30)

    # Non-police pressing police buttons: an alert, nothing changes, the attempt is audited.
    answer = await tap(world.sb, chat, world.villager, card_of(world.sb, chat, a.number), "认领")
    assert answer["show_alert"] is True and "只有交警" in answer["text"]
    answer = await tap(
        world.sb, chat, world.assistant, card_of(world.sb, chat, b.number), "交警接管"
    )
    assert answer["show_alert"] is True and "只有交警" in answer["text"]
    answer = await tap(world.sb, chat, staff.pingan, card_of(world.sb, chat, a.number), "撤销")
    assert answer["show_alert"] is True
    assert (await case_row(bot, a.id)).police_claimed_by is None
    assert (await case_row(bot, b.id)).status == "collecting"
    refused = await events(bot, a.id, "police.refused") + await events(bot, b.id, "police.refused")
    assert sorted((e.actor_user_id, e.data["attempted"]) for e in refused) == sorted(
        [
            (world.villager, "police.claim"),
            (staff.pingan, "police.cancel"),
            (world.assistant, "police.take_over"),
        ]
    )

    # B: an officer takes over an open (collecting) case: police, claimed by them.
    await press(sb, chat, staff.officer, card_of(world.sb, chat, b.number), "交警接管")
    await card_says(world, chat, b.number, "刘警官 已认领")
    await said(world.sb, chat, "已接管本案（原状态：采集证据中）")
    row = await case_row(bot, b.id)
    assert (row.status, row.police_claimed_by) == ("police", staff.officer)
    # Its fast-path buttons are gone; the card now offers release, hand back, cancel.
    buttons = str(card_of(world.sb, chat, b.number)["buttons"])
    assert "释放认领" in buttons and "退回快处" in buttons and "撤销案件" in buttons
    assert "事故情形" not in buttons and "交警接管" not in buttons
    # C: another officer takes over another case.
    answer = await tap(
        world.sb, chat, staff.officer2, card_of(world.sb, chat, c.number), "交警接管"
    )
    assert answer["show_alert"] is False
    await card_says(world, chat, c.number, "张警官 已认领")
    assert len(await events(bot, c.id, "case.police")) == 1

    # /queue: oldest hand-over first, age and claim state, a claim button per free case.
    mark = newest(world, chat)
    sb.send_text(chat, world.villager, "/queue")
    queue = await said(world.sb, chat, "交警待办", after=mark)
    lines = text_of(queue).splitlines()
    assert lines[0] == "🚓 交警待办 · 花石镇（3 件，按转交时间先后）"
    assert lines[1] == f"1. {a.number} · 已等待 30分钟 · 待认领"
    assert lines[2] == f"2. {b.number} · 已等待 不到1分钟 · 刘警官 已认领"
    assert lines[3] == f"3. {c.number} · 已等待 不到1分钟 · 张警官 已认领"
    labels = [row[0]["text"] for row in queue["reply_markup"]["inline_keyboard"]]
    assert labels == [f"🙋认领 {a.number}"]

    # Two officers press A's claim at the same moment: exactly one claim.
    data = button_data_of(queue, a.number)
    q1 = sb.press_button(chat, staff.officer, queue["message_id"], data)
    q2 = sb.press_button(chat, staff.officer2, queue["message_id"], data)
    await sb.wait_for(
        lambda: sb.callback_answer(q1) is not None and sb.callback_answer(q2) is not None,
        timeout=10,
    )
    answers = sorted((sb.callback_answer(q)["text"] for q in (q1, q2)), key=len)
    assert answers[0] == "已认领" and "已由" in answers[1] and "认领" in answers[1]
    row = await case_row(bot, a.id)
    assert row.police_claimed_by in (staff.officer, staff.officer2)
    assert len(await events(bot, a.id, "police.claimed")) == 1
    winner = row.police_claimed_by
    loser = staff.officer2 if winner == staff.officer else staff.officer
    winner_name = "刘警官" if winner == staff.officer else "张警官"
    await card_says(world, chat, a.number, f"{winner_name} 已认领")

    async def queue_redrawn() -> bool:
        message = next(m for m in sb.transcript(chat) if m["message_id"] == queue["message_id"])
        return f"{a.number} · 已等待 30分钟 · {winner_name} 已认领" in text_of(message)

    await eventually(queue_redrawn)

    # Only the holder may release, hand back or cancel.
    card = card_of(world.sb, chat, a.number)
    for label in ("释放认领", "退回快处", "撤销案件"):
        answer = await tap(world.sb, chat, loser, card, label)
        assert answer["show_alert"] is True and f"已由{winner_name}认领" in answer["text"]
    await press(sb, chat, winner, card, "释放认领")
    await card_says(world, chat, a.number, "交警处理：待认领")
    assert (await case_row(bot, a.id)).police_claimed_by is None

    # Cancel needs a reason: button, question, the officer's reply.
    mark = newest(world, chat)
    await press(sb, chat, staff.officer, card_of(world.sb, chat, a.number), "撤销案件")
    question = await said(world.sb, chat, f"请回复撤销案件 {a.number} 的原因", after=mark)
    assert question["message_thread_id"] == a.message_thread_id
    assert (await case_row(bot, a.id)).status == "police"  # nothing yet
    sb.send_text(chat, world.villager, "我来说两句", thread_id=a.message_thread_id)  # not asked
    sb.send_text(
        chat,
        staff.officer,
        "当事人已自行协商解决",
        thread_id=a.message_thread_id,
        reply_to=question["message_id"],
    )
    await card_says(world, chat, a.number, "🚫 已撤销（刘警官）：当事人已自行协商解决")
    row = await case_row(bot, a.id)
    assert row.status == "cancelled"
    [cancelled] = await events(bot, a.id, "case.cancelled")
    assert cancelled.actor_user_id == staff.officer
    assert cancelled.data["reason"] == "当事人已自行协商解决"
    markup = card_of(world.sb, chat, a.number).get("reply_markup") or {}
    assert not markup.get("inline_keyboard")  # a cancelled case has no buttons
    # An old button replayed after the end (a modified client can send any data) is refused.
    token = button_data_of(card, "撤销案件").removeprefix(PREFIX)
    texts = {"unknown": "unknown", "expired": "expired"}
    replay = Press(token, chat, card["message_id"], staff.officer, "刘警官")
    result = await press_button(bot.services, replay, texts=texts)
    assert result.alert is True and "案件已结束" in result.text

    # B: hand back to the fast path; the claim is cleared and the fast-path buttons return.
    await press(sb, chat, staff.officer, card_of(world.sb, chat, b.number), "退回快处")
    await card_says(world, chat, b.number, "状态：采集证据中")
    row = await case_row(bot, b.id)
    assert (row.status, row.police_claimed_by, row.police_claimed_at) == ("collecting", None, None)
    buttons = str(card_of(world.sb, chat, b.number)["buttons"])
    assert "事故情形" in buttons and "交警接管" in buttons and "退回快处" not in buttons

    # The timeline of A tells the story, with the reason and the total.
    text = await ask(world, chat, staff.officer2, f"/case {a.number}", "🕘 案件")
    assert "王协理：转交警处理（有人受伤）" in text
    assert f"{winner_name}：认领案件" in text and f"{winner_name}：释放认领" in text
    assert "刘警官：撤销案件，原因：当事人已自行协商解决" in text
    assert "赵师傅：尝试“认领”被拒（无权限）" in text
    assert "开案 → 已转交警：不到1分钟" in text and "已转交警 → 已撤销：30分钟" in text
    assert "合计：30分钟" in text


async def test_hand_back_asks_the_failed_check_again(world: World, staffed: tuple[Runtime, Staff]):
    bot, staff = staffed
    sb, chat = world.sb, world.plain
    await register(world, chat, "射埠镇")
    case = await open_case(world, bot, chat)
    await press(sb, chat, world.assistant, card_of(world.sb, chat, case.number), "有人受伤")
    await card_says(world, chat, case.number, "交警处理：待认领")
    await press(sb, chat, staff.officer, card_of(world.sb, chat, case.number), "退回快处")
    await said(world.sb, chat, "请重新回答快处条件")
    await card_says(world, chat, case.number, "待答：是否有人受伤")
    row = await case_row(bot, case.id)
    assert row.status == "collecting" and "injury" not in row.eligibility
    [back] = await events(bot, case.id, "case.handed_back")
    assert back.data["cleared"] == ["injury"]


async def test_two_officers_claim_at_once_in_the_database(
    world: World, staffed: tuple[Runtime, Staff]
):
    """The claim is a compare-and-set: run both presses concurrently against the use case."""
    bot, staff = staffed
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    case = await open_case(world, bot, chat)
    await press(sb, chat, world.assistant, card_of(world.sb, chat, case.number), "有人受伤")
    await card_says(world, chat, case.number, "交警处理：待认领")
    card = card_of(world.sb, chat, case.number)
    token = button_data_of(card, "认领").removeprefix(PREFIX)
    texts = {"unknown": "unknown", "expired": "expired"}

    def press_of(user: int, name: str) -> Press:
        return Press(token, chat, card["message_id"], user, name)

    results = await asyncio.gather(
        press_button(bot.services, press_of(staff.officer, "刘警官"), texts=texts),
        press_button(bot.services, press_of(staff.officer2, "张警官"), texts=texts),
    )
    assert sorted(r.alert for r in results) == [False, True]
    assert len(await events(bot, case.id, "police.claimed")) == 1
    row = await case_row(bot, case.id)
    assert row.police_claimed_by in (staff.officer, staff.officer2)


async def test_a_claim_lost_between_check_and_write_is_refused(
    world: World, staffed: tuple[Runtime, Staff], monkeypatch: pytest.MonkeyPatch
):
    """The other officer's claim lands after the checks passed: the compare-and-set loses and
    the presser is told who holds the case; nothing else changes."""
    bot, staff = staffed
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    case = await open_case(world, bot, chat)
    await press(sb, chat, world.assistant, card_of(sb, chat, case.number), "有人受伤")
    await card_says(world, chat, case.number, "交警处理：待认领")
    card = card_of(sb, chat, case.number)
    token = button_data_of(card, "认领").removeprefix(PREFIX)
    real_set_claim = police_buttons.set_claim

    async def overtaken(session: AsyncSession, case: Case, *conditions: Any, **values: Any) -> bool:
        conn = await session.connection()
        await conn.execute(
            update(Case)
            .where(col(Case.id) == case.id)
            .values(police_claimed_by=staff.officer2, police_claimed_by_name="张警官")
        )
        return await real_set_claim(session, case, *conditions, **values)

    monkeypatch.setattr(police_buttons, "set_claim", overtaken)
    texts = {"unknown": "unknown", "expired": "expired"}
    result = await press_button(
        bot.services, Press(token, chat, card["message_id"], staff.officer, "刘警官"), texts=texts
    )
    assert result.alert is True and result.text == "此案件已由张警官认领。"
    assert (await case_row(bot, case.id)).police_claimed_by == staff.officer2
    assert await events(bot, case.id, "police.claimed") == []
