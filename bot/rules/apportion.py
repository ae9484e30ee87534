"""Deterministic integer splitting of fen amounts (no floats anywhere).

- ``apportion``: pro rata by integer weights, largest-remainder (Hamilton) method; ties
  go to the earlier index, so the input order (甲, 乙, 丙 ...) decides the last fen.
- ``water_fill``: equal split of a limit, never giving anyone more than their claim;
  what a small claim leaves unused is shared by the others (equal-split-with-caps).
Both return a list aligned with the input and never exceed a claim or the total.
"""

from __future__ import annotations

from collections.abc import Sequence


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen pro rata to ``weights`` by largest remainder (ties: lower index)."""
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("total and weights must be non-negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise ValueError("cannot apportion a positive total over zero weights")
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def water_fill(limit: int, claims: Sequence[int]) -> list[int]:
    """Split ``limit`` equally among ``claims``, capping each at its claim."""
    if limit < 0 or any(c < 0 for c in claims):
        raise ValueError("limit and claims must be non-negative")
    paid = [0] * len(claims)
    remaining = min(limit, sum(claims))
    open_ = sorted(range(len(claims)), key=lambda i: (claims[i], i))
    while open_:
        level = remaining // len(open_)
        smallest = open_[0]
        if claims[smallest] <= level:
            paid[smallest] = claims[smallest]
            remaining -= claims[smallest]
            open_.pop(0)
            continue
        # Everyone left claims more than the level: give the level, then the spare fen
        # one each in input order (each of them can take one more by construction).
        extra = remaining - level * len(open_)
        for rank, i in enumerate(sorted(open_)):
            paid[i] = level + (1 if rank < extra else 0)
        break
    return paid
