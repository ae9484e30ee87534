"""Readable transcripts: who said what, in which topic, with buttons, edits and pins."""

from __future__ import annotations

from typing import Any

from sandbox.world import Message, World

SERVICE_LABELS = {
    "forum_topic_created": "created topic",
    "forum_topic_edited": "edited topic",
    "forum_topic_closed": "closed topic",
    "forum_topic_reopened": "reopened topic",
    "pinned_message": "pinned a message",
    "migrate_to_chat_id": "group upgraded to supergroup",
    "migrate_from_chat_id": "supergroup created from group",
}


def _in_thread(msg: Message, thread_id: int | None) -> bool:
    return thread_id is None or msg.thread_id == thread_id or msg.message_id == thread_id


def transcript_entries(world: World, cid: int, thread_id: int | None = None) -> list[dict]:
    """Messages of a chat (or one thread) in order, with their current content."""
    chat = world.chats[cid]
    entries = []
    for msg in sorted(chat.messages.values(), key=lambda m: m.message_id):
        if msg.deleted or not _in_thread(msg, thread_id):
            continue
        entry: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "from": world.users[msg.from_id].to_json(),
            "text": msg.text,
            "caption": msg.caption,
            "edited": msg.edits,
            "pinned": msg.pinned,
            "reply_markup": msg.reply_markup,
            "buttons": [
                [b.get("text") for b in row]
                for row in (msg.reply_markup or {}).get("inline_keyboard", [])
            ],
            "message_thread_id": msg.thread_id,
            "is_topic_message": msg.is_topic_message,
            "reply_to_message_id": msg.reply_to,
            "media_group_id": msg.media_group_id,
        }
        for key in ("photo", "document", "location", "venue", "contact", "entities"):
            if getattr(msg, key):
                entry[key] = getattr(msg, key)
        if msg.service:
            entry["service"] = next(iter(msg.service))
            entry.update(msg.service)
        entries.append(entry)
    return entries


def _place(world: World, cid: int, msg: Message) -> str:
    chat = world.chats[cid]
    title = chat.title or world.users[chat.private_user or cid].display_name
    topic = chat.topics.get(msg.thread_id) if msg.is_topic_message and msg.thread_id else None
    return f"[{title} › {topic.name}]" if topic else f"[{title}]"


def _body(msg: Message) -> str:
    parts = []
    if msg.photo:
        big = msg.photo[-1]
        parts.append(f"🖼 photo {big['width']}×{big['height']}")
    if msg.document:
        parts.append(f"📄 {msg.document.get('file_name', 'file')}")
    if msg.venue:
        parts.append(f"📍 {msg.venue['title']}, {msg.venue['address']}")
    elif msg.location:
        parts.append(f"📍 {msg.location['latitude']:.5f}, {msg.location['longitude']:.5f}")
    if msg.contact:
        parts.append(
            f"📇 contact {msg.contact.get('first_name', '')} {msg.contact['phone_number']}"
        )
    if msg.text is not None:
        parts.append(msg.text)
    if msg.caption:
        parts.append(msg.caption)
    return " ".join(parts)


def format_message(world: World, cid: int, msg: Message) -> str:
    """One transcript line."""
    who = world.users[msg.from_id].display_name
    if msg.service:
        kind, value = next(iter(msg.service.items()))
        detail = f" «{value['name']}»" if isinstance(value, dict) and "name" in value else ""
        return f"{_place(world, cid, msg)} · {who} {SERVICE_LABELS.get(kind, kind)}{detail}"
    marks = []
    if msg.edits:
        marks.append(f"edited ×{msg.edits}")
    if msg.pinned:
        marks.append("📌")
    if msg.reply_to is not None and msg.reply_to != msg.thread_id:
        marks.append(f"↩ {msg.reply_to}")
    if msg.media_group_id:
        marks.append(f"album {msg.media_group_id[-4:]}")
    label = f"{who} ({', '.join(marks)})" if marks else who
    line = f"{_place(world, cid, msg)} #{msg.message_id} {label}: {_body(msg)}"
    buttons = [
        b.get("text", "")
        for row in (msg.reply_markup or {}).get("inline_keyboard", [])
        for b in row
    ]
    if buttons:
        line += "  " + " ".join(f"[{b}]" for b in buttons)
    return line


def format_transcript(world: World, cid: int, thread_id: int | None = None) -> str:
    """The whole transcript as text, one line per message."""
    chat = world.chats[cid]
    return "\n".join(
        format_message(world, cid, m)
        for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
        if not m.deleted and _in_thread(m, thread_id)
    )


def print_transcript(world: World, cid: int, thread_id: int | None = None) -> None:
    """Print the transcript."""
    print(format_transcript(world, cid, thread_id))
