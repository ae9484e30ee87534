"""The one-line quick form: `甲 湘C12345 平安 13800001111 张三 小型轿车`.

After the party label, tokens may come in any order; each is recognised by its
shape (plate, phone, insurer name, vehicle type, personal name, policy number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.parties.labels import parse_label
from bot.rules.cleaning import clean_text
from bot.rules.plates import normalize_plate

# ASCII digits only: `\d` alone also matches Arabic-Indic or Devanagari digits, which no
# one dials and which would never match the number Telegram shares (bot/rules/phones.py).
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$", re.ASCII)
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$", re.ASCII)
_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")
_POLICY = re.compile(r"^[A-Z0-9-]{8,32}$")
# Digits alone, as long as a phone number or shorter, are a mistyped phone far more often
# than a policy number (those carry letters or run longer): not taken as either.
_PHONE_LIKE = re.compile(r"^\+?(?:[0-9]-?){7,10}[0-9]$")


@dataclass(frozen=True)
class QuickForm:
    """What a quick-form line says about one party; None where it says nothing."""

    label: str
    plate: str | None = None
    insurer: str | None = None
    phone: str | None = None
    driver_name: str | None = None
    vehicle_type: str | None = None
    policy_number: str | None = None
    unknown: tuple[str, ...] = field(default=())


def parse_phone(token: str) -> str | None:
    """A Chinese mobile or landline number, normalised; None if it is not one."""
    t = token.strip().replace(" ", "")
    if m := _MOBILE.match(t):
        return m.group(1)
    if m := _LANDLINE.match(t):
        return f"{m.group(1)}-{m.group(2)}"
    return None


def parse_quick_form(
    text: str,
    *,
    find_insurer: Callable[[str], str | None],
    vehicle_types: Sequence[str],
) -> QuickForm | None:
    """Parse a quick-form line; None when it does not start with a party label."""
    tokens = clean_text(text).replace("，", " ").replace(",", " ").split()
    if len(tokens) < 2:
        return None
    label = parse_label(tokens[0])
    if label is None:
        return None
    found: dict[str, str] = {}
    unknown: list[str] = []
    for token in tokens[1:]:
        slot, value = _recognise(token, find_insurer, vehicle_types)
        if slot is None or slot in found:
            unknown.append(token)
        else:
            found[slot] = value
    return QuickForm(label=label, unknown=tuple(unknown), **found)


def _recognise(
    token: str, find_insurer: Callable[[str], str | None], vehicle_types: Sequence[str]
) -> tuple[str | None, str]:
    if plate := normalize_plate(token):
        return "plate", plate
    if phone := parse_phone(token):
        return "phone", phone
    if insurer := find_insurer(token):
        return "insurer", insurer
    if token in vehicle_types:
        return "vehicle_type", token
    if _NAME.match(token):
        return "driver_name", token
    if _POLICY.match(token.upper()) and not _PHONE_LIKE.match(token):
        return "policy_number", token.upper()
    return None, token
