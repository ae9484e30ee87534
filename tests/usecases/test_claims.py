"""The insurer loop's refusals, races and caps, against the use cases on a real database.

Each test builds the state it needs with the factories, makes one call through a stable
entry point (a button press, a reply, /paid) and asserts on the rows the call wrote.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.claims.paid import paid_command
from bot.claims.store import ping_ref
from bot.flows.text_router import receive_text
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.amounts import format_fen
from storage.models import AuditEvent, Case, InsurerClaim, InsurerPayment
from tests.factories import (
    ASSISTANT,
    CPIC_ADJUSTER,
    OTHER_CHAT,
    PICC_ADJUSTER,
    PICC_SUPERVISOR,
    PINGAN_ADJUSTER,
    PINGAN_ADJUSTER_2,
    PINGAN_SUPERVISOR,
    STRANGER,
    claim_token,
    get,
    issue,
    make_case,
    make_claim,
    make_group,
    make_party,
    ping_id,
    press,
    produced,
    rows,
    text_in,
)


async def routed(
    svc: Services, *, status: str = "awaiting_insurer"
) -> tuple[Case, InsurerClaim, InsurerClaim]:
    """The standard rear-end case with its two paying insurers pinged (无责代赔 off); in an
    approved case both have approved what they were asked."""
    claim_status = "approved" if status == "approved" else "pinged"
    await make_group(svc)
    case = await make_case(svc, status=status)
    await make_party(svc, case, label="甲", confirmed=True)
    await make_party(svc, case, label="乙", confirmed=True)
    pingan = await make_claim(
        svc, case, insurer="PINGAN", requested_fen=540000, status=claim_status
    )
    picc = await make_claim(svc, case, insurer="PICC", requested_fen=10000, status=claim_status)
    return case, pingan, picc


async def claim_of(svc: Services, claim: InsurerClaim) -> InsurerClaim:
    return await get(svc, InsurerClaim, claim.id)


# --- who may decide ---------------------------------------------------------------------


async def test_a_stranger_or_another_insurer_approving_changes_nothing_and_is_audited(
    svc: Services,
):
    case, pingan, _ = await routed(svc)
    token = await claim_token(svc, case, pingan, "approve")
    refused = t("claims.refused", "zh", insurer="平安产险")
    for who in (CPIC_ADJUSTER, PICC_ADJUSTER, ASSISTANT, STRANGER):
        got = await produced(svc, press(svc, token, who, message_id=await ping_id(svc, pingan)))
        assert got.result.alert and got.result.text == refused
        assert got.outbox == []
        [event] = got.audit
        assert (event.kind, event.actor_user_id, event.data["reason"]) == (
            "claim.refused",
            who,
            "role",
        )
        assert event.case_id == case.id and event.data["action"] == "claim.approve"
    claim = await claim_of(svc, pingan)
    assert claim.status == "pinged" and claim.decided_by is None


async def test_a_supervisor_of_the_insurer_may_reject_another_insurers_adjuster_not(
    svc: Services,
):
    case, _, picc = await routed(svc)
    token = await claim_token(svc, case, picc, "reject")
    got = await produced(
        svc, press(svc, token, PINGAN_ADJUSTER, message_id=await ping_id(svc, picc))
    )
    assert got.result.alert and got.audit_kinds() == ["claim.refused"]
    assert (await claim_of(svc, picc)).status == "pinged"

    got = await produced(
        svc, press(svc, token, PICC_SUPERVISOR, message_id=await ping_id(svc, picc))
    )
    assert not got.result.alert
    claim = await claim_of(svc, picc)
    assert claim.status == "rejected" and claim.decided_by == PICC_SUPERVISOR
    assert (await get(svc, Case, case.id)).status == "disputed"
    assert "claim.rejected" in got.audit_kinds() and "case.disputed" in got.audit_kinds()


async def test_a_stranger_may_not_resubmit_a_disputed_case(svc: Services):
    case, _, _ = await routed(svc, status="disputed")
    token = await issue(svc, "claim.resubmit", case=case)
    got = await produced(svc, press(svc, token, STRANGER))
    assert got.result.alert and got.result.text == t("claims.resubmit_refused", "zh")
    assert [(e.kind, e.data["reason"]) for e in got.audit] == [("claim.refused", "role")]
    assert got.outbox == []
    assert (await get(svc, Case, case.id)).status == "disputed"


# --- races and replays ------------------------------------------------------------------


async def test_two_approvals_at_once_one_wins(svc: Services):
    case, pingan, _ = await routed(svc)
    token = await claim_token(svc, case, pingan, "approve")
    results = await asyncio.gather(
        press(svc, token, PINGAN_ADJUSTER, message_id=await ping_id(svc, pingan)),
        press(svc, token, PINGAN_ADJUSTER_2, message_id=await ping_id(svc, pingan)),
    )
    # The winner's toast says what was approved; the loser's does not (on SQLite the presses
    # queue up and it reads "already recorded", on PostgreSQL it can lose the compare-and-set).
    approved_toast = t("claims.approved_toast", "zh", insurer="平安产险", amount=format_fen(540000))
    assert [r.text for r in results].count(approved_toast) == 1
    approved = await rows(svc, AuditEvent, AuditEvent.kind == "claim.approved")
    assert len(approved) == 1
    claim = await claim_of(svc, pingan)
    assert claim.status == "approved" and claim.approved_fen == 540000
    assert claim.decided_by == approved[0].actor_user_id
    assert claim.decided_by in (PINGAN_ADJUSTER, PINGAN_ADJUSTER_2)


async def test_a_replayed_approval_is_harmless(svc: Services):
    case, _, picc = await routed(svc)
    token = await claim_token(svc, case, picc, "approve")
    first = await produced(
        svc, press(svc, token, PICC_ADJUSTER, message_id=await ping_id(svc, picc))
    )
    assert first.result.text == t(
        "claims.approved_toast", "zh", insurer="人保财险", amount=format_fen(picc.requested_fen)
    )
    assert "claim.approved" in first.audit_kinds()
    # The winner is asked for the claim number in the ping itself, edited in place.
    asks = [
        i for i in first.outbox if i.kind == "edit_ref" and i.payload["ref"] == ping_ref(picc.id)
    ]
    assert len(asks) == 1 and "请回复报案号" in asks[0].payload["text"]
    assert not [i for i in first.outbox if i.kind == "send_text"]
    for _ in range(2):
        again = await produced(
            svc, press(svc, token, PICC_ADJUSTER, message_id=await ping_id(svc, picc))
        )
        assert not again.result.alert and again.result.text == t("claims.already", "zh")
        assert again.outbox == [] and again.audit == []
    assert len(await rows(svc, AuditEvent, AuditEvent.kind == "claim.approved")) == 1


async def test_a_token_replayed_onto_another_message_is_forged(svc: Services):
    case, pingan, picc = await routed(svc)
    token = await claim_token(svc, case, pingan, "approve")
    got = await produced(
        svc, press(svc, token, PINGAN_ADJUSTER, message_id=await ping_id(svc, picc))
    )
    assert got.result.alert and got.result.text == t("claims.forged", "zh")
    assert [(e.kind, e.data["reason"]) for e in got.audit] == [("claim.refused", "forged")]
    assert (await claim_of(svc, pingan)).status == "pinged"


async def test_a_token_naming_another_cases_claim_is_forged(svc: Services):
    case, pingan, _ = await routed(svc)
    other = await make_case(svc)
    # A token of this chat whose arguments pair the other case with this case's claim.
    token = await issue(svc, "claim.approve", case=other, claim=pingan.id, insurer="PINGAN")
    got = await produced(svc, press(svc, token, PINGAN_ADJUSTER))
    assert got.result.alert and got.result.text == t("claims.forged", "zh")
    assert [e.data["reason"] for e in got.audit] == ["forged"]
    assert (await claim_of(svc, pingan)).status == "pinged"


async def test_another_chats_token_and_a_never_issued_one_are_refused_as_unknown(
    svc: Services,
):
    case, pingan, _ = await routed(svc)
    await make_group(svc, chat_id=OTHER_CHAT, township="SB", is_forum=False)
    elsewhere = await make_case(svc, chat_id=OTHER_CHAT, township="SB", status="awaiting_insurer")
    foreign = await make_claim(svc, elsewhere, insurer="PINGAN")
    foreign_token = await claim_token(svc, elsewhere, foreign, "approve")
    for token in (foreign_token, "AAAAAAAAAAAA"):
        got = await produced(svc, press(svc, token, PINGAN_ADJUSTER))
        assert got.result.alert and got.result.text == t("button.unknown", "zh")
        assert [(e.kind, e.data["reason"]) for e in got.audit] == [("button.refused", "unknown")]
        assert got.outbox == []
    for claim in (pingan, foreign):
        fresh = await claim_of(svc, claim)
        assert fresh.status == "pinged" and fresh.decided_by is None


async def test_an_expired_token_changes_nothing(svc: Services):
    case, pingan, _ = await routed(svc)
    token = await issue(
        svc,
        "claim.approve",
        case=case,
        claim=pingan.id,
        insurer="PINGAN",
        expires_at=svc.clock.now() + timedelta(minutes=5),
    )
    svc.clock.advance(minutes=5)  # type: ignore[attr-defined]
    got = await produced(svc, press(svc, token, PINGAN_ADJUSTER))
    assert got.result.alert and got.result.text == t("button.expired", "zh")
    assert got.outbox == [] and got.audit == []
    assert (await claim_of(svc, pingan)).status == "pinged"


async def test_a_superseded_claims_buttons_are_stale(svc: Services):
    case, pingan, _ = await routed(svc, status="awaiting_insurer")
    old = await make_claim(svc, case, insurer="PINGAN", status="superseded", round=0)
    token = await claim_token(svc, case, old, "approve")
    got = await produced(
        svc, press(svc, token, PINGAN_ADJUSTER, message_id=await ping_id(svc, old))
    )
    assert got.result.alert and got.result.text == t("claims.stale", "zh")
    assert [e.data["reason"] for e in got.audit] == ["stale"]
    assert (await claim_of(svc, old)).status == "superseded"
    assert (await claim_of(svc, pingan)).status == "pinged"


async def test_insurer_buttons_wait_while_the_police_have_the_case(svc: Services):
    case, pingan, _ = await routed(svc, status="police")
    token = await claim_token(svc, case, pingan, "approve")
    got = await produced(
        svc, press(svc, token, PINGAN_ADJUSTER, message_id=await ping_id(svc, pingan))
    )
    assert got.result.alert is True
    assert [(e.data["reason"], e.actor_user_id) for e in got.audit] == [
        ("case_status", PINGAN_ADJUSTER)
    ]
    assert (await claim_of(svc, pingan)).status == "pinged"
    assert (await get(svc, Case, case.id)).status == "police"


async def test_only_the_insurer_whose_claim_it_is_may_recognise_a_survey(svc: Services):
    case, pingan, picc = await routed(svc, status="disputed")
    token = await issue(
        svc, "claim.recognize", case=case, claim=picc.id, insurer="PICC", source=pingan.id
    )
    got = await produced(svc, press(svc, token, PINGAN_ADJUSTER))
    assert got.result.alert and [e.data["reason"] for e in got.audit] == ["role"]
    assert (await claim_of(svc, picc)).recognized_claim_id is None


# --- amounts ----------------------------------------------------------------------------


async def test_an_adjusted_amount_goes_through_the_amount_rules(svc: Services):
    case, _, picc = await routed(svc)
    token = await claim_token(svc, case, picc, "adjust")
    await press(svc, token, PICC_ADJUSTER, message_id=await ping_id(svc, picc))
    got = await produced(svc, receive_text(svc, text_in(case, "-5", PICC_ADJUSTER)))
    assert got.result == "refused" and got.audit == []
    assert "不是有效金额" in got.texts()[0]
    assert (await claim_of(svc, picc)).status == "pinged"

    got = await produced(svc, receive_text(svc, text_in(case, "80元", PICC_ADJUSTER)))
    assert got.result == "adjusted"
    claim = await claim_of(svc, picc)
    assert (claim.status, claim.approved_fen, claim.requested_fen) == ("approved", 8000, 10000)
    [adjusted] = [e for e in got.audit if e.kind == "claim.adjusted"]
    assert adjusted.data["amount_fen"] == 8000
    # Resolved in place: the ping is edited to the adjusted approval, no new message.
    [ping] = [i for i in got.outbox if i.kind == "edit_ref"]
    assert ping.payload["ref"] == ping_ref(picc.id)
    assert "调整金额为 ¥80.00" in ping.payload["text"] and "原 ¥100.00" in ping.payload["text"]
    assert not [i for i in got.outbox if i.kind == "send_text"]


async def test_a_payment_over_the_cap_is_refused(svc: Services):
    case, pingan, picc = await routed(svc, status="approved")
    pingan = await claim_of(svc, pingan)
    assert pingan.status == "approved" and pingan.approved_fen == 540000

    got = await produced(
        svc, paid_command(svc, text_in(case, "/paid 3000 REF-1", PINGAN_ADJUSTER), "3000 REF-1")
    )
    assert got.result == "paid"
    got = await produced(
        svc, paid_command(svc, text_in(case, "/paid", PINGAN_ADJUSTER), "3000 REF-2")
    )
    assert got.result == "refused"
    assert got.texts() == [
        t("claims.pay.over", "zh", approved="¥5,400.00", paid="¥3,000.00", left="¥2,400.00")
    ]
    [event] = got.audit
    assert (event.kind, event.data["problem"], event.data["amount_fen"]) == (
        "claim.payment_refused",
        "over",
        300000,
    )
    payments = await rows(svc, InsurerPayment, InsurerPayment.case_id == case.id)
    assert [p.amount_fen for p in payments] == [300000]
    assert (await claim_of(svc, pingan)).paid_fen == 300000
    assert (await claim_of(svc, picc)).paid_fen == 0


async def test_two_payments_at_once_cannot_both_fit_under_the_cap(svc: Services):
    case, pingan, _ = await routed(svc, status="approved")

    def paid(user: int) -> object:
        return paid_command(svc, text_in(case, "/paid", user), "3000")

    results = await asyncio.gather(paid(PINGAN_ADJUSTER), paid(PINGAN_SUPERVISOR))
    assert sorted(results) == ["paid", "refused"]
    payments = await rows(svc, InsurerPayment, InsurerPayment.case_id == case.id)
    assert [p.amount_fen for p in payments] == [300000]
    assert (await claim_of(svc, pingan)).paid_fen == 300000
    refused = await rows(svc, AuditEvent, AuditEvent.kind == "claim.payment_refused")
    assert [e.data["problem"] for e in refused] == ["over"]


async def test_paid_amounts_that_are_no_amount_are_refused_with_the_reason(svc: Services):
    case, pingan, _ = await routed(svc, status="approved")
    for args, code in (("-5", "negative"), ("0", "zero"), ("1e309", "not_a_number"), ("", "empty")):
        got = await produced(
            svc, paid_command(svc, text_in(case, f"/paid {args}", PINGAN_ADJUSTER), args)
        )
        assert got.result == "refused", args
        reason = t(f"err.amount.{code}", "zh", text=args, ceiling="")
        assert got.texts() == [t("claims.pay.usage", "zh", problem=Raw(reason))], args
        assert code not in got.texts()[0], args  # the reason in words, not its code
        assert got.audit == [], args
    assert await rows(svc, InsurerPayment) == []
    assert (await claim_of(svc, pingan)).paid_fen == 0


async def test_paid_by_someone_who_does_not_pay_here_is_refused(svc: Services):
    case, _, _ = await routed(svc, status="approved")
    for who in (STRANGER, CPIC_ADJUSTER, ASSISTANT):
        got = await produced(svc, paid_command(svc, text_in(case, "/paid", who), "2400"))
        assert got.result == "refused"
        assert got.texts() == [t("claims.pay.who", "zh")]
        assert [(e.kind, e.actor_user_id, e.data["reason"]) for e in got.audit] == [
            ("claim.refused", who, "role")
        ]
    assert await rows(svc, InsurerPayment) == []


async def test_paid_outside_a_case_thread_or_in_a_case_without_the_claim_does_nothing(
    svc: Services,
):
    case, _, _ = await routed(svc, status="approved")
    other = await make_case(svc, status="awaiting_insurer")
    await make_claim(svc, other, insurer="PICC")
    # In the group's general chat: no case; the command says where it works, nothing else.
    stray = text_in(case, "/paid 100", PINGAN_ADJUSTER, topic=False)
    stray = replace(stray, reply_to_message_id=None, chain_root_id=None)
    got = await produced(svc, paid_command(svc, stray, "100"))
    assert (got.result, got.texts(), got.audit) == (
        "not_in_case",
        [t("claims.pay.not_in_case", "zh")],
        [],
    )
    # In another case's thread, where PINGAN pays nothing: refused there.
    got = await produced(svc, paid_command(svc, text_in(other, "/paid", PINGAN_ADJUSTER), "100"))
    assert got.result == "refused" and got.texts() == [t("claims.pay.who", "zh")]
    assert all(e.case_id == other.id for e in got.audit)
    assert await rows(svc, InsurerPayment) == []


async def test_paid_after_the_case_closed_records_nothing(svc: Services):
    await make_group(svc)
    case = await make_case(svc, status="approved")
    await make_party(svc, case, label="甲", confirmed=True)
    await make_party(svc, case, label="乙", confirmed=True)
    await make_claim(svc, case, insurer="PINGAN", status="approved", requested_fen=540000)
    got = await produced(
        svc, paid_command(svc, text_in(case, "/paid", PINGAN_ADJUSTER), "5400 REF")
    )
    assert got.result == "paid"
    assert (await get(svc, Case, case.id)).status == "closed"
    assert got.audit_kinds().count("case.closed") == 1

    got = await produced(svc, paid_command(svc, text_in(case, "/paid", PINGAN_ADJUSTER), "100"))
    assert got.result == "refused"
    assert "case.closed" not in got.audit_kinds()
    payments = await rows(svc, InsurerPayment, InsurerPayment.case_id == case.id)
    assert [p.amount_fen for p in payments] == [540000]
    assert (await get(svc, Case, case.id)).status == "closed"


async def test_paid_in_full_by_button_twice_pays_once(svc: Services):
    case, pingan, picc = await routed(svc, status="approved")
    token = await claim_token(svc, case, picc, "paid_full")
    first = await produced(svc, press(svc, token, PICC_ADJUSTER))
    # The toast says the payment; no message in the group repeats it (the card shows it).
    assert first.result.text.startswith("💰 人保财险 已赔付 ¥100.00")
    assert not [i for i in first.outbox if i.kind == "send_text"]
    again = await produced(svc, press(svc, token, PICC_ADJUSTER))
    assert again.result.text == t("claims.already", "zh") and again.audit == []
    payments = await rows(svc, InsurerPayment, InsurerPayment.case_id == case.id)
    assert [p.amount_fen for p in payments] == [10000]
    assert (await claim_of(svc, pingan)).paid_fen == 0
