"""A reverse proxy's job in the tests: one webhook address in front of several processes."""

from __future__ import annotations

import socket
from collections import Counter

import aiohttp
from aiohttp import web


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RoundRobin:
    """One address in front of several webhook servers: each push goes to the next one
    (skipping one that is down), and its answer goes back to Telegram unchanged."""

    def __init__(self, ports: list[int], path: str = "/hook") -> None:
        self.port = free_port()
        self.path, self.ports = path, ports
        self.backends = [f"http://127.0.0.1:{p}{path}" for p in ports]
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.served: Counter[int] = Counter()
        self.cut_off = 0  # pushes a process did not answer (down, or killed mid-push)
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RoundRobin:
        self._client = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post(self.path, self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None and self._client is not None
        await self._runner.cleanup()
        await self._client.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        for _ in range(len(self.backends)):
            index = self._next % len(self.backends)
            self._next += 1
            try:
                async with self._client.post(
                    self.backends[index], data=body, headers=headers
                ) as resp:
                    self.served[index] += 1
                    return web.Response(status=resp.status, body=await resp.read())
            except aiohttp.ClientError:
                self.cut_off += 1
                continue  # that process is down: the next one
        return web.Response(status=502)
