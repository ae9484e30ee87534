"""Commercial layer after 交强险: 三者险 by fault ratio, 车损险 for the own share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.rules.apportion import apportion
from bot.rules.compensation_model import CompensationPolicy, Layer, Party, Payment, pay

_BP = 10_000


def commercial_payments(
    parties: Sequence[Party], policy: CompensationPolicy, received: Mapping[str, int]
) -> list[Payment]:
    """Split each party's loss left after 交强险 by normalised fault ratios."""
    n = len(parties)
    # 无责 pays no commercial cover (docs/domain.md §4.1), whatever ratio the deployment sets.
    ratios = [policy.liability.ratio_bp(p.grade) if p.grade.at_fault else 0 for p in parties]
    gross = [[0] * n for _ in range(n)]  # gross[u][v]: u's share of v's remaining loss
    for v, party in enumerate(parties):
        rest = party.total_loss_fen - received.get(party.label, 0)
        # Nobody at fault: each party keeps its own loss (its 车损险 pays the vehicle).
        weights = ratios if sum(ratios) else [int(i == v) for i in range(n)]
        for u, share in enumerate(apportion(rest, weights)):
            gross[u][v] = share

    out: list[Payment] = []
    cap = policy.third_party_sum_insured_fen
    for u, payer in enumerate(parties):
        victims = [v for v in range(n) if v != u]
        rate = policy.deductible_bp(payer.grade)
        # Floor the deductible: any rounding fen favours the victim's insurer payout.
        deductible = [gross[u][v] * rate // _BP for v in victims]
        net = [gross[u][v] - d for v, d in zip(victims, deductible, strict=True)]
        paid = apportion(cap, net) if cap is not None and sum(net) > cap else net
        for v, amount, d, owed in zip(victims, paid, deductible, net, strict=True):
            out.append(pay(payer, parties[v], Layer.THIRD_PARTY, amount))
            out.append(pay(payer, parties[v], Layer.PARTY_DIRECT, d + owed - amount, person=True))

    for v, party in enumerate(parties):
        vehicle, other = apportion(
            gross[v][v], [party.vehicle_loss_fen, party.other_property_loss_fen]
        )
        d = vehicle * policy.deductible_bp(party.grade) // _BP
        out.append(pay(party, party, Layer.OWN_DAMAGE, vehicle - d))
        # 车损险 covers the vehicle only: the own share of other property stays with the party.
        out.append(pay(party, party, Layer.SELF_BORNE, other + d, person=True))
    return out
