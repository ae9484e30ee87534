"""Run a ``Sandbox`` in a background thread for synchronous scripts."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Protocol


class Sandbox(Protocol):
    """What a thread needs to run a sandbox (sandbox/core.py's `Sandbox`)."""

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> Any: ...

    async def stop(self) -> None: ...


class ThreadedSandbox:
    """A handle on a sandbox served from its own thread and event loop.

    Control methods are forwarded into that loop, so ``handle.send_text(...)`` is safe from
    the calling thread. ``stop()`` ends the server and the thread.
    """

    def __init__(self, sandbox: Sandbox, port: int = 0) -> None:
        self.sandbox = sandbox
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sandbox", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(sandbox.start(port), self.loop).result(10)

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` in the sandbox loop and return its result."""

        async def runner() -> Any:
            result = fn(*args, **kwargs)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(runner(), self.loop).result()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.sandbox, name)
        if callable(attr):
            return lambda *a, **k: self.call(attr, *a, **k)
        return attr

    def stop(self) -> None:
        """Stop the server and the thread."""
        asyncio.run_coroutine_threadsafe(self.sandbox.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    def __enter__(self) -> ThreadedSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
