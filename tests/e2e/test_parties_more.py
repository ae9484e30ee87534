"""Police hand-over, repeat accidents, concurrent answers, and questions across restarts."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.compose.app import build_runtime
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from sandbox.photos import scene_photo
from storage.models import AuditEvent, Member, Party
from tests.e2e.conftest import World, bot_settings, eventually
from tests.e2e.helpers import (
    bot_messages,
    card_of,
    card_shows,
    cards,
    cases_in,
    last_bot_message,
    press,
    register,
    text_of,
)


async def _open_case(world: World, bot, chat: int, photos: int = 3):  # noqa: ANN001, ANN202
    sb = world.sb
    before = len(await cases_in(bot, chat))
    sb.send_album(chat, world.assistant, [scene_photo(i + 10 * before) for i in range(photos)])
    await eventually(lambda: _cases_at_least(bot, chat, before + 1))
    case = (await cases_in(bot, chat))[before]
    await eventually(lambda: _card_for(world, chat, case.number))
    return (await cases_in(bot, chat))[before]  # now with its topic


async def _cases_at_least(bot, chat: int, n: int) -> bool:  # noqa: ANN001
    return len(await cases_in(bot, chat)) >= n


async def _card_for(world: World, chat: int, number: str) -> bool:
    return any(number in text_of(c) for c in cards(world.sb, chat))


async def test_injury_answer_hands_the_case_to_police(world: World, bot):  # noqa: ANN001
    sb = world.sb
    await register(world, world.forum, "花石镇")
    case = await _open_case(world, bot, world.forum)
    await press(
        sb, world.forum, world.assistant, card_of(world.sb, world.forum, case.number), "有人受伤"
    )
    await sb.wait_for(
        lambda: any("转交警处理" in text_of(m) for m in bot_messages(sb, world.forum)), 10
    )
    handover = last_bot_message(sb, world.forum, "转交警处理")
    assert case.number in text_of(handover) and "有人受伤" in text_of(handover)
    assert "湘潭县交警大队值班员" in text_of(handover)  # the deployment's police are mentioned
    mentions = [
        e
        for e in handover.get("entities") or []
        if e["type"] == "text_mention" or "tg://user?id=700000001" in str(e.get("url", ""))
    ]
    assert mentions, handover.get("entities")
    assert handover["message_thread_id"] == case.message_thread_id
    await eventually(lambda: _card_says(world, case.number, "已转交警"))
    assert (await cases_in(bot, world.forum))[0].status == "police"
    # The fast path is closed: its buttons are gone and a quick form is refused.
    assert "有人受伤" not in str(card_of(world.sb, world.forum, case.number)["buttons"])


async def _card_says(world: World, number: str, text: str) -> bool:
    return text in text_of(card_of(world.sb, world.forum, number))


async def test_repeat_plate_within_48_hours_is_flagged(world: World, bot):  # noqa: ANN001
    sb = world.sb
    await register(world, world.forum, "花石镇")
    first = await _open_case(world, bot, world.forum)
    sb.send_text(
        world.forum,
        world.assistant,
        "甲 湘C12345 平安 13800001111 张三",
        thread_id=first.message_thread_id,
    )
    await eventually(lambda: _card_says(world, first.number, "湘C12345"))
    second = await _open_case(world, bot, world.forum)
    sb.send_text(
        world.forum,
        world.assistant,
        "乙 湘c·12345 人保 13900002222 李四",
        thread_id=second.message_thread_id,
    )
    await eventually(lambda: _card_says(world, second.number, f"另有案件 {first.number}"))
    async with bot.services.db.session() as s:
        flagged = (
            await s.exec(select(AuditEvent).where(AuditEvent.kind == "party.repeat_flagged"))
        ).all()
    assert [e.data["other_case"] for e in flagged] == [first.number]
    assert flagged[0].case_id == second.id


async def test_two_people_answer_in_the_same_thread_at_once(world: World, bot):  # noqa: ANN001
    sb = world.sb
    await register(world, world.forum, "花石镇")
    case = await _open_case(world, bot, world.forum)
    # A second assistant: only the case's people may enter parties (test_fast_path_guard.py).
    async with bot.services.db.session() as s:
        s.add(
            Member(
                chat_id=world.forum,
                user_id=world.villager,
                role="assistant",
                created_at=case.opened_at,
            )
        )
        await s.commit()
    await press(
        sb, world.forum, world.assistant, card_of(world.sb, world.forum, case.number), "✏️甲方"
    )
    await press(
        sb, world.forum, world.villager, card_of(world.sb, world.forum, case.number), "✏️乙方"
    )
    await sb.wait_for(
        lambda: sum("车牌号" in text_of(m) for m in bot_messages(sb, world.forum)) >= 2, 10
    )
    # Both type at the same moment, neither replying to anything.
    sb.send_text(world.forum, world.villager, "湘C22222", thread_id=case.message_thread_id)
    sb.send_text(world.forum, world.assistant, "湘C11111", thread_id=case.message_thread_id)
    await eventually(lambda: _card_says(world, case.number, "湘C22222"))
    await eventually(lambda: _card_says(world, case.number, "湘C11111"))
    async with bot.services.db.session() as s:
        plates = {p.label: p.plate for p in (await s.exec(select(Party))).all()}
    assert plates == {"甲": "湘C11111", "乙": "湘C22222"}


async def test_pending_question_survives_a_restart(world: World, database_url: str, tmp_path: Path):
    sb = world.sb
    settings = bot_settings(sb, database_url, tmp_path / "media")
    deployment = load_deployment(EXAMPLE_FILE)
    first = build_runtime(settings, deployment, poll_timeout=1)
    await first.start()
    try:
        await register(world, world.plain, "射埠镇")
        sb.send_album(world.plain, world.assistant, [scene_photo(i) for i in range(3)])
        await eventually(lambda: card_shows(sb, world.plain, 3))
        await press(sb, world.plain, world.assistant, cards(sb, world.plain)[0], "✏️甲方")
        await sb.wait_for(
            lambda: any("甲方车牌号" in text_of(m) for m in bot_messages(sb, world.plain)), 10
        )
    finally:
        await first.stop()
    question = last_bot_message(sb, world.plain, "甲方车牌号")

    second = build_runtime(settings, deployment, poll_timeout=1)
    await second.start()
    try:
        sb.send_text(world.plain, world.assistant, "湘C54321", reply_to=question["message_id"])
        await sb.wait_for(
            lambda: any("甲方的交强险" in text_of(m) for m in bot_messages(sb, world.plain)), 10
        )
        async with second.services.db.session() as s:
            party = (await s.exec(select(Party).where(Party.label == "甲"))).one()
        assert party.plate == "湘C54321"
    finally:
        await second.stop()


async def test_the_last_checklist_photo_completes_the_case(world: World, bot):  # noqa: ANN001
    from tests.e2e.flows import drive_to_ready

    sb = world.sb
    case = await drive_to_ready(world, bot, world.forum, photos=8)
    assert "还缺：现场照片" in text_of(cards(sb, world.forum)[0])
    sb.send_photo(world.forum, world.assistant, scene_photo(99), thread_id=case.message_thread_id)

    async def routed() -> bool:
        return (await cases_in(bot, world.forum))[0].status == "awaiting_insurer"

    await eventually(routed)


async def test_grades_set_directly_from_the_card(world: World, bot):  # noqa: ANN001
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    case = await _open_case(world, bot, chat)
    for line, plate in (
        ("甲 湘C12345 平安 13800001111 张三 小型轿车", "湘C12345"),
        ("乙 湘C67890 人保 13900002222 李四 小型普通客车", "湘C67890"),
    ):
        sb.send_text(chat, world.assistant, line, thread_id=case.message_thread_id)
        await eventually(lambda plate=plate: _card_says(world, case.number, plate))
    await press(sb, chat, world.assistant, card_of(sb, chat, case.number), "直接定责")
    await sb.wait_for(
        lambda: any("直接设定各方责任" in text_of(m) for m in bot_messages(sb, chat)), 10
    )
    menu = last_bot_message(sb, chat, "直接设定各方责任")
    assert menu["message_thread_id"] == case.message_thread_id
    await press(sb, chat, world.assistant, menu, "甲主要")
    await press(sb, chat, world.assistant, menu, "乙次要")
    await eventually(lambda: _card_says(world, case.number, "甲 主要 / 乙 次要"))
