"""Compensation arithmetic: the worked examples of docs/domain.md §5.3 and multi-party rules."""

from __future__ import annotations

import pytest

from bot.rules.amounts import yuan
from bot.rules.compensation import (
    DEFAULT_COMPENSATION_POLICY,
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
from bot.rules.liability import Grade, LiabilityPolicy

G = Grade
L = Layer


def pay(
    insurer: str | None, payer: str, payee: str, layer: Layer, amount: int, adv: str | None = None
) -> Payment:
    return Payment(insurer, payer, payee, layer, amount, adv)


def party(label: str, grade: Grade, loss_yuan: int, other_yuan: int = 0) -> Party:
    return Party(label, f"INS-{label}", grade, yuan(loss_yuan), yuan(other_yuan))


def check(parties: list[Party], payments: list[Payment]) -> None:
    assert invariant_violations(parties, payments) == []
    assert sum(p.amount_fen for p in payments) == total_loss_fen(parties)


# --- docs/domain.md §5.3 worked examples ------------------------------------------------


def test_example_a_rear_end() -> None:
    a, b = party("A", G.FULL, 1_500), party("B", G.NONE, 4_000)
    payments = settle([a, b])
    assert payments == [
        pay("INS-A", "A", "B", L.COMPULSORY_PROPERTY, yuan(2_000)),
        pay("INS-B", "B", "A", L.COMPULSORY_NO_FAULT, yuan(100), "INS-A"),
        pay("INS-A", "A", "B", L.THIRD_PARTY, yuan(2_000)),
        pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(1_400)),
    ]
    check([a, b], payments)
    assert total_loss_fen([a, b]) == yuan(5_500)
    # 无责代赔: A's insurer pays all the cash; by liability B's cover owes the 100.
    assert insurer_totals(payments) == {"INS-A": yuan(5_500)}
    assert insurer_totals(payments, cash=False) == {"INS-A": yuan(5_400), "INS-B": yuan(100)}
    assert payments[1].cash_insurer == "INS-A"


def test_example_a_without_proxy_payment() -> None:
    a, b = party("A", G.FULL, 1_500), party("B", G.NONE, 4_000)
    payments = settle([a, b], CompensationPolicy(no_fault_proxy_payment=False))
    assert pay("INS-B", "B", "A", L.COMPULSORY_NO_FAULT, yuan(100)) in payments
    assert insurer_totals(payments) == {"INS-A": yuan(5_400), "INS-B": yuan(100)}
    check([a, b], payments)


def test_example_b_major_minor() -> None:
    a, b = party("A", G.MAJOR, 5_000), party("B", G.MINOR, 3_000)
    payments = settle([a, b])
    assert sorted(payments, key=repr) == sorted(
        [
            pay("INS-B", "B", "A", L.COMPULSORY_PROPERTY, yuan(2_000)),
            pay("INS-B", "B", "A", L.THIRD_PARTY, yuan(900)),
            pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(2_100)),
            pay("INS-A", "A", "B", L.COMPULSORY_PROPERTY, yuan(2_000)),
            pay("INS-A", "A", "B", L.THIRD_PARTY, yuan(700)),
            pay("INS-B", "B", "B", L.OWN_DAMAGE, yuan(300)),
        ],
        key=repr,
    )
    assert insurer_totals(payments) == {"INS-A": yuan(4_800), "INS-B": yuan(3_200)}
    check([a, b], payments)


def test_example_c_mutual_self_settlement() -> None:
    a, b = party("A", G.EQUAL, 1_200), party("B", G.EQUAL, 1_800)
    assert mutual_self_applies([a, b])
    payments = settle([a, b])
    assert payments == [
        pay("INS-A", "A", "A", L.MUTUAL_SELF, yuan(1_200)),
        pay("INS-B", "B", "B", L.MUTUAL_SELF, yuan(1_800)),
    ]
    check([a, b], payments)


@pytest.mark.parametrize(
    ("policy", "consent"),
    [
        (DEFAULT_COMPENSATION_POLICY, False),
        (CompensationPolicy(mutual_self_settlement=False), True),
    ],
)
def test_example_c_without_mutual_settlement(policy: CompensationPolicy, consent: bool) -> None:
    a, b = party("A", G.EQUAL, 1_200), party("B", G.EQUAL, 1_800)
    payments = settle([a, b], policy, mutual_consent=consent)
    assert payments == [
        pay("INS-A", "A", "B", L.COMPULSORY_PROPERTY, yuan(1_800)),
        pay("INS-B", "B", "A", L.COMPULSORY_PROPERTY, yuan(1_200)),
    ]


# --- 互碰自赔 conditions ---------------------------------------------------------------


def test_mutual_self_ceiling_is_inclusive() -> None:
    at_limit = [party("A", G.MAJOR, 2_000), party("B", G.MINOR, 10)]
    assert mutual_self_applies(at_limit)
    over = [Party("A", "X", G.MAJOR, yuan(2_000) + 1), party("B", G.MINOR, 10)]
    assert not mutual_self_applies(over)
    assert all(p.layer is not L.MUTUAL_SELF for p in settle(over))


def test_mutual_self_needs_everyone_at_fault_and_no_other_property() -> None:
    assert not mutual_self_applies([party("A", G.FULL, 100), party("B", G.NONE, 100)])
    assert not mutual_self_applies([party("A", G.EQUAL, 100), party("B", G.EQUAL, 100, 1)])
    assert not mutual_self_applies([party("A", G.NONE, 100), party("B", G.NONE, 100)])


def test_mutual_self_ceiling_is_a_setting() -> None:
    parties = [party("A", G.EQUAL, 2_500), party("B", G.EQUAL, 100)]
    assert not mutual_self_applies(parties)
    assert mutual_self_applies(parties, CompensationPolicy(mutual_self_ceiling_fen=yuan(3_000)))


def test_mutual_self_three_vehicles() -> None:
    parties = [party("A", G.MAJOR, 500), party("B", G.MINOR, 700), party("C", G.MINOR, 0)]
    payments = settle(parties)
    assert [p.layer for p in payments] == [L.MUTUAL_SELF, L.MUTUAL_SELF]
    check(parties, payments)


# --- multi-party 交强险 rules (§5.1) ----------------------------------------------------


def test_one_at_fault_several_not() -> None:
    a, b, c = party("A", G.FULL, 3_000), party("B", G.NONE, 3_000), party("C", G.NONE, 1_000)
    payments = settle([a, b, c])
    # A's single 2,000 limit is shared pro rata 3:1 between its two victims.
    assert pay("INS-A", "A", "B", L.COMPULSORY_PROPERTY, yuan(1_500)) in payments
    assert pay("INS-A", "A", "C", L.COMPULSORY_PROPERTY, yuan(500)) in payments
    # A may receive up to the sum of the no-fault 100s, advanced by its own insurer.
    assert pay("INS-B", "B", "A", L.COMPULSORY_NO_FAULT, yuan(100), "INS-A") in payments
    assert pay("INS-C", "C", "A", L.COMPULSORY_NO_FAULT, yuan(100), "INS-A") in payments
    assert pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(2_800)) in payments
    assert not [p for p in payments if p.payee_party in "BC" and p.payer_party in "BC"]
    check([a, b, c], payments)


def test_one_at_fault_several_not_small_loss() -> None:
    parties = [party("A", G.FULL, 150), party("B", G.NONE, 10), party("C", G.NONE, 10)]
    payments = settle(parties)
    nf = [p for p in payments if p.layer is L.COMPULSORY_NO_FAULT]
    assert sum(p.amount_fen for p in nf) == yuan(150)
    assert {p.payer_party: p.amount_fen for p in nf} == {"B": yuan(75), "C": yuan(75)}
    check(parties, payments)


def test_several_at_fault_one_not_split_equally() -> None:
    a, b, c = party("A", G.EQUAL, 3_000), party("B", G.EQUAL, 3_000), party("C", G.NONE, 1_000)
    payments = settle([a, b, c])
    nf = [p for p in payments if p.layer is L.COMPULSORY_NO_FAULT]
    assert nf == [
        pay("INS-C", "C", "A", L.COMPULSORY_NO_FAULT, yuan(50), "INS-A"),
        pay("INS-C", "C", "B", L.COMPULSORY_NO_FAULT, yuan(50), "INS-B"),
    ]
    # C's loss is claimed half from each at-fault vehicle.
    assert pay("INS-A", "A", "C", L.COMPULSORY_PROPERTY, yuan(500)) in payments
    assert pay("INS-B", "B", "C", L.COMPULSORY_PROPERTY, yuan(500)) in payments
    # Rest of A: 3,000 - 1,500 (B) - 50 (C) = 1,450, shared 50/50 by A and B.
    assert pay("INS-B", "B", "A", L.THIRD_PARTY, yuan(725)) in payments
    assert pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(725)) in payments
    check([a, b, c], payments)


def test_three_at_fault_one_not_remainder_fen_deterministic() -> None:
    parties = [
        party("甲", G.EQUAL, 5_000),
        party("乙", G.EQUAL, 5_000),
        party("丙", G.EQUAL, 5_000),
        party("丁", G.NONE, 0),
    ]
    payments = settle(parties)
    nf = [(p.payee_party, p.amount_fen) for p in payments if p.layer is L.COMPULSORY_NO_FAULT]
    assert nf == [("甲", 3_334), ("乙", 3_333), ("丙", 3_333)]
    assert settle(parties) == payments  # deterministic
    check(parties, payments)


def test_no_fault_share_unused_by_a_small_claim_goes_to_the_other() -> None:
    parties = [party("A", G.EQUAL, 40), party("B", G.EQUAL, 5_000), party("C", G.NONE, 0)]
    payments = settle(parties)
    nf = {p.payee_party: p.amount_fen for p in payments if p.layer is L.COMPULSORY_NO_FAULT}
    assert nf == {"A": yuan(20), "B": yuan(80)}  # A claims 40/2 = 20 from the pool
    check(parties, payments)


def test_two_at_fault_two_not() -> None:
    parties = [
        party("A", G.MAJOR, 5_000),
        party("B", G.MINOR, 5_000),
        party("C", G.NONE, 0),
        party("D", G.NONE, 0),
    ]
    payments = settle(parties)
    nf = [
        (p.payer_party, p.payee_party, p.amount_fen)
        for p in payments
        if p.layer is L.COMPULSORY_NO_FAULT
    ]
    # Pool of 2 × 100 split equally between the two at-fault vehicles, 50 from each.
    assert nf == [
        ("C", "A", yuan(50)),
        ("D", "A", yuan(50)),
        ("C", "B", yuan(50)),
        ("D", "B", yuan(50)),
    ]
    check(parties, payments)


def test_compulsory_limit_pro_rata_rounding() -> None:
    parties = [
        Party("A", "X", G.FULL, 0),
        Party("B", "Y", G.NONE, 100_001),
        Party("C", "Z", G.NONE, 100_000),
        Party("D", "W", G.NONE, 100_000),
    ]
    payments = settle(parties)
    comp = {p.payee_party: p.amount_fen for p in payments if p.layer is L.COMPULSORY_PROPERTY}
    assert sum(comp.values()) == yuan(2_000)
    assert comp == {"B": 66_667, "C": 66_667, "D": 66_666}
    check(parties, payments)


def test_no_fault_accident_everyone_keeps_own_loss() -> None:
    parties = [party("A", G.NONE, 800), party("B", G.NONE, 300), party("C", G.NONE, 0)]
    payments = settle(parties)
    assert payments == [
        pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(800)),
        pay("INS-B", "B", "B", L.OWN_DAMAGE, yuan(300)),
    ]


def test_major_minor_with_a_blameless_third_party() -> None:
    parties = [party("A", G.MAJOR, 0), party("B", G.MINOR, 0), party("C", G.NONE, 14_000)]
    payments = settle(parties)
    comp = {p.payer_party: p.amount_fen for p in payments if p.layer is L.COMPULSORY_PROPERTY}
    assert comp == {"A": yuan(2_000), "B": yuan(2_000)}  # each capped at its limit
    tp = {p.payer_party: p.amount_fen for p in payments if p.layer is L.THIRD_PARTY}
    assert tp == {"A": yuan(7_000), "B": yuan(3_000)}  # (14,000 - 4,000) × 70/30
    check(parties, payments)


def test_three_equal_ratios_are_normalised_to_thirds() -> None:
    parties = [party("A", G.EQUAL, 9_000), party("B", G.EQUAL, 0), party("C", G.EQUAL, 0)]
    payments = settle(parties)
    assert pay("INS-B", "B", "A", L.COMPULSORY_PROPERTY, yuan(2_000)) in payments
    assert pay("INS-C", "C", "A", L.COMPULSORY_PROPERTY, yuan(2_000)) in payments
    # Rest 5,000 over three equal ratios: 1,666.67 / 1,666.67 / 1,666.66 (ties by order).
    assert pay("INS-A", "A", "A", L.OWN_DAMAGE, 166_667) in payments
    assert pay("INS-B", "B", "A", L.THIRD_PARTY, 166_667) in payments
    assert pay("INS-C", "C", "A", L.THIRD_PARTY, 166_666) in payments
    check(parties, payments)


# --- other property, caps, deductibles ---------------------------------------------


def test_own_other_property_is_self_borne_for_own_share() -> None:
    a, b = party("A", G.FULL, 1_500, 500), party("B", G.NONE, 4_000)
    payments = settle([a, b])
    assert pay("INS-B", "B", "A", L.COMPULSORY_NO_FAULT, yuan(100), "INS-A") in payments
    assert pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(1_425)) in payments
    assert pay(None, "A", "A", L.SELF_BORNE, yuan(475)) in payments
    check([a, b], payments)


def test_victims_other_property_is_paid_by_the_at_fault_side() -> None:
    a, b = party("A", G.FULL, 1_500), party("B", G.NONE, 4_000, 1_000)
    payments = settle([a, b])
    assert pay("INS-A", "A", "B", L.THIRD_PARTY, yuan(3_000)) in payments
    assert received_by_party(payments)["B"] == yuan(5_000)
    check([a, b], payments)


def test_third_party_sum_insured_cap() -> None:
    a, b = party("A", G.FULL, 0), party("B", G.NONE, 100_000)
    payments = settle([a, b], CompensationPolicy(third_party_sum_insured_fen=yuan(50_000)))
    assert payments == [
        pay("INS-A", "A", "B", L.COMPULSORY_PROPERTY, yuan(2_000)),
        pay("INS-A", "A", "B", L.THIRD_PARTY, yuan(50_000)),
        pay(None, "A", "B", L.PARTY_DIRECT, yuan(48_000)),
    ]


def test_third_party_cap_split_between_victims() -> None:
    parties = [party("A", G.FULL, 0), party("B", G.NONE, 6_500), party("C", G.NONE, 2_500)]
    payments = settle(parties, CompensationPolicy(third_party_sum_insured_fen=yuan(3_500)))
    tp = {p.payee_party: p.amount_fen for p in payments if p.layer is L.THIRD_PARTY}
    direct = {p.payee_party: p.amount_fen for p in payments if p.layer is L.PARTY_DIRECT}
    # 交强险 2,000 split 6,500:2,500; rests 5,056 (rounded) and 1,944 exceed the 3,500 cap.
    assert sum(tp.values()) == yuan(3_500)
    assert sum(direct.values()) == yuan(9_000 - 2_000 - 3_500)
    check(parties, payments)


def test_2014_fault_deductibles_when_enabled() -> None:
    a, b = party("A", G.MAJOR, 5_000), party("B", G.MINOR, 3_000)
    payments = settle([a, b], CompensationPolicy(fault_deductibles=True))
    assert pay("INS-A", "A", "B", L.THIRD_PARTY, yuan(595)) in payments
    assert pay(None, "A", "B", L.PARTY_DIRECT, yuan(105)) in payments
    assert pay("INS-B", "B", "A", L.THIRD_PARTY, yuan(855)) in payments
    assert pay(None, "B", "A", L.PARTY_DIRECT, yuan(45)) in payments
    assert pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(1_785)) in payments
    assert pay(None, "A", "A", L.SELF_BORNE, yuan(315)) in payments
    assert pay("INS-B", "B", "B", L.OWN_DAMAGE, yuan(285)) in payments
    assert pay(None, "B", "B", L.SELF_BORNE, yuan(15)) in payments
    check([a, b], payments)


def test_custom_limits_and_ratios() -> None:
    policy = CompensationPolicy(
        compulsory_property_limit_fen=yuan(3_000),
        compulsory_no_fault_limit_fen=yuan(300),
        liability=LiabilityPolicy(major_bp=8_000, minor_bp=2_000),
    )
    a, b = party("A", G.MAJOR, 5_000), party("B", G.MINOR, 4_000)
    payments = settle([a, b], policy)
    assert pay("INS-B", "B", "A", L.COMPULSORY_PROPERTY, yuan(3_000)) in payments
    assert pay("INS-B", "B", "A", L.THIRD_PARTY, yuan(400)) in payments
    assert pay("INS-A", "A", "B", L.THIRD_PARTY, yuan(800)) in payments
    check([a, b], payments)
    c, d = party("C", G.FULL, 1_000), party("D", G.NONE, 0)
    assert settle([c, d], policy)[0] == pay(
        "INS-D", "D", "C", L.COMPULSORY_NO_FAULT, yuan(300), "INS-C"
    )


# --- validation and helpers ----------------------------------------------------------


@pytest.mark.parametrize(
    "parties",
    [
        [party("A", G.FULL, 100)],
        [party("A", G.FULL, 100), party("A", G.NONE, 100)],
        [party("A", G.FULL, 100), party("B", G.FULL, 100)],
        [party("A", G.MAJOR, 100), party("B", G.NONE, 100)],
        [Party("A", "X", G.FULL, -1), party("B", G.NONE, 100)],
        [Party("A", "X", G.FULL, 1, -1), party("B", G.NONE, 100)],
    ],
)
def test_invalid_input(parties: list[Party]) -> None:
    with pytest.raises(ValueError):
        settle(parties)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"compulsory_property_limit_fen": -1},
        {"compulsory_no_fault_limit_fen": -1},
        {"third_party_sum_insured_fen": -1},
        {"fault_deductible_bp": {Grade.FULL: 10_001}},
    ],
)
def test_policy_validation(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        CompensationPolicy(**kwargs)


def test_zero_losses_give_no_payments() -> None:
    assert settle([party("A", G.FULL, 0), party("B", G.NONE, 0)]) == []


def test_invariant_violations_detects_errors() -> None:
    parties = [party("A", G.FULL, 1_500), party("B", G.NONE, 4_000)]
    good = settle(parties)
    assert invariant_violations(parties, good) == []
    assert invariant_violations(parties, good[:-1])
    bumped = [*good[:-1], pay("INS-A", "A", "A", L.OWN_DAMAGE, yuan(1_401))]
    assert invariant_violations(parties, bumped)
    assert invariant_violations(parties, [*good, pay("X", "A", "B", L.THIRD_PARTY, 0)])


def test_layer_labels() -> None:
    assert L.COMPULSORY_PROPERTY.label_zh == "交强险财产"
    assert L.MUTUAL_SELF.label_zh == "互碰自赔"
    assert all(layer.label_zh for layer in Layer)
