"""Seeded random checks: money is conserved and every layer respects its limits."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from bot.rules.compensation import (
    CompensationPolicy,
    Layer,
    Party,
    invariant_violations,
    mutual_self_applies,
    settle,
    total_loss_fen,
)
from bot.rules.liability import Grade, LiabilityPolicy, check_grades

G = Grade
VALID_SETS = [
    (G.FULL, G.NONE),
    (G.MAJOR, G.MINOR),
    (G.EQUAL, G.EQUAL),
    (G.NONE, G.NONE),
    (G.FULL, G.NONE, G.NONE),
    (G.EQUAL, G.EQUAL, G.NONE),
    (G.EQUAL, G.EQUAL, G.EQUAL),
    (G.MAJOR, G.MINOR, G.NONE),
    (G.MAJOR, G.MINOR, G.MINOR),
    (G.MAJOR, G.MAJOR, G.MINOR),
    (G.FULL, G.NONE, G.NONE, G.NONE),
    (G.EQUAL, G.EQUAL, G.NONE, G.NONE),
    (G.MAJOR, G.MINOR, G.MINOR, G.NONE),
    (G.NONE, G.NONE, G.NONE),
]
LABELS = "甲乙丙丁"


def _loss(rng: random.Random) -> int:
    kind = rng.random()
    if kind < 0.1:
        return 0
    if kind < 0.5:
        return rng.randrange(1, 300_000)  # around the 2,000-yuan thresholds
    return rng.randrange(1, 5_000_000)


def _random_case(rng: random.Random) -> tuple[list[Party], CompensationPolicy, bool]:
    grades = list(rng.choice(VALID_SETS))
    rng.shuffle(grades)
    parties = [
        Party(
            LABELS[i],
            rng.choice(["PICC", "PAIC", "CPIC"]),  # shared insurers must not confuse totals
            g,
            _loss(rng),
            rng.choice([0, 0, 0, rng.randrange(1, 200_000)]),
        )
        for i, g in enumerate(grades)
    ]
    policy = CompensationPolicy(
        compulsory_property_limit_fen=rng.choice([200_000, 200_000, 150_001]),
        compulsory_no_fault_limit_fen=rng.choice([10_000, 10_000, 9_999, 0]),
        no_fault_proxy_payment=rng.random() < 0.7,
        mutual_self_settlement=rng.random() < 0.7,
        third_party_sum_insured_fen=rng.choice([None, None, 100_000, 1_000_000]),
        fault_deductibles=rng.random() < 0.3,
        liability=rng.choice([LiabilityPolicy(), LiabilityPolicy(major_bp=8_000, minor_bp=2_500)]),
    )
    return parties, policy, rng.random() < 0.8


@pytest.mark.parametrize("seed", range(12))
def test_money_is_conserved_and_limits_hold(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(400):
        parties, policy, consent = _random_case(rng)
        assert check_grades({p.label: p.grade for p in parties}) is None
        payments = settle(parties, policy, mutual_consent=consent)
        context = (parties, policy, consent)

        assert invariant_violations(parties, payments) == [], context
        assert sum(p.amount_fen for p in payments) == total_loss_fen(parties), context
        assert all(p.amount_fen > 0 for p in payments), context
        received: dict[str, int] = defaultdict(int)
        for p in payments:
            received[p.payee_party] += p.amount_fen
        for party in parties:
            assert received[party.label] == party.total_loss_fen, context

        by_label = {p.label: p for p in parties}
        comp: dict[str, int] = defaultdict(int)
        no_fault: dict[str, int] = defaultdict(int)
        third: dict[str, int] = defaultdict(int)
        for p in payments:
            payer, payee = by_label[p.payer_party], by_label[p.payee_party]
            if p.layer is Layer.COMPULSORY_PROPERTY:
                assert payer.grade.at_fault and payer is not payee, context
                comp[payer.label] += p.amount_fen
            elif p.layer is Layer.COMPULSORY_NO_FAULT:
                assert not payer.grade.at_fault and payee.grade.at_fault, context
                expected = payee.insurer if policy.no_fault_proxy_payment else None
                assert p.advanced_by == expected, context
                no_fault[payer.label] += p.amount_fen
            elif p.layer is Layer.THIRD_PARTY:
                assert payer.grade.at_fault and payer is not payee, context
                third[payer.label] += p.amount_fen
            elif p.layer in (Layer.OWN_DAMAGE, Layer.MUTUAL_SELF):
                assert payer is payee and p.payer_insurer == payer.insurer, context
            else:
                assert p.payer_insurer is None, context
            if p.layer is not Layer.COMPULSORY_NO_FAULT:
                assert p.advanced_by is None, context

        assert all(v <= policy.compulsory_property_limit_fen for v in comp.values()), context
        assert all(v <= policy.compulsory_no_fault_limit_fen for v in no_fault.values()), context
        cap = policy.third_party_sum_insured_fen
        if cap is not None:
            assert all(v <= cap for v in third.values()), context

        mutual = consent and mutual_self_applies(parties, policy)
        layers = {p.layer for p in payments}
        if mutual:
            assert layers <= {Layer.MUTUAL_SELF}, context
        else:
            assert Layer.MUTUAL_SELF not in layers, context
        if not policy.fault_deductibles and cap is None:
            assert Layer.PARTY_DIRECT not in layers, context

        assert settle(parties, policy, mutual_consent=consent) == payments  # deterministic


@pytest.mark.parametrize("seed", range(4))
def test_two_party_closed_form(seed: int) -> None:
    """For two cars the 交强险 flows have a simple closed form; check it."""
    rng = random.Random(1_000 + seed)
    for _ in range(500):
        grades = rng.choice([(G.FULL, G.NONE), (G.MAJOR, G.MINOR), (G.EQUAL, G.EQUAL)])
        a = Party("甲", "X", grades[0], rng.randrange(0, 3_000_000))
        b = Party("乙", "Y", grades[1], rng.randrange(0, 3_000_000))
        payments = settle([a, b], mutual_consent=False)
        for victim, payer in ((a, b), (b, a)):
            limit = 200_000 if payer.grade.at_fault else 10_000
            got = sum(
                p.amount_fen
                for p in payments
                if p.payee_party == victim.label
                and p.payer_party == payer.label
                and p.layer in (Layer.COMPULSORY_PROPERTY, Layer.COMPULSORY_NO_FAULT)
            )
            assert got == min(victim.vehicle_loss_fen, limit)
            rest = victim.vehicle_loss_fen - got
            ratio = {G.FULL: 100, G.MAJOR: 70, G.EQUAL: 50, G.MINOR: 30, G.NONE: 0}[payer.grade]
            tp = sum(
                p.amount_fen
                for p in payments
                if p.payee_party == victim.label and p.layer is Layer.THIRD_PARTY
            )
            assert abs(tp * 100 - rest * ratio) < 100  # within one fen of the exact ratio
