"""The required shots as slots, and how photos fill them (pure; docs/domain.md §3.2).

A scenario is a list of shot kinds from the deployment file; a kind marked per_party
becomes one slot per party ("plate:甲", "plate:乙"). New photos take the first empty
slot in checklist order, so an album fills the slots in the order it was shot; a
re-tag moves a photo to another slot, and the photo that held it takes the old one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.parties.labels import LABELS as PARTY_LABELS
from bot.parties.labels import LATIN as _PARTY_EN


class SlotSpec(Protocol):
    """A shot kind as the deployment file describes it."""

    # Read-only: the deployment's slots are frozen models.
    @property
    def code(self) -> str: ...
    @property
    def zh(self) -> str: ...
    @property
    def en(self) -> str: ...
    @property
    def per_party(self) -> bool: ...


@dataclass(frozen=True)
class Slot:
    """One required shot of one case."""

    key: str
    code: str
    party: str | None
    zh: str
    en: str

    def label(self, lang: str) -> str:
        """Its name for people: 甲方车牌 / plate (party A)."""
        if lang == "en":
            return (
                f"{self.en} (party {_PARTY_EN.get(self.party, self.party)})"
                if self.party
                else self.en
            )
        return f"{self.party}方{self.zh}" if self.party else self.zh


def party_labels(named: Iterable[str], default_count: int) -> list[str]:
    """The parties to ask per-party shots of: those named in the case, at least default_count."""
    wanted = set(named) | set(PARTY_LABELS[:default_count])
    return [label for label in PARTY_LABELS if label in wanted]


def expand(specs: Sequence[SlotSpec], parties: Sequence[str]) -> list[Slot]:
    """The case's slots: shared shots first, then each per-party shot for 甲, 乙 ... in turn."""
    shared = [Slot(s.code, s.code, None, s.zh, s.en) for s in specs if not s.per_party]
    per_party = [
        Slot(f"{s.code}:{p}", s.code, p, s.zh, s.en) for p in parties for s in specs if s.per_party
    ]
    return shared + per_party


def missing(slots: Sequence[Slot], taken: Iterable[str | None]) -> list[Slot]:
    """The slots no photo fills yet, in checklist order."""
    have = set(taken)
    return [s for s in slots if s.key not in have]


def next_free(slots: Sequence[Slot], taken: Iterable[str | None]) -> Slot | None:
    """The slot the next photo fills (None once every slot is filled)."""
    left = missing(slots, taken)
    return left[0] if left else None


def assign_in_order(
    slots: Sequence[Slot], taken: Iterable[str | None], count: int
) -> list[str | None]:
    """Slots for `count` new photos in arrival order; None for photos beyond the checklist."""
    left = [s.key for s in missing(slots, taken)]
    return [left[i] if i < len(left) else None for i in range(count)]


def retag(
    current: Mapping[int, str | None], photo_id: int, new_slot: str | None
) -> dict[int, str | None]:
    """The slot changes when a photo is re-tagged: the photo holding new_slot takes the old one."""
    if photo_id not in current:
        raise KeyError(photo_id)
    old = current[photo_id]
    if old == new_slot:
        return {}
    changes: dict[int, str | None] = {photo_id: new_slot}
    if new_slot is not None:
        for other, slot in current.items():
            if other != photo_id and slot == new_slot:
                changes[other] = old
    return changes


def is_complete(
    slots: Sequence[Slot], taken: Iterable[str | None], photo_count: int, photos_min: int
) -> bool:
    """Every slot filled and at least the minimum number of photos."""
    return not missing(slots, taken) and photo_count >= photos_min
