"""What people type, made safe to store and to quote back (pure).

Names, vehicle types and references are shown on the card, in the agreement PDF and in
other people's chats. A right-to-left override or a zero-width character there would turn
the rest of the line around or make two equal-looking values differ, and control
characters have no business in a name; so they are removed where text is parsed, before
anything is stored. Visible characters (Chinese, Latin, emoji with their modifiers and
variation selectors) are kept as typed; HTML is escaped later, when a text is rendered.
"""

from __future__ import annotations

import re
import unicodedata

# Format (Cf: bidi controls, zero-width characters, BOM, soft hyphen), control (Cc: C0 and
# C1), surrogate (Cs: lone halves cannot be stored as UTF-8), private use (Co), unassigned
# (Cn). Line and paragraph separators (Zl, Zp) are line breaks in disguise.
_DROPPED = frozenset(("Cf", "Cc", "Cs", "Co", "Cn"))
_BREAKS = frozenset(("Zl", "Zp"))
_SPACES = re.compile(r"[^\S\n]+")

QUOTE_LIMIT = 200


def _visible(ch: str, multiline: bool) -> str:
    if ch == "\n":
        return "\n" if multiline else " "
    if ch in "\t\r\v\f":
        return " "
    category = unicodedata.category(ch)
    if category in _BREAKS:
        return "\n" if multiline else " "
    if category in _DROPPED:
        return ""
    return ch


def clean_text(text: str, *, multiline: bool = False) -> str:
    """The text without invisible and control characters, spaces collapsed, ends trimmed.

    A single-line value (a name, a plate, a reference) turns line breaks into spaces;
    `multiline` keeps them (a reason, a note).
    """
    text = text.replace("\r\n", "\n")
    kept = "".join(_visible(ch, multiline) for ch in text)
    lines = (_SPACES.sub(" ", line).strip() for line in kept.split("\n"))
    return "\n".join(lines).strip()


def clip(value: str, limit: int = QUOTE_LIMIT) -> str:
    """A value quoted back to people, cut to `limit` characters with … when it is longer.

    Telegram refuses messages over 4096 characters; a reply that quotes what someone typed
    must stay well inside that, whatever they typed.
    """
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"
