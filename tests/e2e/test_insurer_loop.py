"""The insurer loop end to end: routing, one-tap decisions, authorisation, payout, closing."""

from __future__ import annotations

import asyncio

from bot.claims.store import ping_message_id
from bot.compose.app import Runtime
from storage.models import AuditEvent, InsurerPayment
from tests.e2e.conftest import World, eventually
from tests.e2e.flows import drive_to_ready
from tests.e2e.helpers import (
    all_handled,
    becomes,
    button_data_of,
    calls,
    card_has,
    cards,
    message_of,
    tap,
    text_of,
)
from tests.e2e.insurer_support import (
    audits,
    case_of,
    claims,
    mentioned_ids,
    newest,
    ping_of,
    pings,
    routed_case,
    rows,
    say,
    status_is,
    wait_said,
)

# --- helpers --------------------------------------------------------------------------


# --- the main path ----------------------------------------------------------------------


async def test_rear_end_with_two_insurers_runs_from_ready_to_closed(
    world: World, two_payers: Runtime
):
    sb, bot, chat, staff = world.sb, two_payers, world.forum, world.staff  # type: ignore[attr-defined]
    case = await routed_case(world, bot, 2)
    assert case.id is not None

    # Exactly one ping per paying insurer, mentioning only that insurer's people.
    await asyncio.sleep(0)  # nothing else is pending: the count below is final
    assert len(pings(world, chat)) == 2
    by = await claims(bot, case.id)
    assert set(by) == {"PINGAN", "PICC"}
    assert by["PINGAN"].requested_fen == 540000 and by["PICC"].requested_fen == 10000
    mentioned = {
        e.data["insurer"]: set(e.data["mentioned"]) for e in await audits(bot, "claim.pinged")
    }
    assert mentioned == {
        "PINGAN": {staff.pingan1, staff.pingan2},  # on-duty adjusters; the supervisor not
        "PICC": {staff.picc},
    }
    pingan, picc = ping_of(world, chat, "平安产险"), ping_of(world, chat, "人保财险")
    assert mentioned_ids(pingan) == {staff.pingan1, staff.pingan2}
    assert mentioned_ids(picc) == {staff.picc}
    assert "平安定损甲" in text_of(pingan) and "人保定损" not in text_of(pingan)
    assert "人保定损" in text_of(picc) and "平安定损" not in text_of(picc)
    assert "甲方 湘C12345" in text_of(pingan) and "商业三者 → 乙方 ¥2,000.00" in text_of(pingan)
    assert "乙方 湘C67890" in text_of(picc) and "交强险无责 → 甲方 ¥100.00" in text_of(picc)
    async with bot.services.db.session() as s:
        ping = await ping_message_id(s, by["PINGAN"].id)
    assert ping == pingan["message_id"]  # linked by the sender
    await eventually(lambda: card_has(world.sb, chat, "保险公司"))

    # Wrong company (CPIC; and PICC, which pays too, on PINGAN's ping), the assistant and
    # a stranger: alert, nothing changes, the refusal is audited.
    for who in (staff.cpic, staff.picc, world.assistant, world.villager):
        answer = await tap(world.sb, chat, who, pingan, "同意")
        assert answer["show_alert"] and "只有平安产险" in answer["text"]
    assert (await claims(bot, case.id))["PINGAN"].status == "pinged"
    refused = [e for e in await audits(bot, "claim.refused") if e.data["reason"] == "role"]
    assert sorted(e.actor_user_id for e in refused) == sorted(
        [staff.cpic, staff.picc, world.assistant, world.villager]
    )

    # Two PINGAN adjusters press approve at the same moment: one approval.
    data = button_data_of(pingan, "同意")
    q1 = sb.press_button(chat, staff.pingan1, pingan["message_id"], data)
    q2 = sb.press_button(chat, staff.pingan2, pingan["message_id"], data)
    await sb.wait_for(lambda: sb.callback_answer(q1) and sb.callback_answer(q2), timeout=10)
    assert len(await audits(bot, "claim.approved")) == 1
    claim = (await claims(bot, case.id))["PINGAN"]
    assert claim.status == "approved" and claim.approved_fen == 540000
    winner = claim.decided_by
    assert winner in (staff.pingan1, staff.pingan2)
    # The ping is resolved in place: it shows the approval and has no decision buttons left.
    await wait_said(world, chat, "平安产险 已同意 ¥5,400.00")
    assert "同意" not in str(message_of(sb, chat, pingan["message_id"]).get("reply_markup"))
    # A replayed press of the same decision (a client that still shows the old buttons) is
    # harmless.
    answer = await tap(world.sb, chat, staff.pingan2, pingan, data=data, strict=False)
    assert not answer["show_alert"] and len(await audits(bot, "claim.approved")) == 1

    # The winner gives the claim number and the assessed amount in one reply.
    await wait_said(world, chat, "请回复报案号")
    say(world, chat, winner, case, "报案号 RDAA2026001 定损 5200")
    await wait_said(world, chat, "已记录 平安产险：报案号 RDAA2026001")
    claim = (await claims(bot, case.id))["PINGAN"]
    assert claim.claim_no == "RDAA2026001" and claim.assessed_fen == 520000

    # PICC approves: every paying insurer has approved.
    await tap(world.sb, chat, staff.picc, picc, "同意")
    await status_is(bot, case.id, "approved")
    await eventually(lambda: card_has(world.sb, chat, "状态：已核准"))
    # Each paying insurer's ping now lists its nearest service points (no new message).
    await wait_said(world, chat, "就近定损")
    await becomes(sb, chat, pingan["message_id"], "就近定损")
    await becomes(sb, chat, picc["message_id"], "就近定损")
    pingan_points = text_of(message_of(sb, chat, pingan["message_id"]))
    picc_points = text_of(message_of(sb, chat, picc["message_id"]))
    assert "平安产险湘潭县定损中心" in pingan_points and "95511" in pingan_points
    assert "人保财险花石服务站" in picc_points  # PICC's nearest to 花石镇 first
    assert picc_points.index("人保财险花石服务站") < picc_points.index("人保财险湘潭县支公司")

    # Payout: PINGAN in two parts by /paid (an over-payment is refused), PICC by button.
    say(world, chat, staff.pingan1, case, "/paid 3000 REF-1")
    await wait_said(world, chat, "已赔付 ¥3,000.00")
    mark = newest(world, chat)
    say(world, chat, staff.pingan1, case, "/paid 3000 REF-2")
    await wait_said(world, chat, "超额", mark)
    say(world, chat, world.villager, case, "/paid 2400")
    await wait_said(world, chat, "/paid 只能由", mark)
    say(world, chat, staff.pingan_sup, case, "/paid 2400 REF-2")
    await wait_said(world, chat, "累计 ¥5,400.00")
    assert (await case_of(bot, case.id)).status == "approved"  # PICC has not paid yet
    # PICC's ping carries its payout button; the press is confirmed by its toast.
    done = message_of(sb, chat, picc["message_id"])
    assert "所有赔付方已同意" in text_of(done)
    paid = await tap(world.sb, chat, staff.picc, done, "人保财险 已全额赔付")
    assert "人保财险 已赔付 ¥100.00" in paid["text"]

    await status_is(bot, case.id, "closed")
    payments = await rows(bot, InsurerPayment, InsurerPayment.case_id == case.id)
    assert [p.amount_fen for p in payments] == [300000, 240000, 10000]
    summary = await wait_said(world, chat, "已结案。")
    # One closing message: the summary is the caption of the agreement PDF.
    assert "RDAA2026001" in text_of(summary) and "自行协商协议书" in text_of(summary)

    def topic() -> dict:
        return next(t for t in sb.topics(chat) if t["message_thread_id"] == case.message_thread_id)

    await sb.wait_for(lambda: topic()["closed"], timeout=10)
    assert topic()["name"].startswith("✅ " + case.number)
    kinds = [e.kind for e in await rows(bot, AuditEvent, AuditEvent.case_id == case.id)]
    for kind in ("case.ready", "case.routed", "case.approved", "case.paid", "case.closed"):
        assert kinds.count(kind) == 1, kind

    # Someone with a role (a group admin) writes in the closed topic: it is reopened.
    sb.send_text(chat, world.admin, "补充说明", thread_id=case.message_thread_id)
    await sb.wait_for(lambda: not topic()["closed"], timeout=10)
    assert (await case_of(bot, case.id)).status == "closed"


# --- forged, replayed, stale ----------------------------------------------------------


async def test_forged_and_replayed_callbacks_change_nothing(world: World, two_payers: Runtime):
    sb, bot, chat, staff = world.sb, two_payers, world.forum, world.staff  # type: ignore[attr-defined]
    case = await routed_case(world, bot, 2)
    assert case.id is not None
    pingan, picc = ping_of(world, chat, "平安产险"), ping_of(world, chat, "人保财险")
    # Another case's token (a second case in the plain group), pressed on this case's ping.
    other = await drive_to_ready(world, bot, world.plain)
    await sb.wait_for(lambda: len(pings(world, world.plain)) == 2, timeout=10)
    other_data = button_data_of(ping_of(world, world.plain, "平安产险"), "同意")
    answer = await tap(world.sb, chat, staff.pingan1, pingan, "", data=other_data, strict=False)
    assert answer["show_alert"]
    # This case's PINGAN token replayed onto PICC's ping (same format, wrong message).
    answer = await tap(
        world.sb, chat, staff.pingan1, picc, "", data=button_data_of(pingan, "同意"), strict=False
    )
    assert answer["show_alert"]
    # A well-formed token that was never issued.
    answer = await tap(
        world.sb, chat, staff.pingan1, pingan, "", data="b:AAAAAAAAAAAA", strict=False
    )
    assert answer["show_alert"]
    for c in (*(await claims(bot, case.id)).values(), *(await claims(bot, other.id or 0)).values()):
        assert c.status == "pinged" and c.decided_by is None
    assert [e.data["reason"] for e in await audits(bot, "claim.refused")] == ["forged"]
    assert len(await audits(bot, "button.refused")) == 2

    # Replayed: approve, then the same press again, and again after the case moved on.
    data = button_data_of(picc, "同意")
    await tap(world.sb, chat, staff.picc, picc, "同意")
    for _ in range(2):  # from a client that still shows the ping's old buttons
        answer = await tap(world.sb, chat, staff.picc, picc, data=data, strict=False)
        assert "已记录" in answer["text"]
    assert len(await audits(bot, "claim.approved")) == 1


# --- adjust, survey, mutual recognition, reject ----------------------------------------


async def test_survey_mutual_recognition_resubmit_and_adjust(world: World, two_payers: Runtime):
    sb, bot, chat, staff = world.sb, two_payers, world.forum, world.staff  # type: ignore[attr-defined]
    case = await routed_case(world, bot, 2)
    assert case.id is not None
    pingan, picc = ping_of(world, chat, "平安产险"), ping_of(world, chat, "人保财险")

    # PINGAN asks for a survey: disputed, the assistant is mentioned, the result is asked.
    await tap(world.sb, chat, staff.pingan1, pingan, "申请查勘")
    await status_is(bot, case.id, "disputed")
    msg = await wait_said(world, chat, "申请现场查勘")
    assert world.assistant in mentioned_ids(msg) and staff.police not in mentioned_ids(msg)
    say(world, chat, staff.pingan1, case, "5000")
    result = await wait_said(world, chat, "查勘结果")
    assert (await claims(bot, case.id))["PINGAN"].survey_fen == 500000

    # 互认: PICC accepts PINGAN's survey result with one tap (PINGAN may not press it).
    answer = await tap(world.sb, chat, staff.pingan1, result, "人保财险 认可")
    assert answer["show_alert"]
    await tap(world.sb, chat, staff.picc, result, "人保财险 认可")
    await wait_said(world, chat, "认可 平安产险 的查勘结果")
    picc_claim = (await claims(bot, case.id))["PICC"]
    assert picc_claim.recognized_claim_id == (await claims(bot, case.id))["PINGAN"].id
    assert picc_claim.assessed_fen == 500000

    # The assistant resubmits: new pings for both insurers, the old buttons go stale.
    before = len(pings(world, chat))
    answer = await tap(world.sb, chat, world.villager, msg, "重新提交")
    assert answer["show_alert"]  # a stranger may not resubmit
    await tap(world.sb, chat, world.assistant, msg, "重新提交")
    await status_is(bot, case.id, "awaiting_insurer")
    await sb.wait_for(lambda: len(pings(world, chat)) == before + 2, timeout=10)
    answer = await tap(world.sb, chat, staff.picc, picc, "同意")
    assert answer["show_alert"] and "失效" in answer["text"]
    assert (await claims(bot, case.id))["PICC"].status == "pinged"

    # Adjust: PICC approves 80 instead of 100 (same amount rules as intake).
    picc = ping_of(world, chat, "人保财险")
    await tap(world.sb, chat, staff.picc, picc, "调整金额")
    await wait_said(world, chat, "核准的金额")
    mark = newest(world, chat)
    say(world, chat, staff.picc, case, "-5")
    await wait_said(world, chat, "不是有效金额", mark)
    say(world, chat, staff.picc, case, "80元")
    # The ping shows the adjusted approval in place and asks for the numbers.
    adjusted = await becomes(sb, chat, picc["message_id"], "调整金额为 ¥80.00")
    assert "请回复报案号" in text_of(adjusted)
    claim = (await claims(bot, case.id))["PICC"]
    assert claim.status == "approved" and claim.approved_fen == 8000
    assert claim.requested_fen == 10000
    assert [e.data["amount_fen"] for e in await audits(bot, "claim.adjusted")] == [8000]


async def test_reject_asks_a_reason_and_mentions_assistant_and_police(
    world: World, two_payers: Runtime
):
    bot, chat, staff = two_payers, world.forum, world.staff  # type: ignore[attr-defined]
    case = await routed_case(world, bot, 2)
    assert case.id is not None
    picc = ping_of(world, chat, "人保财险")
    answer = await tap(world.sb, chat, staff.pingan1, picc, "拒绝")  # not PICC's adjuster
    assert answer["show_alert"]
    await tap(world.sb, chat, staff.picc_sup, picc, "拒绝")  # a supervisor may decide
    await status_is(bot, case.id, "disputed")
    msg = await wait_said(world, chat, "拒绝赔付")
    assert {world.assistant, staff.police} <= mentioned_ids(msg)
    # Typed with a bidi override, a zero-width space and a bell: stored and shown cleaned.
    world.sb.send_text(
        chat, staff.picc_sup, "无责方\u202e不承担\u200b\x07", thread_id=case.message_thread_id
    )
    await wait_said(world, chat, "拒绝理由：无责方不承担")
    claim = (await claims(bot, case.id))["PICC"]
    assert claim.status == "rejected" and claim.reason == "无责方不承担"
    assert claim.decided_by == staff.picc_sup
    await eventually(lambda: card_has(world.sb, chat, "状态：有争议"))


# --- the standard case's message budget: tests/e2e/test_message_budget.py -------------


async def test_insurer_buttons_wait_while_police_have_the_case(world: World, standard: Runtime):
    bot, staff = standard, world.staff  # type: ignore[attr-defined]
    case = await routed_case(world, bot, 1)
    ping = ping_of(world, world.forum, "平安")
    card = cards(world.sb, world.forum)[0]
    await tap(world.sb, world.forum, staff.police, card, "交警接管")
    await status_is(bot, case.id, "police")

    answer = await tap(world.sb, world.forum, staff.pingan1, ping, "同意")
    assert answer["show_alert"] is True
    assert (await claims(bot, case.id))["PINGAN"].status == "pinged"
    assert (await case_of(bot, case.id)).status == "police"
    refused = [e for e in await audits(bot, "claim.refused") if e.data["reason"] == "case_status"]
    assert len(refused) == 1 and refused[0].actor_user_id == staff.pingan1


async def test_the_paid_message_that_closes_a_case_does_not_reopen_its_topic(
    world: World, standard: Runtime
):
    """`/paid` is seen by the closed-topic handler too; it closed the case, it is no later post."""
    sb, bot, chat, staff = world.sb, standard, world.forum, world.staff  # type: ignore[attr-defined]
    case = await routed_case(world, bot, 1)
    assert case.id is not None
    await tap(world.sb, chat, staff.pingan1, ping_of(world, chat, "平安产险"), "同意")
    await wait_said(world, chat, "请回复报案号")
    claim = (await claims(bot, case.id))["PINGAN"]
    fen = claim.approved_fen or 0
    say(world, chat, staff.pingan1, case, f"/paid {fen // 100}.{fen % 100:02d} REF-9")
    await status_is(bot, case.id, "closed")

    def topic() -> dict:
        return next(t for t in sb.topics(chat) if t["message_thread_id"] == case.message_thread_id)

    await sb.wait_for(lambda: topic()["closed"], timeout=10)
    await wait_said(world, chat, "已结案")
    await eventually(lambda: all_handled(bot))
    await asyncio.sleep(0.5)  # give a wrongful reopen the time to reach the sandbox
    assert topic()["closed"]
    assert calls(sb, "reopenForumTopic", chat) == []
    kinds = [e.kind for e in await rows(bot, AuditEvent, AuditEvent.case_id == case.id)]
    assert "case.topic_reopened" not in kinds
