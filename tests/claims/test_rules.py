"""The insurer loop's pure rules: routing plan, claim transitions, case status, payouts."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from bot.claims import rules
from bot.claims.rules import ClaimStatus, Event, PayProblem
from bot.claims.thread import nearest_points_text
from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.rules.compensation import DEFAULT_COMPENSATION_POLICY, Party, settle
from bot.rules.compensation_model import CompensationPolicy
from bot.rules.liability import Grade

S = ClaimStatus


def test_every_transition_and_only_those():
    allowed = {
        (S.PINGED, Event.APPROVE): S.APPROVED,
        (S.PINGED, Event.ADJUST): S.APPROVED,
        (S.PINGED, Event.SURVEY): S.SURVEY,
        (S.PINGED, Event.REJECT): S.REJECTED,
        (S.APPROVED, Event.PAY_IN_FULL): S.PAID,
        (S.PINGED, Event.SUPERSEDE): S.SUPERSEDED,
        (S.SURVEY, Event.SUPERSEDE): S.SUPERSEDED,
        (S.REJECTED, Event.SUPERSEDE): S.SUPERSEDED,
        (S.APPROVED, Event.SUPERSEDE): S.SUPERSEDED,
    }
    for status in S:
        for event in Event:
            assert rules.next_status(status.value, event) == allowed.get((status, event))
    assert rules.next_status("nonsense", Event.APPROVE) is None


@pytest.mark.parametrize(
    ("statuses", "case"),
    [
        ([], "awaiting_insurer"),
        (["pinged", "approved"], "awaiting_insurer"),
        (["approved", "approved"], "approved"),
        (["approved", "paid"], "approved"),
        (["paid", "paid"], "paid"),
        (["paid", "superseded"], "paid"),
        (["approved", "survey"], "disputed"),
        (["rejected", "paid"], "disputed"),
        (["superseded"], "awaiting_insurer"),
    ],
)
def test_case_status_follows_the_live_claims(statuses, case):
    assert rules.case_status_for(statuses) == case


def _rear_end(policy: CompensationPolicy = DEFAULT_COMPENSATION_POLICY):
    parties = [Party("甲", "PINGAN", Grade.FULL, 150000), Party("乙", "PICC", Grade.NONE, 400000)]
    return rules.plan_claims(settle(parties, policy))


def test_rear_end_routes_by_cash_one_payer_under_no_fault_proxy():
    plan = _rear_end()
    assert list(plan) == ["PINGAN"]
    assert rules.total(plan["PINGAN"]) == 550000
    assert any(line.advanced for line in plan["PINGAN"])  # 无责代赔 paid by PINGAN


def test_rear_end_without_proxy_asks_both_insurers():
    policy = CompensationPolicy(no_fault_proxy_payment=False)
    plan = _rear_end(policy)
    assert set(plan) == {"PINGAN", "PICC"}
    assert [(x.layer, x.payee, x.amount_fen) for x in plan["PICC"]] == [
        ("compulsory_no_fault", "甲", 10000)
    ]


def test_mutual_self_settlement_asks_each_insurer_for_its_own_vehicle():
    parties = [Party("甲", "PINGAN", Grade.EQUAL, 150000), Party("乙", "PICC", Grade.EQUAL, 120000)]
    plan = rules.plan_claims(settle(parties))
    assert plan == {
        "PINGAN": [rules.Line("mutual_self", "甲", 150000)],
        "PICC": [rules.Line("mutual_self", "乙", 120000)],
    }


@pytest.mark.parametrize(
    ("status", "approved", "paid", "amount", "problem"),
    [
        ("approved", 540000, 0, 300000, None),
        ("approved", 540000, 300000, 240000, None),
        ("approved", 540000, 300000, 240001, PayProblem.OVER),
        ("pinged", None, 0, 100, PayProblem.NOT_APPROVED),
        ("survey", None, 0, 100, PayProblem.NOT_APPROVED),
        ("paid", 100, 100, 1, PayProblem.ALREADY_PAID),
    ],
)
def test_payment_problem(status, approved, paid, amount, problem):
    got = rules.payment_problem(
        status=status, approved_fen=approved, paid_fen=paid, amount_fen=amount
    )
    assert got == problem


@pytest.mark.parametrize(
    ("status", "approved", "paid", "old", "new", "problem"),
    [
        # /paid 2000 edited to /paid 600: the total follows the edit, it does not add up.
        ("approved", 540000, 200000, 200000, 60000, None),
        ("approved", 540000, 300000, 100000, 340000, None),  # up to the approved amount
        ("approved", 540000, 300000, 100000, 340001, PayProblem.OVER),
        ("paid", 540000, 540000, 240000, 240000, None),  # the reference fixed
        ("paid", 540000, 540000, 240000, 200000, PayProblem.REOPENS_PAID),
        ("superseded", 540000, 100000, 100000, 50000, PayProblem.NOT_APPROVED),
    ],
)
def test_correction_problem(status, approved, paid, old, new, problem):
    got = rules.correction_problem(
        status=status, approved_fen=approved, paid_fen=paid, old_fen=old, new_fen=new
    )
    assert got == problem


def test_outstanding():
    assert rules.outstanding(540000, 300000) == 240000
    assert rules.outstanding(None, 0) == 0
    assert rules.outstanding(100, 200) == 0


@pytest.mark.parametrize(
    ("text", "claim_no", "assessed"),
    [
        ("报案号 RDAA2026XXXX 定损 1800", "RDAA2026XXXX", 180000),
        ("报案号：rdaa2026001 定损：1,800元", "RDAA2026001", 180000),
        ("RDAA2026001 ¥1800", "RDAA2026001", 180000),
        ("定损 1800", None, 180000),
        ("RDAA2026001", "RDAA2026001", None),
        ("20260001234 500", "20260001234", 50000),
    ],
)
def test_claim_reply(text, claim_no, assessed):
    got = rules.parse_claim_reply(text, ceiling_fen=1_000_000)
    assert (got.claim_no, got.assessed_fen, got.error) == (claim_no, assessed, None)


@pytest.mark.parametrize("text", ["一千八", "定损 -5", "1800 1900", "定损 1e309", "20000"])
def test_claim_reply_refuses_bad_amounts(text):
    got = rules.parse_claim_reply(text, ceiling_fen=1_000_000)
    assert got.error is not None and got.assessed_fen is None


def test_parse_paid():
    assert rules.parse_paid("1800 REF-1", ceiling_fen=None) == (180000, "REF-1")
    assert rules.parse_paid("1,800", ceiling_fen=None) == (180000, None)
    with pytest.raises(rules.AmountError):
        rules.parse_paid("", ceiling_fen=None)
    with pytest.raises(rules.AmountError):
        rules.parse_paid("-5 x", ceiling_fen=None)


def _svc():
    # The real Services (its database is never touched by this pure text).
    return Services(
        db=None,
        clock=ManualClock(datetime(2026, 12, 1, tzinfo=UTC)),
        deployment=load_deployment(EXAMPLE_FILE),
    )


def test_nearest_points_from_the_scene_or_the_township():
    svc = _svc()
    at_hs = SimpleNamespace(scene_lat=None, scene_lon=None, township_code="HS")
    text = nearest_points_text(svc, at_hs, ["PICC", "PINGAN", "CLPC"])
    assert "距花石镇" in text
    assert text.index("人保财险花石服务站") < text.index("人保财险湘潭县支公司定损点")
    assert "平安产险湘潭县定损中心" in text and "95511" in text
    assert "国寿财险：本地暂无登记的定损点" in text
    # A scene next to the county seat puts PICC's county office first.
    near_ysh = SimpleNamespace(scene_lat=27.7766, scene_lon=112.9530, township_code="HS")
    text = nearest_points_text(svc, near_ysh, ["PICC"])
    assert "距事故现场" in text
    assert text.index("人保财险湘潭县支公司定损点") < text.index("人保财险花石服务站")
    assert "（0.02 km）" in text
