"""交强险 property layer over several vehicles (rules documented in compensation.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from bot.rules.apportion import apportion, water_fill
from bot.rules.compensation_model import CompensationPolicy, Layer, Party, Payment, pay


def compulsory_payments(parties: Sequence[Party], policy: CompensationPolicy) -> list[Payment]:
    """交强险 payments: at-fault limits pro rata, the no-fault pool split equally."""
    faulty = [u for u, p in enumerate(parties) if p.grade.at_fault]
    blameless = [u for u, p in enumerate(parties) if not p.grade.at_fault]
    claims: dict[int, dict[int, int]] = defaultdict(dict)  # payer -> victim -> claim
    pool: dict[int, int] = {}  # at-fault victim -> claim on the no-fault pool
    for v, party in enumerate(parties):
        payers = [u for u in faulty if u != v]
        # No-fault vehicles answer only to at-fault victims (never to each other).
        use_pool = party.grade.at_fault and bool(blameless)
        if not payers and not use_pool:
            continue
        parts = apportion(party.total_loss_fen, [1] * (len(payers) + use_pool))
        for u, part in zip(payers, parts, strict=False):
            claims[u][v] = part
        if use_pool:
            pool[v] = parts[-1]

    out: list[Payment] = []
    limit = policy.compulsory_property_limit_fen
    for u in faulty:
        victims = list(claims[u])
        paid = [claims[u][v] for v in victims]
        if sum(paid) > limit:  # one limit per accident for all victims together
            paid = apportion(limit, paid)
        for v, amount in zip(victims, paid, strict=True):
            out.append(pay(parties[u], parties[v], Layer.COMPULSORY_PROPERTY, amount))

    victims = list(pool)
    per_vehicle = policy.compulsory_no_fault_limit_fen
    pool_paid = water_fill(per_vehicle * len(blameless), [pool[v] for v in victims])
    capacity = [per_vehicle] * len(blameless)
    for v, amount in zip(victims, pool_paid, strict=True):
        # Weighting by unused limit keeps every no-fault vehicle within its own 100.
        shares = apportion(amount, capacity)
        advanced = parties[v].insurer if policy.no_fault_proxy_payment else None
        for j, share in enumerate(shares):
            capacity[j] -= share
            payer = parties[blameless[j]]
            out.append(pay(payer, parties[v], Layer.COMPULSORY_NO_FAULT, share, advanced))
    return out
