"""`/paid` edited in Telegram corrects its payment; its refusals say why in words."""

from __future__ import annotations

import pytest

from bot.compose.app import Runtime
from bot.rules.amounts import AmountErrorCode
from storage.models import AuditEvent, InsurerPayment
from tests.e2e.conftest import World, eventually
from tests.e2e.helpers import all_handled, bot_messages, cards, tap, text_of
from tests.e2e.insurer_support import (
    audits,
    case_of,
    claims,
    newest,
    ping_of,
    routed_case,
    rows,
    status_is,
    wait_said,
)

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
# The staffed deployment with one paying insurer (无责代赔 on).


async def _approved(world: World, bot: Runtime):
    case = await routed_case(world, bot, 1)
    staff = world.staff  # type: ignore[attr-defined]
    await tap(world.sb, world.forum, staff.pingan1, ping_of(world, world.forum, "平安产险"), "同意")
    await wait_said(world, world.forum, "请回复报案号")
    return case, staff


async def _payments(bot: Runtime, case_id: int) -> list[InsurerPayment]:
    return await rows(bot, InsurerPayment, InsurerPayment.case_id == case_id)


def _post(world: World, user: int, case, text: str) -> dict:
    return world.sb.send_text(world.forum, user, text, thread_id=case.message_thread_id)


async def test_an_edited_paid_corrects_its_payment_instead_of_adding_one(
    world: World, standard: Runtime
):
    sb, bot, chat = world.sb, standard, world.forum
    case, staff = await _approved(world, bot)
    paid = _post(world, staff.pingan1, case, "/paid 2000 P1")
    await wait_said(world, chat, "已赔付 ¥2,000.00")

    # The reference fixed: the same payment, the same total.
    mark = newest(world, chat)
    sb.edit_text(chat, staff.pingan1, paid["message_id"], "/paid 2000 P2")
    await wait_said(world, chat, "已更正", mark)
    # The amount fixed: the payment becomes ¥600, nothing is added.
    mark = newest(world, chat)
    sb.edit_text(chat, staff.pingan1, paid["message_id"], "/paid 600 P2")
    corrected = await wait_said(world, chat, "已更正", mark)
    assert "¥2,000.00 → ¥600.00" in text_of(corrected)
    await eventually(lambda: _card_shows(world, "已付 ¥600.00"))

    payments = await _payments(bot, case.id)
    assert [(p.amount_fen, p.reference) for p in payments] == [(60000, "P2")]
    assert (await claims(bot, case.id))["PINGAN"].paid_fen == 60000
    corrections = await audits(bot, "claim.payment_corrected")
    assert [(e.data["old_amount_fen"], e.data["amount_fen"]) for e in corrections] == [
        (200000, 200000),
        (200000, 60000),
    ]
    assert not any("累计 ¥4,000.00" in text_of(m) for m in bot_messages(sb, chat))


async def test_an_edited_paid_cannot_go_over_the_approved_amount(world: World, standard: Runtime):
    sb, bot, chat = world.sb, standard, world.forum
    case, staff = await _approved(world, bot)
    approved = (await claims(bot, case.id))["PINGAN"].approved_fen or 0
    paid = _post(world, staff.pingan1, case, "/paid 100 P1")
    await wait_said(world, chat, "已赔付 ¥100.00")
    mark = newest(world, chat)
    over = approved // 100 + 1
    sb.edit_text(chat, staff.pingan1, paid["message_id"], f"/paid {over} P1")
    await wait_said(world, chat, "超额", mark)
    assert [p.amount_fen for p in await _payments(bot, case.id)] == [10000]
    assert (await claims(bot, case.id))["PINGAN"].paid_fen == 10000


async def test_an_edited_paid_after_closing_is_refused_politely(world: World, standard: Runtime):
    sb, bot, chat = world.sb, standard, world.forum
    case, staff = await _approved(world, bot)
    fen = (await claims(bot, case.id))["PINGAN"].approved_fen or 0
    paid = _post(world, staff.pingan1, case, f"/paid {fen // 100}.{fen % 100:02d} REF-9")
    await status_is(bot, case.id, "closed")
    await wait_said(world, chat, "已结案")
    mark = newest(world, chat)
    sb.edit_text(chat, staff.pingan1, paid["message_id"], "/paid 100 REF-9")
    await wait_said(world, chat, "本案已结案，赔付记录不能再修改", mark)
    assert [p.amount_fen for p in await _payments(bot, case.id)] == [fen]
    assert (await case_of(bot, case.id)).status == "closed"
    refused = [e for e in await audits(bot, "claim.refused") if e.data["reason"] == "edit_closed"]
    assert [e.actor_user_id for e in refused] == [staff.pingan1]


@pytest.mark.parametrize("original", ["/paid 两千 P1", "好的，马上付"])
async def test_an_edit_of_a_message_that_recorded_no_payment_records_none(
    world: World, standard: Runtime, original: str
):
    """A refused `/paid`, or a message never handled as one, edited into a valid `/paid`."""
    sb, bot, chat = world.sb, standard, world.forum
    case, staff = await _approved(world, bot)
    message = _post(world, staff.pingan1, case, original)
    await eventually(lambda: all_handled(bot))
    mark = newest(world, chat)
    sb.edit_text(chat, staff.pingan1, message["message_id"], "/paid 2000 P1")
    await wait_said(world, chat, "修改后的 /paid 不会登记新的赔付", mark)
    assert await _payments(bot, case.id) == []
    assert (await claims(bot, case.id))["PINGAN"].paid_fen == 0
    assert not any("已赔付" in text_of(m) for m in bot_messages(sb, chat))
    kinds = [e.kind for e in await rows(bot, AuditEvent, AuditEvent.case_id == case.id)]
    assert "claim.paid" not in kinds


WORDS = {
    AmountErrorCode.EMPTY: ("/paid", "请回复金额"),
    AmountErrorCode.NOT_A_NUMBER: ("/paid abc P1", "“abc”不是金额"),
    AmountErrorCode.ZERO: ("/paid 0 P1", "金额不能为 0"),
    AmountErrorCode.NEGATIVE: ("/paid -5 P1", "金额不能为负数"),
    AmountErrorCode.TOO_MANY_DECIMALS: ("/paid 1.234 P1", "金额最多两位小数"),
    AmountErrorCode.TOO_LARGE: ("/paid 1" + "0" * 20 + " P1", "金额过大"),
    AmountErrorCode.ABOVE_CEILING: ("/paid 999999 P1", "超过快处快赔上限 ¥"),
}


async def test_paid_refusals_say_the_reason_in_words(world: World, standard: Runtime):
    """Every AmountErrorCode, one after the other in one case (routing it takes seconds)."""
    bot, chat = standard, world.forum
    assert set(WORDS) == set(AmountErrorCode)
    case = await routed_case(world, bot, 1)
    staff = world.staff  # type: ignore[attr-defined]
    for code, (command, words) in WORDS.items():
        mark = newest(world, chat)
        _post(world, staff.pingan1, case, command)
        answer = text_of(await wait_said(world, chat, "用法", mark))
        assert words in answer, (code, answer)
        assert f"（{code.value}）" not in answer and code.value not in answer, (code, answer)
    assert await _payments(bot, case.id) == []


def _card_shows(world: World, text: str):
    async def check() -> bool:
        found = cards(world.sb, world.forum)
        return bool(found) and text in text_of(found[0])

    return check()
