"""Property-based checks (hypothesis) of the compensation arithmetic, 2 and 3 vehicles.

Expected values are computed here from the inputs, independently of the module; the
module's own helpers (``invariant_violations``, ``mutual_self_applies`` ...) are used only
as a cross-check. Layer rules come from the docstrings of compensation.py and
compensation_model.py (docs/domain.md §5).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules.compensation import (
    CompensationPolicy,
    Layer,
    Party,
    Payment,
    insurer_totals,
    invariant_violations,
    mutual_self_applies,
    received_by_party,
    settle,
    total_loss_fen,
)
from bot.rules.liability import Grade, LiabilityPolicy, check_grades

WITH_FAULT_LIMIT = 200_000  # 交强险 有责 财产 2,000 yuan (docs/domain.md §5.1)
NO_FAULT_LIMIT = 10_000  # 交强险 无责 财产 100 yuan
LABELS = "甲乙丙"
INSURERS = ("PICC", "PAIC", "CPIC")  # small set: two vehicles often share an insurer
PERSON_LAYERS = {Layer.PARTY_DIRECT, Layer.SELF_BORNE}
EXAMPLES = settings(max_examples=300, deadline=None)


def _valid_grade_sets(n: int) -> list[tuple[Grade, ...]]:
    return [
        g
        for g in itertools.product(Grade, repeat=n)
        if check_grades(dict(zip(LABELS, g, strict=False))) is None
    ]


VALID = {n: _valid_grade_sets(n) for n in (2, 3)}
ALL_AT_FAULT = {n: [g for g in VALID[n] if Grade.NONE not in g] for n in VALID}

# Values at and around the limits (0, 100 yuan, 2,000 yuan, twice 2,000 yuan).
BOUNDARY_FEN = [0, 1, 99, 9_999, 10_000, 10_001, 199_999, 200_000, 200_001, 399_999, 400_001]
losses = st.one_of(
    st.sampled_from(BOUNDARY_FEN),
    st.integers(190_000, 210_000),  # around the 2,000-yuan limit
    st.integers(0, 300_000),
    st.integers(0, 5_000_000),  # up to 50,000 yuan
)
other_losses = st.one_of(
    st.just(0), st.just(0), st.sampled_from([1, 10_000, 200_000]), st.integers(1, 300_000)
)
policies = st.builds(
    CompensationPolicy,
    liability=st.sampled_from(
        [
            LiabilityPolicy(),
            LiabilityPolicy(major_bp=8_000, equal_bp=5_000, minor_bp=2_500),
            # The deployment file may set a ratio for 无责 (commercial_ratios_percent.none);
            # 无责 still pays no commercial cover (docs/domain.md §4.1).
            LiabilityPolicy(none_bp=1_000),
        ]
    ),
    no_fault_proxy_payment=st.booleans(),
    mutual_self_settlement=st.sampled_from([True, True, False]),
    mutual_self_ceiling_fen=st.sampled_from([200_000, 200_000, 300_000, 0]),
    third_party_sum_insured_fen=st.sampled_from([None, None, 50_000, 150_000, 1_000_000]),
    fault_deductibles=st.booleans(),
)


@st.composite
def cases(draw: st.DrawFn, n: int) -> tuple[list[Party], CompensationPolicy, bool]:
    """A valid accident of ``n`` vehicles, a policy and the 互碰自赔 consent."""
    policy = draw(policies)
    # Half the cases stay near the 互碰自赔 conditions so both sides of 4 get exercised:
    # mostly all at fault, small cars, no other property, with single-fen misses.
    near_mutual = draw(st.booleans())
    if near_mutual:
        grades = draw(st.sampled_from(ALL_AT_FAULT[n]) | st.sampled_from(VALID[n]))
    else:
        grades = draw(st.sampled_from(VALID[n]))
    ceiling = policy.mutual_self_ceiling_fen
    parties = []
    for label, grade in zip(LABELS, grades, strict=False):
        if near_mutual:
            vehicle = draw(
                st.integers(0, ceiling)
                | st.integers(max(0, ceiling - 100), ceiling)
                | st.sampled_from([ceiling, ceiling + 1])
            )
            other = draw(st.sampled_from([0] * 9 + [1]))
        else:
            vehicle, other = draw(losses), draw(other_losses)
        parties.append(Party(label, draw(st.sampled_from(INSURERS)), grade, vehicle, other))
    return parties, policy, draw(st.sampled_from([True, True, False]))


def _mutual_expected(parties: list[Party], policy: CompensationPolicy, consent: bool) -> bool:
    """互碰自赔 conditions, written independently of the module (compensation.py doc)."""
    return (
        policy.mutual_self_settlement
        and consent
        and all(p.grade is not Grade.NONE for p in parties)
        and all(p.other_property_loss_fen == 0 for p in parties)
        and all(p.vehicle_loss_fen <= policy.mutual_self_ceiling_fen for p in parties)
    )


def _sum(payments: list[Payment], **where: object) -> int:
    return sum(p.amount_fen for p in payments if all(getattr(p, k) == v for k, v in where.items()))


N = pytest.mark.parametrize("n", [2, 3])


def test_strategy_covers_the_grade_sets() -> None:
    G = Grade
    assert set(VALID[2]) == {
        (G.FULL, G.NONE), (G.NONE, G.FULL), (G.MAJOR, G.MINOR), (G.MINOR, G.MAJOR),
        (G.EQUAL, G.EQUAL), (G.NONE, G.NONE),
    }  # fmt: skip
    assert (G.MAJOR, G.MINOR, G.MINOR) in VALID[3] and (G.EQUAL, G.EQUAL, G.EQUAL) in VALID[3]
    assert (G.FULL, G.EQUAL, G.NONE) not in VALID[3] and (G.EQUAL, G.NONE, G.NONE) not in VALID[3]


# --- 1. conservation -----------------------------------------------------------------


@N
@EXAMPLES
@given(data=st.data())
def test_payments_add_up_to_the_total_loss(n: int, data: st.DataObject) -> None:
    parties, policy, consent = data.draw(cases(n))
    payments = settle(parties, policy, mutual_consent=consent)

    expected_total = sum(p.vehicle_loss_fen + p.other_property_loss_fen for p in parties)
    assert sum(p.amount_fen for p in payments) == expected_total
    received: dict[str, int] = defaultdict(int)
    for p in payments:
        received[p.payee_party] += p.amount_fen
    for party in parties:
        assert received[party.label] == party.vehicle_loss_fen + party.other_property_loss_fen
    assert set(received) <= {p.label for p in parties}
    assert {p.payer_party for p in payments} <= {p.label for p in parties}

    # Money by insurer: liable cover vs cash (无责代赔 moves cash, not liability).
    liable: dict[str, int] = defaultdict(int)
    cash: dict[str, int] = defaultdict(int)
    insurer_of = {p.label: p.insurer for p in parties}
    for p in payments:
        if p.layer not in PERSON_LAYERS:
            liable[insurer_of[p.payer_party]] += p.amount_fen
            cash[p.advanced_by or insurer_of[p.payer_party]] += p.amount_fen
    person = sum(p.amount_fen for p in payments if p.layer in PERSON_LAYERS)
    assert sum(liable.values()) + person == expected_total

    # Cross-check with the module's own helpers.
    assert invariant_violations(parties, payments) == []
    assert total_loss_fen(parties) == expected_total
    assert received_by_party(payments) == {k: v for k, v in received.items() if v}
    assert insurer_totals(payments, cash=False) == dict(liable)
    assert insurer_totals(payments) == dict(cash)


# --- 2. limits -----------------------------------------------------------------------


@N
@EXAMPLES
@given(data=st.data())
def test_no_cover_pays_above_its_limit(n: int, data: st.DataObject) -> None:
    parties, policy, consent = data.draw(cases(n))
    payments = settle(parties, policy, mutual_consent=consent)
    assert policy.compulsory_property_limit_fen == WITH_FAULT_LIMIT
    assert policy.compulsory_no_fault_limit_fen == NO_FAULT_LIMIT

    cap = policy.third_party_sum_insured_fen
    for party in parties:
        # Per vehicle (not per insurer: a shared insurer carries several limits).
        label = party.label
        compulsory = _sum(payments, payer_party=label, layer=Layer.COMPULSORY_PROPERTY)
        no_fault = _sum(payments, payer_party=label, layer=Layer.COMPULSORY_NO_FAULT)
        third = _sum(payments, payer_party=label, layer=Layer.THIRD_PARTY)
        if party.grade is Grade.NONE:
            assert compulsory == 0
            assert no_fault <= NO_FAULT_LIMIT
        else:
            assert compulsory <= WITH_FAULT_LIMIT
            assert no_fault == 0
        if cap is not None:
            assert third <= cap
        # A victim never gets more from a cover than its own loss.
        for victim in parties:
            from_payer = _sum(payments, payer_party=label, payee_party=victim.label)
            assert from_payer <= victim.vehicle_loss_fen + victim.other_property_loss_fen

    if n == 2 and not _mutual_expected(parties, policy, consent):
        # Two cars: 交强险 pays the other car's loss up to the limit, not pro rata.
        for payer, victim in itertools.permutations(parties):
            loss = victim.vehicle_loss_fen + victim.other_property_loss_fen
            got = _sum(payments, payer_party=payer.label, payee_party=victim.label,
                       layer=Layer.COMPULSORY_PROPERTY) + _sum(
                payments, payer_party=payer.label, payee_party=victim.label,
                layer=Layer.COMPULSORY_NO_FAULT)  # fmt: skip
            if payer.grade is not Grade.NONE:
                assert got == min(loss, WITH_FAULT_LIMIT)
            elif victim.grade is not Grade.NONE:
                assert got == min(loss, NO_FAULT_LIMIT)
            else:
                assert got == 0  # no-fault vehicles never pay each other


# --- 3. layers -------------------------------------------------------------------------


@N
@EXAMPLES
@given(data=st.data())
def test_nobody_pays_a_layer_they_do_not_owe(n: int, data: st.DataObject) -> None:
    parties, policy, consent = data.draw(cases(n))
    payments = settle(parties, policy, mutual_consent=consent)
    by_label = {p.label: p for p in parties}
    cap = policy.third_party_sum_insured_fen
    all_no_fault = all(p.grade is Grade.NONE for p in parties)

    for p in payments:
        payer, payee = by_label[p.payer_party], by_label[p.payee_party]
        if p.layer in PERSON_LAYERS:
            assert p.payer_insurer is None, p
        else:  # an insurer pays: always the payer's own (交强险) insurer
            assert p.payer_insurer == payer.insurer, p
        if p.layer is not Layer.COMPULSORY_NO_FAULT:
            assert p.advanced_by is None, p

        match p.layer:
            case Layer.COMPULSORY_PROPERTY:
                assert payer.grade is not Grade.NONE and payer is not payee, p
            case Layer.COMPULSORY_NO_FAULT:
                # No-fault vehicles answer only to at-fault victims; 无责代赔 by the victim's.
                assert payer.grade is Grade.NONE and payee.grade is not Grade.NONE, p
                assert p.advanced_by == (payee.insurer if policy.no_fault_proxy_payment else None)
            case Layer.THIRD_PARTY:
                assert payer.grade is not Grade.NONE and payer is not payee, p
            case Layer.PARTY_DIRECT:  # deductible or above the 三者 cap
                assert payer.grade is not Grade.NONE and payer is not payee, p
                assert policy.fault_deductibles or cap is not None, p
            case Layer.OWN_DAMAGE:  # 车损险: own vehicle only
                assert payer is payee, p
                assert p.amount_fen <= payee.vehicle_loss_fen, p
            case Layer.MUTUAL_SELF:
                assert payer is payee and p.amount_fen == payee.vehicle_loss_fen, p
            case Layer.SELF_BORNE:  # own other property (+ own 车损 deductible)
                assert payer is payee, p
                if not policy.fault_deductibles:
                    assert p.amount_fen <= payee.other_property_loss_fen, p
            case _:
                pytest.fail(f"unknown layer {p.layer}")

        if payer.grade is Grade.NONE:  # a no-fault party owes others only its 100
            assert p.layer in {Layer.COMPULSORY_NO_FAULT, Layer.OWN_DAMAGE, Layer.SELF_BORNE}, p
        if all_no_fault:  # nobody at fault: no 交强险 flows, each keeps its own loss
            assert p.layer in {Layer.OWN_DAMAGE, Layer.SELF_BORNE} and payer is payee, p

    for party in parties:  # 车损险 covers the vehicle, never other property
        own = _sum(payments, payee_party=party.label, layer=Layer.OWN_DAMAGE)
        assert own <= party.vehicle_loss_fen
        if party.other_property_loss_fen == 0 and not policy.fault_deductibles:
            assert _sum(payments, payee_party=party.label, layer=Layer.SELF_BORNE) == 0


# --- 4. 互碰自赔 -------------------------------------------------------------------------


@N
@EXAMPLES
@given(data=st.data())
def test_mutual_self_applies_exactly_when_its_conditions_hold(n: int, data: st.DataObject) -> None:
    parties, policy, consent = data.draw(cases(n))
    payments = settle(parties, policy, mutual_consent=consent)
    expected = _mutual_expected(parties, policy, consent)

    if expected:
        assert {p.layer for p in payments} <= {Layer.MUTUAL_SELF}
        assert sorted(payments, key=lambda p: p.payee_party) == sorted(
            (
                Payment(p.insurer, p.label, p.label, Layer.MUTUAL_SELF, p.vehicle_loss_fen)
                for p in parties
                if p.vehicle_loss_fen
            ),
            key=lambda p: p.payee_party,
        )
    else:
        assert all(p.layer is not Layer.MUTUAL_SELF for p in payments)
    # Cross-check: the module's predicate (consent is asked separately).
    assert mutual_self_applies(parties, policy) == _mutual_expected(parties, policy, True)


# --- 5. amounts and determinism --------------------------------------------------------


@N
@EXAMPLES
@given(data=st.data())
def test_amounts_are_positive_integers_and_deterministic(n: int, data: st.DataObject) -> None:
    parties, policy, consent = data.draw(cases(n))
    payments = settle(parties, policy, mutual_consent=consent)
    for p in payments:
        assert type(p.amount_fen) is int and p.amount_fen > 0, p
    assert settle(parties, policy, mutual_consent=consent) == payments
    copies = [replace(p) for p in parties]  # equal but distinct objects
    assert settle(copies, replace(policy), mutual_consent=consent) == payments


# --- regression found by the properties above ---------------------------------------------


def test_no_fault_ratio_from_the_deployment_is_not_charged() -> None:
    """commercial_ratios_percent.none > 0 once made a 无责 party pay 三者 (§4.1: it pays 0)."""
    policy = CompensationPolicy(liability=LiabilityPolicy(none_bp=1_000))
    a = Party("甲", "PICC", Grade.FULL, 500_000)
    b = Party("乙", "PICC", Grade.NONE, 500_000)
    payments = settle([a, b], policy)
    assert _sum(payments, payer_party="乙", layer=Layer.THIRD_PARTY) == 0
    assert _sum(payments, payer_party="甲", layer=Layer.THIRD_PARTY) == 300_000
    assert _sum(payments, payee_party="甲", layer=Layer.OWN_DAMAGE) == 490_000
    # All 无责: each 车损险 pays its own car, nobody pays the other.
    both_clear = [replace(a, grade=Grade.NONE), b]
    assert settle(both_clear, policy) == [
        Payment("PICC", "甲", "甲", Layer.OWN_DAMAGE, 500_000),
        Payment("PICC", "乙", "乙", Layer.OWN_DAMAGE, 500_000),
    ]
