"""An edited answer or quick-form line corrects what it set; it never answers anew."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.compose.app import Runtime
from sandbox.photos import scene_photo
from storage.models import AuditEvent, Case, Party
from tests.e2e.conftest import World, eventually
from tests.e2e.flows import _newest, _question, drive_to_links, drive_to_ready
from tests.e2e.helpers import (
    all_handled,
    card_has,
    card_of,
    card_shows,
    cases_in,
    press,
    register,
    text_of,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

QUICK_甲 = "甲 湘C12345 平安 13800001111 张三 小型轿车"
QUICK_乙 = "乙 湘C67890 人保 13900002222 李四 小型普通客车"


async def _parties(bot: Runtime, case_id: int) -> dict[str, Party]:
    async with bot.services.db.session() as s:
        found = (await s.exec(select(Party).where(Party.case_id == case_id))).all()
    return {p.label: p for p in found}


async def _open(world: World, bot: Runtime) -> tuple[Case, dict]:
    """A forum case with both parties typed in; returns it and 甲's quick-form message."""
    sb, chat = world.sb, world.forum
    await register(world, chat, "花石镇")
    sb.send_album(chat, world.assistant, [scene_photo(i) for i in range(3)])
    await eventually(lambda: card_shows(sb, chat, 3))
    case = (await cases_in(bot, chat))[0]
    first = sb.send_text(chat, world.assistant, QUICK_甲, thread_id=case.message_thread_id)
    await eventually(lambda: card_has(world.sb, chat, "湘C12345"))
    sb.send_text(chat, world.assistant, QUICK_乙, thread_id=case.message_thread_id)
    await eventually(lambda: card_has(world.sb, chat, "湘C67890"))
    return case, first


async def _to_estimates(world: World, bot: Runtime) -> tuple[Case, dict]:
    """Up to 甲's estimate answered with 1500 and 乙's question asked; returns the answer."""
    sb, chat = world.sb, world.forum
    case, _ = await _open(world, bot)
    mark = _newest(world, chat)
    await press(sb, chat, world.assistant, card_of(world.sb, chat), "录入估损")
    q = await _question(world, chat, "甲方车损估价", mark)
    reply = sb.send_text(
        chat, world.assistant, "1500", thread_id=case.message_thread_id, reply_to=q["message_id"]
    )
    await _question(world, chat, "乙方车损估价", mark)
    return case, reply


async def test_an_edited_estimate_corrects_its_party_and_leaves_the_open_question_open(
    world: World, bot: Runtime
):
    sb, chat = world.sb, world.forum
    case, reply = await _to_estimates(world, bot)
    mark = _newest(world, chat)
    sb.edit_text(chat, world.assistant, reply["message_id"], "1600")
    await _question(world, chat, "已按修改后的消息更正甲方信息", mark)
    parties = await _parties(bot, case.id)
    assert parties["甲"].estimate_fen == 160000
    assert parties["乙"].estimate_fen is None

    # 乙's question is still open: the next answer is 乙's.
    q = await _question(world, chat, "乙方车损估价", 0)
    sb.send_text(
        chat, world.assistant, "4000", thread_id=case.message_thread_id, reply_to=q["message_id"]
    )

    async def 乙_answered() -> bool:
        return (await _parties(bot, case.id))["乙"].estimate_fen is not None

    await eventually(乙_answered)
    parties = await _parties(bot, case.id)
    assert (parties["甲"].estimate_fen, parties["乙"].estimate_fen) == (160000, 400000)
    async with bot.services.db.session() as s:
        stmt = select(AuditEvent).where(AuditEvent.kind == "party.updated")
        sources = [e.data.get("source") for e in (await s.exec(stmt)).all()]
    assert sources.count("edit") == 1


async def test_an_edited_quick_form_corrects_that_party(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    case, first = await _open(world, bot)
    mark = _newest(world, chat)
    sb.edit_text(
        chat, world.assistant, first["message_id"], QUICK_甲.replace("湘C12345", "湘C12346")
    )
    await _question(world, chat, "已按修改后的消息更正甲方信息", mark)
    await eventually(lambda: card_has(world.sb, chat, "湘C12346"))
    parties = await _parties(bot, case.id)
    assert set(parties) == {"甲", "乙"}
    assert parties["甲"].plate == "湘C12346" and parties["乙"].plate == "湘C67890"


async def test_an_edited_quick_form_cannot_move_to_another_party(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    case, first = await _open(world, bot)
    mark = _newest(world, chat)
    sb.edit_text(chat, world.assistant, first["message_id"], "丙 湘C11111 平安 13700003333")
    await _question(world, chat, "修改只能更正原来那一方（甲方）", mark)
    await eventually(lambda: all_handled(bot))
    parties = await _parties(bot, case.id)
    assert set(parties) == {"甲", "乙"} and parties["甲"].plate == "湘C12345"


async def test_an_edit_of_a_message_never_taken_as_input_answers_nothing(
    world: World, bot: Runtime
):
    """Chatter edited into an amount while 乙's question is open is not 乙's answer."""
    sb, chat = world.sb, world.forum
    case, _ = await _to_estimates(world, bot)
    chatter = sb.send_text(chat, world.assistant, "稍等", thread_id=case.message_thread_id)
    await eventually(lambda: all_handled(bot))
    mark = _newest(world, chat)
    sb.edit_text(chat, world.assistant, chatter["message_id"], "1600")
    await _question(world, chat, "修改后的消息不会当作新的回答或录入", mark)
    parties = await _parties(bot, case.id)
    assert (parties["甲"].estimate_fen, parties["乙"].estimate_fen) == (150000, None)


async def test_an_edited_answer_after_the_case_went_to_the_insurers_changes_nothing(
    world: World, bot: Runtime
):
    sb, chat = world.sb, world.forum
    case = await drive_to_ready(world, bot, chat)
    answer = next(
        m
        for m in sb.transcript(chat)
        if m["from"]["id"] == world.assistant and text_of(m) == "1500"
    )
    mark = _newest(world, chat)
    sb.edit_text(chat, world.assistant, answer["message_id"], "1600")
    await _question(world, chat, "修改后的消息未生效", mark)
    parties = await _parties(bot, case.id)
    assert parties["甲"].estimate_fen == 150000
    assert (await cases_in(bot, chat))[0].status == "awaiting_insurer"


async def test_the_situation_picker_drops_its_buttons_once_chosen(world: World, bot: Runtime):
    sb, chat = world.sb, world.forum
    await drive_to_links(world, bot, chat)
    picker = next(m for m in sb.transcript(chat) if "甲方的事故情形" in text_of(m))
    assert "追尾" in text_of(picker) and text_of(picker).startswith("✅")
    assert not (picker.get("reply_markup") or {}).get("inline_keyboard")
