"""Everything the bot says, in Chinese first and English second.

A plain catalogue rather than gettext .po files: the texts are few, reviewers read
both languages side by side, and no compile step is needed to run the bot.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

# The kernel's own texts; each area keeps its own texts module, and the wiring
# (bot/compose/wiring.py) installs them all into CATALOG.
TEXTS: dict[str, dict[str, str]] = {
    "setup.done": {
        "zh": "✅ 本群已登记为 <b>{township}</b> 快处快赔群。协理员发送事故照片即可开案。",
        "en": "✅ This group is registered for <b>{township}</b>. Post accident photos to open a case.",
    },
    "setup.updated": {
        "zh": "✅ 本群登记已更新为 <b>{township}</b>。",
        "en": "✅ This group's registration now points to <b>{township}</b>.",
    },
    "setup.not_admin": {
        "zh": "抱歉，只有群管理员可以登记本群。",
        "en": "Sorry, only a group administrator can register this group.",
    },
    "setup.usage": {
        "zh": "请写明乡镇，例如：<code>/setup 花石镇</code>\n可选：{townships}",
        "en": "Name the township, e.g. <code>/setup 花石镇</code>\nChoices: {townships}",
    },
    "setup.unknown_township": {
        "zh": "未找到乡镇“{text}”。可选：{townships}",
        "en": "No township called “{text}”. Choices: {townships}",
    },
    "setup.liaison_done": {
        "zh": "✅ 本群已登记为<b>联席办</b>群，督办：{townships}。每日简报、/stats、/export 在此使用；本群不受理案件照片。",
        "en": "✅ This chat is registered as the <b>liaison office</b>'s, overseeing: {townships}. "
        "The daily digest, /stats and /export work here; it opens no cases.",
    },
    "setup.all_townships": {"zh": "全部乡镇", "en": "every township"},
    "setup.liaison_not_allowed": {
        "zh": "抱歉，只有身为联席办人员的群管理员可以把本群登记为联席办群。",
        "en": "Sorry, only a group admin who works for the liaison office can register it.",
    },
    "setup.is_township": {
        "zh": "本群已登记为乡镇快处群，不能同时作为联席办群。",
        "en": "This group is registered for a township; it cannot be the liaison office's too.",
    },
    "setup.is_liaison": {
        "zh": "本群是联席办群，不受理案件，不能登记为乡镇群。",
        "en": "This is the liaison office's chat; it opens no cases and cannot serve a township.",
    },
    "setup.private": {
        "zh": "请在事故处理群里发送 /setup，而不是私聊。",
        "en": "Send /setup in the accident group, not in a private chat.",
    },
    "hint.unregistered": {
        "zh": "本群尚未登记，照片未开案。请群管理员发送 <code>/setup 乡镇名</code> 登记本群。",
        "en": "This group is not registered, so no case was opened. "
        "An admin can register it with <code>/setup township</code>.",
    },
    "help": {
        "zh": "快赔 · 快处快赔助手\n"
        "• 在已登记的群里发送事故照片（可一次多张）即开案，之后在案件话题/回复链里补充照片。\n"
        "• 群管理员：<code>/setup 乡镇名</code> 登记本群。",
        "en": "Kuaipei · fast handling, fast compensation\n"
        "• Post accident photos (an album is fine) in a registered group to open a case; "
        "add more in the case's topic or reply chain.\n"
        "• Group admins: <code>/setup township</code> registers the group.",
    },
    "cmd.setup": {"zh": "登记本群（管理员）：/setup 乡镇名", "en": "Register this group (admins)"},
    "cmd.help": {"zh": "使用说明", "en": "How to use the bot"},
    "button.unknown": {
        "zh": "这个按钮已失效，请使用案件卡片上的最新按钮。",
        "en": "This button is no longer valid; use the buttons on the current case card.",
    },
    "button.expired": {
        "zh": "这个按钮已过期。",
        "en": "This button has expired.",
    },
    "telegram.try_again": {
        "zh": "Telegram 暂时没有响应，刚才的操作没有完成，请稍后再试。",
        "en": "Telegram did not answer just now, so that did not go through; please try again.",
    },
    "status.collecting": {"zh": "采集证据中", "en": "Collecting evidence"},
    "status.ready": {"zh": "材料齐全", "en": "Ready"},
    "status.awaiting_insurer": {"zh": "等待保险公司", "en": "Awaiting insurer"},
    "status.approved": {"zh": "已核准", "en": "Approved"},
    "status.paid": {"zh": "已赔付", "en": "Paid"},
    "status.closed": {"zh": "已结案", "en": "Closed"},
    "status.police": {"zh": "已转交警", "en": "Handed to police"},
    "status.cancelled": {"zh": "已撤销", "en": "Cancelled"},
    "status.disputed": {"zh": "有争议", "en": "Disputed"},
    "card.title": {
        "zh": "🚗 案件 <b>{number}</b> · {township}",
        "en": "🚗 Case <b>{number}</b> · {township}",
    },
    "card.status": {"zh": "状态：{status}", "en": "Status: {status}"},
    "card.opened": {"zh": "开案：{time} · {who}", "en": "Opened: {time} · {who}"},
    "card.photos": {"zh": "照片：{count} 张", "en": "Photos: {count}"},
    "card.next": {
        "zh": "请在本{thread}继续发送现场照片。",
        "en": "Keep posting scene photos in this {thread}.",
    },
    "thread.forum": {"zh": "话题", "en": "topic"},
    "thread.reply": {"zh": "回复链（回复本消息）", "en": "reply chain (reply to this message)"},
}


CATALOG: dict[str, dict[str, str]] = dict(TEXTS)


# Bidi embeddings, overrides and isolates. A value quoted back (a refused amount, a
# Telegram name) holding one would reverse the rest of the bot's line; the bot's own
# texts use none, so they go wherever a value is rendered, whatever parsed it before.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def plain(value: object) -> str:
    """A value as safe HTML: bidi controls dropped, then escaped."""
    return escape(_BIDI.sub("", str(value)))


def t(key: str, lang: str = "zh", **values: Any) -> str:
    """Render a text; string values are HTML-escaped unless wrapped in `Raw`."""
    entry = CATALOG[key]
    template = entry.get(lang) or entry["zh"]
    safe = {k: v if isinstance(v, Raw) else plain(v) for k, v in values.items()}
    return template.format(**safe)


class Raw(str):
    """A value that is already safe HTML and must not be escaped again."""


def install(*catalogues: dict[str, dict[str, str]]) -> None:
    """Put the areas' texts into the catalogue; installing the same catalogues again is a no-op.

    A key two catalogues define differently is a mistake in the wiring, refused at start.
    """
    for texts in catalogues:
        clash = {k for k in texts if k in CATALOG and CATALOG[k] != texts[k]}
        if clash:
            raise ValueError(f"text keys defined twice: {sorted(clash)}")
        CATALOG.update(texts)
