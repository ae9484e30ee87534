"""Cut an HTML message to Telegram's length limit without breaking its markup (pure).

Telegram counts a message's length after parsing the HTML: tags count nothing and an
entity such as &amp; counts as the one character it stands for. A text over the limit is
refused for good (`Message is too long`), so the sender cuts it here as a last line of
defence; the texts themselves clip what they quote from people (bot/rules/cleaning.py).
"""

from __future__ import annotations

import re
from html import unescape

TELEGRAM_LIMIT = 4096
_ELLIPSIS = "…"
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[a-zA-Z][\w-]*)[^>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);|.",
    re.DOTALL,
)


def _units(text: str) -> int:
    # UTF-16 code units: what Telegram's offsets count, never fewer than characters.
    return len(text.encode("utf-16-le")) // 2


def visible_length(html: str) -> int:
    """The length Telegram checks: the text without tags, entities decoded."""
    return sum(
        _units(unescape(m.group(0))) for m in _TOKEN.finditer(html) if m.group("name") is None
    )


def fit_html(html: str, limit: int = TELEGRAM_LIMIT) -> str:
    """The text unchanged if it fits; else cut on a character, with …, open tags closed."""
    if visible_length(html) <= limit:
        return html
    budget = limit - _units(_ELLIPSIS)
    out: list[str] = []
    open_tags: list[str] = []
    used = 0
    for m in _TOKEN.finditer(html):
        token, name = m.group(0), m.group("name")
        if name is not None:
            if m.group("close"):
                if name.lower() in open_tags:
                    while open_tags and open_tags.pop() != name.lower():
                        pass
            elif not token.endswith("/>"):
                open_tags.append(name.lower())
            out.append(token)
            continue
        width = _units(unescape(token))
        if used + width > budget:
            break
        used += width
        out.append(token)
    out.append(_ELLIPSIS)
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)
