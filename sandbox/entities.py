"""Message text entities: Telegram's HTML parse mode and the entities clients generate."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR = re.compile(r"""([a-zA-Z_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")
_AUTO = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31})"
    r"|(?P<url>https?://[^\s<>\"]+)"
)


class EntityParseError(ValueError):
    """Raised for malformed markup; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    kind: str
    start: int
    attrs: dict[str, str] = field(default_factory=dict)


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


def _decode_entity(match: re.Match[str]) -> str:
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in "xX" else int(body[1:])
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)
    return NAMED_ENTITIES.get(body.lower(), match.group(0))


def parse_html(src: str) -> tuple[str, list[dict]]:
    """Strip Telegram-HTML tags, unescape entities and return (text, entities)."""
    out: list[str] = []
    pos = 0  # utf-16 offset of the output so far
    stack: list[_Open] = []
    entities: list[dict] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "<":
            end = src.find(">", i)
            if end == -1:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(src, i)}")
            inner = src[i + 1 : end]
            if inner.startswith("/"):
                _close_tag(src, i, inner[1:].strip().lower(), stack, entities, pos)
            else:
                opened = _open_tag(src, i, inner)
                opened.start = pos
                stack.append(opened)
            i = end + 1
            continue
        if ch == "&":
            match = _ENTITY.match(src, i)
            if match:
                piece = _decode_entity(match)
                out.append(piece)
                pos += utf16_len(piece)
                i = match.end()
                continue
        out.append(ch)
        pos += utf16_len(ch)
        i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _open_tag(src: str, index: int, inner: str) -> _Open:
    match = re.match(r"([a-zA-Z][a-zA-Z0-9-]*)(.*)$", inner, re.S)
    name = match.group(1).lower() if match else inner.strip().split(" ")[0]
    if not match or name not in HTML_TAGS:
        raise EntityParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, index)}'
        )
    attrs = {
        m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
        for m in _ATTR.finditer(match.group(2))
    }
    if re.search(r"\bexpandable\b", match.group(2)):
        attrs["__flags"] = "expandable"
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Unsupported start tag "span" at byte offset {_byte_offset(src, index)}'
        )
    return _Open(tag=name, kind=HTML_TAGS[name], start=-1, attrs=attrs)


def _close_tag(
    src: str, index: int, name: str, stack: list[_Open], entities: list[dict], pos: int
) -> None:
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(src, index)}")
    top = stack.pop()
    if name and name != top.tag:
        raise EntityParseError(
            f"Unmatched end tag at byte offset {_byte_offset(src, index)}, "
            f'expected "</{top.tag}>", found "</{name}>"'
        )
    start = top.start
    length = pos - start
    if length <= 0:
        return
    entity: dict = {"type": top.kind, "offset": start, "length": length}
    if top.kind == "text_link":
        url = top.attrs.get("href", "")
        if url.startswith("tg://user?id="):
            entity = {
                "type": "text_mention",
                "offset": start,
                "length": length,
                "user": {"id": int(url.split("=", 1)[1] or 0), "is_bot": False, "first_name": ""},
            }
        elif not url:
            return
        else:
            entity["url"] = url
    if top.kind == "code" and stack and stack[-1].tag == "pre":
        lang = top.attrs.get("class", "")
        if lang.startswith("language-"):
            stack[-1].attrs["language"] = lang[len("language-") :]
            return
    if top.kind == "pre" and top.attrs.get("language"):
        entity["language"] = top.attrs["language"]
    if top.kind == "blockquote" and "expandable" in top.attrs.get("__flags", ""):
        entity["type"] = "expandable_blockquote"
    if top.kind == "custom_emoji":
        entity["custom_emoji_id"] = top.attrs.get("emoji-id", "")
    entities.append(entity)


def auto_entities(text: str) -> list[dict]:
    """Entities a Telegram client attaches to typed text: commands, @mentions, URLs."""
    entities = []
    for match in _AUTO.finditer(text):
        kind = match.lastgroup or "url"
        offset = utf16_len(text[: match.start()])
        entities.append({"type": kind, "offset": offset, "length": utf16_len(match.group(0))})
    return entities


def visible_length(text: str) -> int:
    """Characters counted against Telegram's text limits."""
    return len(text)
