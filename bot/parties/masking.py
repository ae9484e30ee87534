"""Personal data shown masked to everyone but police and the party's own insurer."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """138****1111; short or unusual numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = phone.replace("-", "")
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str | None) -> str:
    """张* / 欧阳** : the family name stays, the given name is hidden."""
    if not name:
        return ""
    if len(name) <= 1:
        return name
    head = 2 if len(name) >= 4 else 1
    return name[:head] + "*" * (len(name) - head)
