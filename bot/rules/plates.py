"""Chinese civil number plates (GA 36): parse, classify and normalise user input.

Choices (docs/domain.md is silent on plates):
- Input is NFKC-normalised (full-width letters/digits become ASCII), upper-cased, and
  spaces, middle dots, hyphens and full stops are removed: ``湘c · 12345`` -> ``湘C12345``.
- Letters I and O are never accepted in the serial, nor silently read as 1 and 0: a
  typo must be fixed by the user rather than guessed by the bot.
- Small new-energy plates: the serial's first letter comes from
  ``PlateRules.nev_small_letters`` (D/F in GA 36-2018; the wider set A-K seen in newer
  issue runs is the default but is unverified, hence a setting).
- 港/澳 plates are accepted only as 粤Z····港/澳 (the only issuing office).
- Embassy plates are accepted as 使 + 6 digits (2007+) and 6 digits + 使 (older).
- Military, armed-police (WJ) and paper temporary plates are not civil plates: refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

PLATE_EXAMPLE = "湘C12345"

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

# Letters usable on plates: A-Z without I and O (GA 36).
_L = "A-HJ-NP-Z"
_AN = f"[{_L}0-9]"
_SEPARATORS = re.compile(r"[\s·•∙‧・.\-_]+")
_MAX_RAW_CHARS = 32  # longest sane input incl. separators; rejects pasted paragraphs


class PlateKind(StrEnum):
    """Plate families the bot distinguishes."""

    ORDINARY = "ordinary"
    NEW_ENERGY_SMALL = "new_energy_small"
    NEW_ENERGY_LARGE = "new_energy_large"
    TRAILER = "trailer"  # 挂
    LEARNER = "learner"  # 学
    POLICE = "police"  # 警
    TRIAL = "trial"  # 试
    HK = "hk"  # 粤Z····港
    MACAU = "macau"  # 粤Z····澳
    CONSULATE = "consulate"  # 领
    EMBASSY = "embassy"  # 使


_SUFFIX_KINDS: dict[str, PlateKind] = {
    "挂": PlateKind.TRAILER,
    "学": PlateKind.LEARNER,
    "警": PlateKind.POLICE,
    "试": PlateKind.TRIAL,
    "港": PlateKind.HK,
    "澳": PlateKind.MACAU,
    "领": PlateKind.CONSULATE,
}


@dataclass(frozen=True)
class PlateRules:
    """Issue-run letters that vary over time; loaded from the deployment file."""

    nev_small_letters: str = "DABCEFGHJK"  # first serial char of small NEV plates
    nev_large_letters: str = "DF"  # last serial char of large NEV plates


DEFAULT_PLATE_RULES = PlateRules()


@dataclass(frozen=True)
class Plate:
    """A validated plate in canonical form (no separators, upper case)."""

    text: str
    province: str | None  # None only for embassy plates
    kind: PlateKind

    @property
    def authority(self) -> str | None:
        """Issuing-office letter (second character), if the plate has one."""
        return self.text[1] if self.province else None


def _clean(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def _classify(s: str, rules: PlateRules) -> PlateKind | None:
    if re.fullmatch(r"使\d{6}|\d{6}使", s):
        return PlateKind.EMBASSY
    if len(s) < 2 or s[0] not in PROVINCES or not re.fullmatch(f"[{_L}]", s[1]):
        return None
    serial = s[2:]
    if re.fullmatch(f"{_AN}{{5}}", serial):
        return PlateKind.ORDINARY
    small = "".join(c for c in rules.nev_small_letters if c.isalpha())
    large = "".join(c for c in rules.nev_large_letters if c.isalpha())
    if small and re.fullmatch(f"[{small}]{_AN}\\d{{4}}", serial):
        return PlateKind.NEW_ENERGY_SMALL
    if large and re.fullmatch(f"\\d{{5}}[{large}]", serial):
        return PlateKind.NEW_ENERGY_LARGE
    if len(serial) == 5 and serial[-1] in _SUFFIX_KINDS:
        kind = _SUFFIX_KINDS[serial[-1]]
        body = serial[:4]
        if kind in (PlateKind.HK, PlateKind.MACAU):
            ok = s.startswith("粤Z") and re.fullmatch(f"{_AN}{{4}}", body) is not None
        elif kind is PlateKind.CONSULATE:
            ok = re.fullmatch(r"\d{4}", body) is not None
        else:
            ok = re.fullmatch(f"{_AN}{{4}}", body) is not None
        return kind if ok else None
    return None


def parse_plate(text: str, rules: PlateRules = DEFAULT_PLATE_RULES) -> Plate | None:
    """Parse user input into a canonical Plate, or None if it is not a civil plate."""
    if not text or len(text) > _MAX_RAW_CHARS:
        return None
    s = _clean(text)
    kind = _classify(s, rules)
    if kind is None:
        return None
    province = None if kind is PlateKind.EMBASSY else s[0]
    return Plate(text=s, province=province, kind=kind)


def normalize_plate(text: str, rules: PlateRules = DEFAULT_PLATE_RULES) -> str | None:
    """Return the canonical plate text (e.g. 湘C12345) or None if invalid."""
    plate = parse_plate(text, rules)
    return plate.text if plate else None
