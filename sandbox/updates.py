"""Delivering updates to the bot: getUpdates long polling and webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from typing import Any

import aiohttp

from sandbox.limits import MAX_GET_UPDATES_LIMIT
from sandbox.rules import ApiError, Params, bad
from sandbox.world import World

log = logging.getLogger(__name__)

DEFAULT_KINDS_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}
CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one"
    " bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use"
    " deleteWebhook to delete the webhook first"
)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class UpdateFeed:
    """The bot's update queue as seen through getUpdates or a webhook."""

    def __init__(self, world: World, webhook_retry: tuple[float, float] = (0.2, 5.0)) -> None:
        self.world = world
        self.allowed_updates: list[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.webhook_retry = webhook_retry
        self.webhook_attempts: list[dict] = []
        self._poller: asyncio.Future[str] | None = None
        self._waiters: set[asyncio.Event] = set()
        self._webhook_task: asyncio.Task[None] | None = None
        world.listeners.append(self._wake)

    def table(self) -> dict[str, Any]:
        """Method name -> implementation (getUpdates is a coroutine)."""
        return {
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
        }

    # --- waiting --------------------------------------------------------------------------
    def _wake(self) -> None:
        for event in list(self._waiters):
            event.set()

    async def wait_change(
        self, timeout: float | None, also: asyncio.Future[Any] | None = None
    ) -> None:
        """Sleep until the world changes, ``also`` completes, or ``timeout`` passes."""
        event = asyncio.Event()
        self._waiters.add(event)
        try:
            waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(event.wait())]
            if also is not None:
                waits.append(also)
            _, pending = await asyncio.wait(
                waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for fut in pending:
                if fut is not also:
                    fut.cancel()
        finally:
            self._waiters.discard(event)

    # --- the queue ------------------------------------------------------------------------
    def _allowed(self, update: dict) -> bool:
        kind = next(k for k in update if k != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_KINDS_EXCLUDED

    def _batch(self, limit: int) -> list[dict]:
        self.world.updates[:] = [u for u in self.world.updates if self._allowed(u)]
        return self.world.updates[:limit]

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset < 0:
            del self.world.updates[: max(0, len(self.world.updates) + offset)]
        else:
            self.world.updates[:] = [u for u in self.world.updates if u["update_id"] >= offset]

    # --- getUpdates -----------------------------------------------------------------------
    async def get_updates(self, p: Params) -> list[dict]:
        """getUpdates: confirm by offset, then block up to ``timeout`` seconds for updates."""
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        limit = min(max(p.int("limit") or MAX_GET_UPDATES_LIMIT, 1), MAX_GET_UPDATES_LIMIT)
        timeout = max(p.float("timeout") or 0.0, 0.0)
        allowed = p.json("allowed_updates")
        if allowed is not None:
            self.allowed_updates = list(allowed) or None
        loop = asyncio.get_running_loop()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("poll")
        me: asyncio.Future[str] = loop.create_future()
        self._poller = me
        try:
            self._confirm(p.int("offset"))
            deadline = loop.time() + timeout
            while True:
                batch = self._batch(limit)
                remaining = deadline - loop.time()
                if batch or remaining <= 0:
                    return batch
                await self.wait_change(remaining, also=me)
                if me.done():
                    reason = me.result()
                    raise ApiError(
                        409,
                        CONFLICT_POLL
                        if reason == "poll"
                        else "Conflict: terminated by setWebhook request",
                    )
        finally:
            if self._poller is me:
                self._poller = None

    # --- webhooks -------------------------------------------------------------------------
    def set_webhook(self, p: Params) -> bool:
        """setWebhook (http URLs are accepted on loopback; an empty URL removes it)."""
        url = p.str("url") or ""
        if not url:
            return self.delete_webhook(p)
        if not url.startswith(("http://", "https://")):
            raise bad(
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.str("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise bad("Bad Request: secret token contains unallowed characters")
        if p.bool("drop_pending_updates"):
            self.world.updates.clear()
        allowed = p.json("allowed_updates")
        if allowed is not None:
            self.allowed_updates = list(allowed) or None
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("webhook")
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": p.int("max_connections") or 40,
            "last_error_date": None,
            "last_error_message": None,
        }
        self._start_delivery()
        return True

    def delete_webhook(self, p: Params) -> bool:
        """deleteWebhook."""
        if p.bool("drop_pending_updates"):
            self.world.updates.clear()
        self.webhook = None
        self._wake()
        return True

    def get_webhook_info(self, p: Params) -> dict:  # noqa: ARG002
        """getWebhookInfo."""
        pending = len(self._batch(10**9))
        if self.webhook is None:
            return {"url": "", "has_custom_certificate": False, "pending_update_count": pending}
        info: dict[str, Any] = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": self.webhook["max_connections"],
        }
        if self.webhook["last_error_date"]:
            info["last_error_date"] = self.webhook["last_error_date"]
            info["last_error_message"] = self.webhook["last_error_message"]
        if self.allowed_updates:
            info["allowed_updates"] = self.allowed_updates
        return info

    def _start_delivery(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver())

    async def _deliver(self) -> None:
        base, cap = self.webhook_retry
        backoff = base
        async with aiohttp.ClientSession() as session:
            while self.webhook is not None:
                hook = self.webhook
                batch = self._batch(1)
                if not batch:
                    await self.wait_change(None)
                    continue
                ok = await self._post(session, hook, batch[0])
                if ok:
                    with contextlib.suppress(ValueError):
                        self.world.updates.remove(batch[0])
                    backoff = base
                else:
                    await self.wait_change(backoff)
                    backoff = min(backoff * 2, cap)

    async def _post(self, session: aiohttp.ClientSession, hook: dict, update: dict) -> bool:
        headers = {}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        attempt: dict[str, Any] = {"update_id": update["update_id"], "url": hook["url"]}
        try:
            async with session.post(
                hook["url"], json=update, headers=headers, timeout=aiohttp.ClientTimeout(total=10)
            ) as resp:
                attempt["status"] = resp.status
                error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            attempt["status"] = None
            error = f"Connection failed: {exc!r}"
        self.webhook_attempts.append(attempt)
        if attempt["status"] == 200:
            return True
        hook["last_error_date"] = self.world.now()
        hook["last_error_message"] = error
        return False

    async def close(self) -> None:
        """Stop webhook delivery and release a blocked poller."""
        self.webhook = None
        self._wake()
        if self._poller is not None and not self._poller.done():
            self._poller.set_result("poll")
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._webhook_task
