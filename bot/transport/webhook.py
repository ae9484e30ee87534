"""Webhook mode: Telegram pushes each update to our HTTPS endpoint (behind a reverse
proxy that ends TLS), and we answer only once the update is safe.

A request without the secret `setWebhook` was given (`X-Telegram-Bot-Api-Secret-Token`,
compared in constant time) is refused, 401 when missing and 403 when wrong, and nothing
is stored. An update is stored in the inbox before the 200; when it cannot be stored the
answer is 500, so Telegram sends it again. Handling then goes the same way as in polling:
group -1 claims the update once (bot/transport/ingest.py), so a redelivery is ignored.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.kernel.services import Services
from bot.transport.ingest import Intake, QueueIntake, inbox_state, store_updates

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CONNECTIONS = 40


class WebhookServer:
    """Receives Telegram's pushes until stopped; `start` also points Telegram at it."""

    def __init__(
        self,
        app: Application,
        svc: Services,
        *,
        url: str,
        secret: str,
        host: str,
        port: int,
        intake: Intake | None = None,
    ) -> None:
        self.app, self.svc = app, svc
        self.intake: Intake = intake or QueueIntake(app, svc)
        self.url, self.host, self.port = url, host, port
        self._secret = secret.encode()
        self.path = urlsplit(url).path or "/"
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Replay what the last run left unhandled, listen, then tell Telegram where."""
        await self.intake.replay()
        server = web.Application(client_max_size=10 * 1024 * 1024)
        server.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        await self.app.bot.set_webhook(
            url=self.url,
            secret_token=self._secret.decode(),
            allowed_updates=Update.ALL_TYPES,
            max_connections=MAX_CONNECTIONS,
        )
        log.info("webhook mode: listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        """Stop listening; Telegram keeps what it could not deliver and retries later."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="secret token missing")
        if not hmac.compare_digest(given.encode(), self._secret):
            log.warning("webhook request with a wrong secret token refused")
            return web.Response(status=403, text="wrong secret token")
        try:
            update = Update.de_json(await request.json(), self.app.bot)
        except Exception:  # not an update: Telegram would not send it, nobody should
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        try:
            state = inbox_state(self.app.bot_data) if self.intake.claims_at_store else None
            await store_updates(self.svc, [update], state=state)
        except Exception:
            log.exception("update %s could not be stored; Telegram will retry", update.update_id)
            return web.Response(status=500, text="not stored")
        await self.intake.deliver([update])
        return web.Response(status=200)
