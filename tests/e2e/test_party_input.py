"""What people type about the parties: odd characters, long lines, partial answers, more cars."""

from __future__ import annotations

from sqlmodel import col, select

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from storage.models import Case, OutboxItem, Party
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import (
    bot_messages,
    button_data_of,
    card_shows,
    cards,
    cases_in,
    last_bot_message,
    press,
    register,
    text_of,
)


async def _open_case(world: World, bot: Runtime) -> Case:
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(world.forum, world.assistant, [scene_photo(i) for i in range(3)])
    await eventually(lambda: card_shows(sb, world.forum, 3))
    return (await cases_in(bot, world.forum))[0]


def _newest(world: World) -> int:
    return max((m["message_id"] for m in world.sb.transcript(world.forum)), default=0)


async def _said_after(world: World, containing: str, after: int) -> dict:
    sb = world.sb
    try:
        await sb.wait_for(
            lambda: any(
                containing in text_of(m) and m["message_id"] > after
                for m in bot_messages(sb, world.forum)
            ),
            timeout=10,
        )
    except TimeoutError as exc:
        raise AssertionError(f"no {containing!r}:\n{sb.format_transcript(world.forum)}") from exc
    return last_bot_message(sb, world.forum, containing)


async def _parties(bot: Runtime) -> dict[str, Party]:
    async with bot.services.db.session() as s:
        return {p.label: p for p in (await s.exec(select(Party).order_by(col(Party.id)))).all()}


async def _card_has(world: World, text: str) -> bool:
    found = cards(world.sb, world.forum)
    return bool(found) and text in text_of(found[0])


async def _card_button(world: World, label: str) -> bool:
    found = cards(world.sb, world.forum)
    return bool(found) and label in str(found[0].get("reply_markup"))


async def test_a_fifth_vehicle_is_added_and_a_sixth_is_refused_politely(world: World, bot: Runtime):
    sb = world.sb
    case = await _open_case(world, bot)
    for label in ("丙", "丁", "戊"):
        await eventually(lambda label=label: _card_button(world, f"＋{label}方"))
        add_button = button_data_of(cards(sb, world.forum)[0], f"＋{label}方")
        await press(sb, world.forum, world.assistant, cards(sb, world.forum)[0], f"＋{label}方")
        await eventually(lambda label=label: _card_has(world, f"{label}方：未填写"))
    await _said_after(world, "请回复戊方车牌号", 0)
    assert list(await _parties(bot)) == ["甲", "乙", "丙", "丁", "戊"]
    await eventually(lambda: _card_has(world, "甲 未定 / 乙 未定 / 丙 未定 / 丁 未定 / 戊 未定"))
    buttons = str(cards(sb, world.forum)[0]["reply_markup"])
    assert "✏️戊方" in buttons and "＋己方" not in buttons

    # A second press of the add button that reached the bot after the card dropped it.
    card = cards(sb, world.forum)[0]
    qid = sb.press_button(
        world.forum, world.assistant, card["message_id"], add_button, strict=False
    )
    await sb.wait_for(lambda: sb.callback_answer(qid) is not None, timeout=10)
    answer = sb.callback_answer(qid)
    assert answer["show_alert"] and "最多登记 5 方车辆（甲方至戊方）" in answer["text"]

    # A quick form for a sixth vehicle gets the same answer in the thread, and nothing changes.
    mark = _newest(world)
    sb.send_text(
        world.forum,
        world.assistant,
        "己 湘C55555 平安 13800005555 钱七 小型轿车",
        thread_id=case.message_thread_id,
    )
    refusal = await _said_after(world, "最多登记 5 方车辆", mark)
    assert "请管理员调整上限" in text_of(refusal)
    assert list(await _parties(bot)) == ["甲", "乙", "丙", "丁", "戊"]

    # The fifth vehicle is a party like the others: its quick form fills it in.
    sb.send_text(
        world.forum,
        world.assistant,
        "戊 湘C44444 平安 13800004444 孙六 小型轿车",
        thread_id=case.message_thread_id,
    )
    await eventually(lambda: _card_has(world, "湘C44444"))
    assert (await _parties(bot))["戊"].driver_name == "孙六"


async def test_a_quick_form_without_the_name_asks_for_the_name_alone(world: World, bot: Runtime):
    sb = world.sb
    case = await _open_case(world, bot)
    mark = _newest(world)
    sb.send_text(
        world.forum,
        world.assistant,
        "甲 湘C12345 平安 13800001111",
        thread_id=case.message_thread_id,
    )
    question = await _said_after(world, "甲方驾驶人", mark)
    assert "请回复甲方驾驶人姓名，例如 张三" in text_of(question)
    assert "电话" not in text_of(question) and "13800001111" not in text_of(question)
    mark = _newest(world)
    sb.send_text(world.forum, world.assistant, "张三", thread_id=case.message_thread_id)
    await _said_after(world, "甲方车辆类型", mark)
    party = (await _parties(bot))["甲"]
    assert (party.driver_name, party.phone) == ("张三", "13800001111")

    # The other way round: the name was given, the phone is asked for alone.
    mark = _newest(world)
    sb.send_text(
        world.forum, world.assistant, "乙 湘C67890 人保 李四", thread_id=case.message_thread_id
    )
    question = await _said_after(world, "乙方驾驶人", mark)
    assert "请回复乙方驾驶人手机号" in text_of(question) and "姓名" not in text_of(question)
    mark = _newest(world)
    sb.send_text(world.forum, world.assistant, "李四", thread_id=case.message_thread_id)
    refusal = await _said_after(world, "请回复手机号", mark)
    assert refusal["reply_to_message_id"] is not None
    sb.send_text(world.forum, world.assistant, "13900002222", thread_id=case.message_thread_id)
    await _said_after(world, "乙方车辆类型", mark)
    party = (await _parties(bot))["乙"]
    assert (party.driver_name, party.phone) == ("李四", "13900002222")


async def test_vehicle_types_come_from_buttons_and_odd_characters_are_dropped(
    world: World, bot: Runtime
):
    sb = world.sb
    case = await _open_case(world, bot)
    thread = case.message_thread_id
    mark = _newest(world)
    # Invisible characters inside a name do not survive the quick form.
    sb.send_text(
        world.forum,
        world.assistant,
        "甲 湘C12345 平安 13800001111 张\u200b三\u202e",
        thread_id=thread,
    )
    question = await _said_after(world, "甲方车辆类型", mark)
    assert "小型轿车" in str(question["reply_markup"])  # the deployment's types, as buttons
    assert (await _parties(bot))["甲"].driver_name == "张三"

    # A typed type outside the list is refused (free text is off by default), with the buttons.
    mark = _newest(world)
    sb.send_text(world.forum, world.assistant, "<i>拖拉机</i>\u202e🚜", thread_id=thread)
    refusal = await _said_after(world, "不在列表中", mark)
    assert "\u202e" not in text_of(refusal) and "<i>拖拉机</i>🚜" in text_of(refusal)
    assert "二轮摩托车" in str(refusal["reply_markup"])
    assert (await _parties(bot))["甲"].vehicle_type is None
    # A typed type that is on the list is taken; so is a button.
    sb.send_text(world.forum, world.assistant, "轻型货车", thread_id=thread)
    await eventually(lambda: _card_has(world, "轻型货车"))
    assert (await _parties(bot))["甲"].vehicle_type == "轻型货车"

    # A deployment that allows typed types keeps what was typed, without the invisible parts.
    rules = bot.services.deployment.rules.model_copy(update={"free_text_vehicle_types": True})
    bot.services.deployment = bot.services.deployment.model_copy(update={"rules": rules})
    mark = _newest(world)
    sb.send_text(
        world.forum, world.assistant, "乙 湘C67890 人保 13900002222 李四", thread_id=thread
    )
    await _said_after(world, "乙方车辆类型", mark)
    sb.send_text(world.forum, world.assistant, "<i>拖拉机</i>\u202e🚜", thread_id=thread)
    await eventually(lambda: _card_has(world, "<i>拖拉机</i>🚜"))
    assert (await _parties(bot))["乙"].vehicle_type == "<i>拖拉机</i>🚜"
    assert all("\u202e" not in text_of(m) for m in bot_messages(sb, world.forum))


async def test_a_4096_character_quick_form_gets_a_polite_answer(world: World, bot: Runtime):
    sb = world.sb
    case = await _open_case(world, bot)
    line = "甲 湘C12345 " + "拖" * (4096 - len("甲 湘C12345 "))
    assert len(line) == 4096
    mark = _newest(world)
    sb.send_text(world.forum, world.assistant, line, thread_id=case.message_thread_id)
    answer = await _said_after(world, "未能识别", mark)
    assert len(text_of(answer)) < 400 and "…" in text_of(answer)
    async with bot.services.db.session() as s:
        failed = (await s.exec(select(OutboxItem).where(OutboxItem.status == "failed"))).all()
    assert failed == []
    assert (await _parties(bot)) == {}  # a refused line changes nothing


async def test_the_sender_cuts_a_text_over_telegrams_limit(world: World, bot: Runtime):
    sb = world.sb
    await _open_case(world, bot)
    svc = bot.services
    long_text = "<b>标题</b>\n" + "行&amp;" * 2500 + "<i>结尾</i>"

    async def work(session):  # noqa: ANN001, ANN202
        from storage import queries as q

        q.enqueue(
            session, at=svc.clock.now(), chat_id=world.forum, kind="send_text", text=long_text
        )

    await svc.in_transaction(work)
    svc.outbox_changed()
    await sb.wait_for(
        lambda: any(text_of(m).startswith("标题\n行&行&") for m in bot_messages(sb, world.forum)),
        timeout=10,
    )
    sent = next(m for m in bot_messages(sb, world.forum) if text_of(m).startswith("标题\n行&"))
    assert len(text_of(sent)) <= 4096 and text_of(sent).endswith("…")
    assert {"type": "bold", "offset": 0, "length": 2} in sent["entities"]


async def test_set_grades_by_hand_posts_one_row_per_party(world: World, bot: Runtime):
    sb = world.sb
    await _open_case(world, bot)
    await press(sb, world.forum, world.assistant, cards(sb, world.forum)[0], "直接定责")
    menu = await _said_after(world, "直接设定各方责任", 0)
    rows = menu["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row][0] for row in rows] == ["甲全部", "乙全部"]
    await press(sb, world.forum, world.assistant, menu, "乙无")
    await eventually(lambda: _card_has(world, "甲 未定 / 乙 无"))
