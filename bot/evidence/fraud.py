"""Fraud guards as decisions over plain values (pure): reuse, capture time, capture place."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.evidence.geo import distance_km
from bot.evidence.phash import distance, informative


@dataclass(frozen=True)
class Known:
    """A photo already kept in another case."""

    case_id: int
    photo_id: int
    file_unique_id: str
    sha256: str | None
    phash: str | None


@dataclass(frozen=True)
class Reuse:
    """Why a photo counts as one already used: the match and the other case."""

    case_id: int
    photo_id: int
    by: str  # "file_unique_id", "sha256" or "phash"
    bits: int = 0


def find_reuse(
    *,
    file_unique_id: str,
    sha256: str | None,
    phash: str | None,
    known: Iterable[Known],
    max_bits: int,
) -> Reuse | None:
    """The strongest match among photos of other cases: same file, same bytes, same picture."""
    best: Reuse | None = None
    rank = {"file_unique_id": 0, "sha256": 1, "phash": 2}
    for k in known:
        match: Reuse | None = None
        if k.file_unique_id == file_unique_id:
            match = Reuse(k.case_id, k.photo_id, "file_unique_id")
        elif sha256 is not None and k.sha256 == sha256:
            match = Reuse(k.case_id, k.photo_id, "sha256")
        elif phash and k.phash and informative(phash) and informative(k.phash):
            bits = distance(phash, k.phash)
            if bits <= max_bits:
                match = Reuse(k.case_id, k.photo_id, "phash", bits)
        if match is None:
            continue
        if best is None or (rank[match.by], match.bits, match.case_id) < (
            rank[best.by],
            best.bits,
            best.case_id,
        ):
            best = match
    return best


def hours_too_old(taken_at: datetime, opened_at: datetime, max_age_hours: float) -> float | None:
    """Hours between capture and the case opening, when that is more than allowed."""
    hours = (opened_at - taken_at).total_seconds() / 3600
    return hours if hours > max_age_hours else None


def minutes_in_future(
    taken_at: datetime, received_at: datetime, tolerance_minutes: float
) -> float | None:
    """Minutes the capture time lies after the photo reached the bot, beyond clock skew.

    Measured against its arrival, not the case opening: photos taken after the case opened
    are normal, but none can be taken after it was sent.
    """
    minutes = (taken_at - received_at).total_seconds() / 60
    return minutes if minutes > tolerance_minutes else None


def km_too_far(
    photo: tuple[float, float], scene: tuple[float, float], max_km: float
) -> float | None:
    """Kilometres between capture place and scene, when that is more than allowed."""
    km = distance_km(photo, scene)
    return km if km > max_km else None
