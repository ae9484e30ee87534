"""The hostile-input corpus's checks: settle, snapshot, escaping, answers (tests/e2e/test_hostile.py).

Inputs are sent in batches (one bot per group of inputs) and the bot's answers are told
apart by the message they reply to.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlmodel import col, select

from bot.compose.app import Runtime
from sandbox import Sandbox
from storage.models import InboxUpdate, OutboxItem
from storage.types import OutboxStatus
from tests.e2e.conftest import eventually
from tests.e2e.helpers import bot_messages, text_of

# What a refused input must leave as it was (the case, its parties, claims and payments,
# registrations and roles); the audit trail, the inbox and the outbox may grow.
DOMAIN_TABLES = (
    "chat_group",
    "accident_case",
    "party",
    "insurer_claim",
    "insurer_payment",
    "role_request",
    "contact_request",
)

# The tags the bot's own texts use; an injected one (<u>, <s>, <tg-spoiler>, <blockquote>,
# <pre>...) in a sent HTML text means a person's input reached it unescaped.
BOT_TAGS = {"b", "i", "code", "a"}
MARK = "zqx"  # in every injected attribute: an attribute holding it came from a person
# Bidi overrides and isolates reverse the rest of a line; people's text is cleaned of them
# before it is stored or quoted (bot/rules/cleaning.py), and the bot's texts use none.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BARE_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});)")
SEND_METHODS = {"sendMessage", "editMessageText", "sendPhoto", "sendDocument", "editMessageCaption"}


@dataclass(frozen=True)
class Input:
    """One hostile input and what a person must see: `answer` is a piece of the bot's
    reply to it, None for no reply at all (chatter, a command that is not the bot's)."""

    text: str
    answer: str | None
    note: str = ""


def ids(cases: list[Input]) -> list[str]:
    return [c.note or c.text[:20] for c in cases]


async def settled(sb: Sandbox, bot: Runtime) -> bool:
    """Every update fetched and handled and every message the bot owes sent."""
    if sb.pending_updates():
        return False
    async with bot.services.db.session() as s:
        unhandled = (
            await s.exec(
                select(func.count())
                .select_from(InboxUpdate)
                .where(col(InboxUpdate.handled_at).is_(None))
            )
        ).one()
        busy = (
            await s.exec(
                select(func.count())
                .select_from(OutboxItem)
                .where(col(OutboxItem.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            )
        ).one()
    return int(unhandled) == 0 and int(busy) == 0


async def settle(sb: Sandbox, bot: Runtime, timeout: float = 30.0) -> None:
    await eventually(lambda: settled(sb, bot), timeout=timeout)


# Columns that follow the work of the bot itself (the card as last sent, while photos
# are still being stored), not what people entered.
VOLATILE = {"card_text", "card_signature", "card_message_id", "card_pinned", "updated_at"}


async def snapshot(bot: Runtime, tables: tuple[str, ...] = DOMAIN_TABLES) -> dict[str, list]:
    """Every row of the domain tables, in a stable order."""
    out: dict[str, list] = {}
    async with bot.services.db.session() as s:
        for table in tables:
            result = await s.exec(text(f"SELECT * FROM {table}"))  # type: ignore[call-overload]
            keep = [i for i, name in enumerate(result.keys()) if name not in VOLATILE]
            rows = [tuple(repr(row[i]) for i in keep) for row in result.all()]
            out[table] = sorted(rows, key=repr)
    return out


async def changes(bot: Runtime, before: dict[str, list], what: str) -> list[str]:
    """The domain rows a batch changed (it should have changed none)."""
    after = await snapshot(bot, tuple(before))
    wrong = []
    for table, rows in before.items():
        if after[table] != rows:
            gone = [r for r in rows if r not in after[table]]
            new = [r for r in after[table] if r not in rows]
            wrong.append(f"{what} changed {table}: {gone} -> {new}")
    return wrong


def replies_to(sb: Sandbox, chat: int, message_id: int) -> list[str]:
    """The texts of the bot's messages that answer one message."""
    return [
        text_of(m) for m in bot_messages(sb, chat) if m.get("reply_to_message_id") == message_id
    ]


def answer_problems(case: Input, got: list[str]) -> list[str]:
    """What is wrong with the bot's answer `got` to one input (empty when all is well)."""
    what = case.note or case.text[:40]
    if case.answer is None:
        return [f"{what!r}: expected silence, got {got}"] if got else []
    if not any(case.answer in g for g in got):
        return [f"{what!r}: expected {case.answer!r}, got {got}"]
    return []


def check_answers(sb: Sandbox, chat: int, sent: list[tuple[Input, int]]) -> list[str]:
    """What went wrong with the answers to a batch of inputs (empty when all is well)."""
    return [
        wrong
        for case, message_id in sent
        for wrong in answer_problems(case, replies_to(sb, chat, message_id))
    ]


class Probe:
    """One test's run of the corpus against one bot in one chat: it plays the tables,
    gathers what went wrong with each input, and fails once at the end with all of it,
    the batch-wide checks included (no ERROR record, no refused or unescaped text)."""

    def __init__(
        self, sb: Sandbox, bot: Runtime, chat: int, caplog: pytest.LogCaptureFixture
    ) -> None:
        self.sb, self.bot, self.chat, self.caplog = sb, bot, chat, caplog
        self.problems: list[str] = []

    async def batch(
        self,
        cases: list[Input],
        send: Callable[[Input], int],
        *,
        settled: Callable[[], Awaitable[None]] | None = None,
    ) -> list[tuple[Input, int]]:
        """Send every input at once (`send` returns the message id), wait until the bot is
        done (`settled`, by default `settle`), and check its reply to each."""
        sent = [(case, send(case)) for case in cases]
        await (settled() if settled else settle(self.sb, self.bot))
        self.problems += check_answers(self.sb, self.chat, sent)
        return sent

    async def one_by_one(self, cases: list[Input], act: Callable[[Input], object]) -> None:
        """Act out each input once the bot has answered the one before; its answer is
        whatever the bot said in between (for answers that are not replies)."""
        for case in cases:
            mark = max((m["message_id"] for m in self.sb.transcript(self.chat)), default=0)
            act(case)
            await settle(self.sb, self.bot)
            got = [text_of(m) for m in bot_messages(self.sb, self.chat) if m["message_id"] > mark]
            self.problems += answer_problems(case, got)

    async def tap(self, user: int, message_id: int, data: str) -> dict[str, Any]:
        """Press a button carrying any callback data, as a modified client could; the
        bot's answer to the query."""
        qid = self.sb.press_button(self.chat, user, message_id, data, strict=False)
        await self.sb.wait_for(lambda: self.sb.callback_answer(qid) is not None, timeout=10)
        return self.sb.callback_answer(qid)

    async def unchanged(self, before: dict[str, list], what: str) -> None:
        """The domain rows are as `before` (a snapshot) holds them."""
        self.problems += await changes(self.bot, before, what)

    def assert_clean(self) -> None:
        problems = self.problems + escaping_problems(self.sb)
        problems += failed_outbox_problems(self.sb.calls) + errors_logged(self.caplog.records)
        assert not problems, "\n".join(problems)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def escaping_problems(sb: Sandbox) -> list[str]:
    """Every HTML text the bot sent, parsed: only its own tags, no attribute or bare `&`
    from a person, and none refused by Telegram as unparseable."""
    wrong = []
    for call in sb.calls:
        if call["method"] not in SEND_METHODS:
            continue
        params = call["params"]
        if call["status"] == 400 and "parse" in str(call.get("description", "")):
            wrong.append(f"{call['method']} refused: {call.get('description')}")
        if params.get("parse_mode") != "HTML":
            continue
        raw = str(params.get("text") or params.get("caption") or "")
        parser = _Tags()
        parser.feed(raw)
        for tag, attrs in parser.found:
            if tag not in BOT_TAGS or any(MARK in (v or "") for _, v in attrs):
                wrong.append(f"injected <{tag} {attrs}> in {raw[:120]!r}")
        if _BARE_AMP.search(raw):
            wrong.append(f"unescaped & in {raw[:120]!r}")
        if _BIDI.search(raw):
            wrong.append(f"bidi control quoted back in {raw[:120]!r}")
    return wrong


def errors_logged(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()} {r.exc_info[1] if r.exc_info else ''}"
        for r in records
        if r.levelno >= logging.ERROR
    ]


def failed_outbox_problems(calls: list[dict[str, Any]]) -> list[str]:
    """Bot API calls Telegram refused (a text too long, a bad button...)."""
    return [
        f"{c['method']} → {c['status']}: {c.get('description')}"
        for c in calls
        if c["method"] in SEND_METHODS and c["status"] not in (200, None)
    ]
