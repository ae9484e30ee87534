"""``Sandbox``: the local Telegram server plus its Python control API."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.chatmethods import ChatMethods
from sandbox.edits import EditMethods
from sandbox.faults import KINDS, FaultInjector
from sandbox.limits import RateLimiter
from sandbox.methods import MessageMethods
from sandbox.people import People
from sandbox.rateguard import RateGuard
from sandbox.server import build_app
from sandbox.threaded import ThreadedSandbox
from sandbox.topics import TopicMethods
from sandbox.transcript import format_transcript, transcript_entries
from sandbox.updates import UpdateFeed
from sandbox.world import World


class Sandbox(People):
    """A Telegram Bot API server on 127.0.0.1 with a scripted world behind it.

    Control methods are plain methods; call them from the event loop the server runs in
    (or through ``run_in_thread()`` / the HTTP control API from elsewhere).
    """

    CONTROL_METHODS = frozenset(
        {
            "create_user",
            "create_chat",
            "add_member",
            "set_bot_rights",
            "add_bot",
            "remove_bot",
            "block_bot",
            "migrate_chat",
            "send_text",
            "send_photo",
            "send_album",
            "send_document",
            "send_location",
            "send_venue",
            "send_contact",
            "share_contact",
            "reply_keyboard",
            "edit_text",
            "press_button",
            "callback_answer",
            "redeliver",
            "transcript",
            "topics",
            "calls",
            "update_log",
            "await_bot_messages",
            "rate_limited",
            "inject_fault",
            "inject_fault_share",
            "clear_faults",
            "pending_updates",
            "format_transcript",
            "info",
        }
    )

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "kuaipei_bot",
        group_rate: tuple[int, float] = (20, 60.0),
        global_rate: tuple[int, float] = (30, 1.0),
        bot_name: str = "快赔Bot",
        callback_ttl: float | None = None,
        webhook_retry: tuple[float, float] = (0.2, 5.0),
        clock: Callable[[], float] = time.time,
        rate_algorithm: str = "bucket",
        rate_grace: float = 0.2,
    ) -> None:
        self.token = token
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.world = World(bot_id, bot_username, bot_name, clock=clock)
        self.limiter = RateLimiter(
            group_rate, global_rate, algorithm=rate_algorithm, grace=rate_grace
        )
        self.guard = RateGuard(self.world, self.limiter)
        self.faults = FaultInjector()
        self.feed = UpdateFeed(self.world, webhook_retry)
        self.messages = MessageMethods(self.world, self.guard)
        self._methods: dict[str, tuple[str, Any]] = {}
        edits = EditMethods(self.world, self.guard, self.messages.new_message)
        for table in (
            self.feed.table(),
            self.messages.table(),
            edits.table(),
            ChatMethods(self.world, callback_ttl).table(),
            TopicMethods(self.world, self.guard).table(),
        ):
            for name, impl in table.items():
                self._methods[name.lower()] = (name, impl)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self, port: int = 0, host: str = "127.0.0.1") -> Sandbox:
        """Serve on ``host:port`` (0 = a free port)."""
        self._runner = web.AppRunner(build_app(self), handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.host = host
        return self

    async def stop(self) -> None:
        """Stop serving."""
        await self.feed.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        if self.port is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Bot API prefix for PTB's ``base_url`` (token appended)."""
        return f"{self.root_url}/bot"

    @property
    def file_base_url(self) -> str:
        """File download prefix for PTB's ``base_file_url`` (token appended)."""
        return f"{self.root_url}/file/bot"

    @property
    def control_url(self) -> str:
        """The HTTP control API root."""
        return f"{self.root_url}/control"

    def method(self, name: str) -> tuple[str | None, Any]:
        """(canonical name, implementation) of a Bot API method; names are case-insensitive."""
        return self._methods.get(name.lower(), (None, None))

    # --- hooks for People -----------------------------------------------------------------
    def _remember_photo(self, sizes: list[dict]) -> None:
        self.messages.remember_photo(sizes)

    def _remember_document(self, doc: dict) -> None:
        self.messages.documents[doc["file_id"]] = doc

    # --- observing ------------------------------------------------------------------------
    @property
    def calls(self) -> list[dict]:
        """Every Bot API call: ``{"method", "params", "status", "at"}`` (+ result/description)."""
        return self.world.calls

    def calls_to(self, method: str) -> list[dict]:
        """The logged calls of one method."""
        return [c for c in self.world.calls if c["method"].lower() == method.lower()]

    def update_log(self, start: int = 0) -> list[dict]:
        """When each update became available (``{"update_id", "at", "chat_id",
        "message_id"}``, the sandbox's clock), from the ``start``-th on."""
        return self.world.update_log[start:]

    async def await_bot_messages(self, cid: int, count: int, timeout: float = 10.0) -> int:
        """Wait until the bot has posted ``count`` messages in a chat; how many it has.

        For drivers in another process: they wait here instead of polling the transcript.
        """
        chat = self._chat(cid)

        def posted() -> int:
            return sum(1 for m in chat.messages.values() if m.from_id == self.world.bot.id)

        await self.wait_for(lambda: posted() >= count, timeout=timeout, what=f"{count} replies")
        return posted()

    def rate_limited(self, cid: int | None = None) -> int:
        """How many 429s the bot drew from the limits (not from injected faults)."""
        if cid is None:
            return sum(self.world.rate_limited.values())
        return self.world.rate_limited.get(cid, 0)

    def pending_updates(self) -> list[dict]:
        """Updates queued and not yet confirmed by the bot."""
        return list(self.world.updates)

    def transcript(self, cid: int, thread_id: int | None = None) -> list[dict]:
        """Messages of a chat (or one thread) in order, with their current content."""
        return transcript_entries(self.world, cid, thread_id)

    def format_transcript(self, cid: int, thread_id: int | None = None) -> str:
        """The transcript as readable lines."""
        return format_transcript(self.world, cid, thread_id)

    def print_transcript(self, cid: int, thread_id: int | None = None) -> None:
        """Print the readable transcript."""
        print(self.format_transcript(cid, thread_id))  # noqa: T201

    def topics(self, cid: int) -> list[dict]:
        """Forum topics of a chat (deleted ones left out)."""
        return [
            {**t.to_json(), "closed": t.closed}
            for t in self._chat(cid).topics.values()
            if not t.deleted
        ]

    def info(self) -> dict:
        """URLs and the bot's identity."""
        return {
            "base_url": self.base_url,
            "file_base_url": self.file_base_url,
            "control_url": self.control_url,
            "bot": self.world.bot.to_json(),
        }

    # --- steering -------------------------------------------------------------------------
    def redeliver(self, update_id: int) -> None:
        """Queue an already-delivered update again with the same update_id."""
        self.world.requeue(update_id)

    def inject_fault(
        self,
        method: str,
        kind: str = "429",
        count: int = 1,
        retry_after: int = 1,
        delay: float = 2.0,
        text_contains: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (see ``sandbox.faults``)."""
        self.faults.inject(method, kind, count, retry_after, delay, text_contains)

    def inject_fault_share(
        self, share: float, kinds: tuple[str, ...] | list[str] | None = None, seed: int = 0
    ) -> None:
        """Fail a seeded random share of the bot's calls (see ``FaultInjector.inject_share``)."""
        self.faults.inject_share(share, tuple(kinds) if kinds else KINDS, seed)

    def clear_faults(self) -> None:
        """Forget queued faults."""
        self.faults.clear()

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0, what: str | None = None
    ) -> None:
        """Wait until ``predicate()`` is true; TimeoutError says what the bot did meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(self._timeout_message(what or _describe(predicate), timeout))
            await self.feed.wait_change(min(remaining, 0.05))

    def _timeout_message(self, what: str, timeout: float) -> str:
        recent = [
            f"{c['method']}→{c['status']}"
            + (f" ({c['description']})" if c.get("description") else "")
            for c in self.world.calls[-8:]
            if c["method"] != "getUpdates"
        ]
        return (
            f"condition {what} not met within {timeout}s; "
            f"pending updates: {len(self.world.updates)}; "
            f"last bot calls: {', '.join(recent) or 'none'}"
        )

    # --- remote control -------------------------------------------------------------------
    def control_call(self, name: str, kwargs: dict[str, Any]) -> Any:
        """Run a control method for the HTTP API (``*_b64`` arguments are base64 bytes)."""
        if name not in self.CONTROL_METHODS:
            raise KeyError(f"unknown control method {name!r}")
        args = {k: v for k, v in kwargs.items() if not k.endswith("_b64")}
        for key, value in kwargs.items():
            if key.endswith("_b64"):
                raw = key[: -len("_b64")]
                args[raw] = (
                    [base64.b64decode(v) for v in value]
                    if isinstance(value, list)
                    else base64.b64decode(value)
                )
        if name == "calls":
            # A driver far into a run asks only for what is new, of one method.
            calls = self.calls[int(args.get("start", 0)) :]
            method = args.get("method")
            return [c for c in calls if method is None or c["method"].lower() == method.lower()]
        if name == "create_chat" and isinstance(args.get("admins"), dict):
            args["admins"] = {int(k): v for k, v in args["admins"].items()}
        return getattr(self, name)(**args)

    def run_in_thread(self, port: int = 0) -> ThreadedSandbox:
        """Serve from a background thread with its own loop, for synchronous scripts."""
        return ThreadedSandbox(self, port)


def _describe(predicate: Callable[[], bool]) -> str:
    name = getattr(predicate, "__name__", "predicate")
    return repr(name)
