"""``SandboxClient``: drive a sandbox in another process through its HTTP control API."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

Source = str | Path | bytes


def _encode(name: str, value: Any) -> tuple[str, Any]:
    """Bytes travel as base64 under ``<name>_b64``; paths are sent as strings."""
    if isinstance(value, bytes | bytearray):
        return f"{name}_b64", base64.b64encode(value).decode()
    if isinstance(value, list) and any(isinstance(v, bytes | bytearray) for v in value):
        return f"{name}_b64", [
            base64.b64encode(
                Path(v).read_bytes() if not isinstance(v, bytes | bytearray) else v
            ).decode()
            for v in value
        ]
    if isinstance(value, Path):
        return name, str(value)
    return name, value


class SandboxError(RuntimeError):
    """A control call the sandbox refused."""


class SandboxClient:
    """The control API over HTTP, with the same method names as ``Sandbox``."""

    def __init__(self, control_url: str, timeout: float = 30.0) -> None:
        self.control_url = control_url.rstrip("/")
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, name: str, **kwargs: Any) -> Any:
        """Call a control method by name."""
        body = dict(_encode(k, v) for k, v in kwargs.items())
        resp = self._http.post(f"{self.control_url}/{name}", json=body)
        data = resp.json()
        if not data.get("ok"):
            raise SandboxError(data.get("error", resp.text))
        return data["result"]

    def methods(self) -> list[str]:
        """The control methods the server offers."""
        return self._http.get(self.control_url).json()["result"]

    # --- the same verbs as Sandbox --------------------------------------------------------
    def info(self) -> dict:
        """URLs and the bot's identity."""
        return self.call("info")

    def create_user(self, first_name: str, **kwargs: Any) -> int:
        """See ``Sandbox.create_user``."""
        return self.call("create_user", first_name=first_name, **kwargs)

    def create_chat(self, kind: str, **kwargs: Any) -> int:
        """See ``Sandbox.create_chat``."""
        return self.call("create_chat", kind=kind, **kwargs)

    def add_member(self, cid: int, uid: int, **kwargs: Any) -> None:
        """See ``Sandbox.add_member``."""
        return self.call("add_member", cid=cid, uid=uid, **kwargs)

    def migrate_chat(self, cid: int, **kwargs: Any) -> int:
        """See ``Sandbox.migrate_chat``."""
        return self.call("migrate_chat", cid=cid, **kwargs)

    def send_text(self, cid: int, uid: int, text: str, **kwargs: Any) -> dict:
        """See ``Sandbox.send_text``."""
        return self.call("send_text", cid=cid, uid=uid, text=text, **kwargs)

    def send_photo(self, cid: int, uid: int, photo: Source, **kwargs: Any) -> dict:
        """See ``Sandbox.send_photo``."""
        return self.call("send_photo", cid=cid, uid=uid, photo=photo, **kwargs)

    def send_album(self, cid: int, uid: int, items: list[Source], **kwargs: Any) -> list[dict]:
        """See ``Sandbox.send_album``."""
        return self.call("send_album", cid=cid, uid=uid, items=items, **kwargs)

    def send_document(self, cid: int, uid: int, document: Source, **kwargs: Any) -> dict:
        """See ``Sandbox.send_document``."""
        return self.call("send_document", cid=cid, uid=uid, document=document, **kwargs)

    def send_location(
        self, cid: int, uid: int, latitude: float, longitude: float, **kwargs: Any
    ) -> dict:
        """See ``Sandbox.send_location``."""
        return self.call(
            "send_location", cid=cid, uid=uid, latitude=latitude, longitude=longitude, **kwargs
        )

    def send_venue(
        self,
        cid: int,
        uid: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        **kwargs: Any,
    ) -> dict:
        """See ``Sandbox.send_venue``."""
        return self.call(
            "send_venue",
            cid=cid,
            uid=uid,
            latitude=latitude,
            longitude=longitude,
            title=title,
            address=address,
            **kwargs,
        )

    def send_contact(
        self, cid: int, uid: int, phone_number: str, first_name: str, **kwargs: Any
    ) -> dict:
        """See ``Sandbox.send_contact``."""
        return self.call(
            "send_contact",
            cid=cid,
            uid=uid,
            phone_number=phone_number,
            first_name=first_name,
            **kwargs,
        )

    def share_contact(self, cid: int, uid: int) -> dict:
        """See ``Sandbox.share_contact``."""
        return self.call("share_contact", cid=cid, uid=uid)

    def reply_keyboard(self, cid: int) -> dict | None:
        """See ``Sandbox.reply_keyboard``."""
        return self.call("reply_keyboard", cid=cid)

    def press_button(
        self, cid: int, uid: int, message_id: int, callback_data: str, **kwargs: Any
    ) -> str:
        """See ``Sandbox.press_button``."""
        return self.call(
            "press_button",
            cid=cid,
            uid=uid,
            message_id=message_id,
            callback_data=callback_data,
            **kwargs,
        )

    def callback_answer(self, query_id: str) -> dict | None:
        """See ``Sandbox.callback_answer``."""
        return self.call("callback_answer", query_id=query_id)

    def redeliver(self, update_id: int) -> None:
        """See ``Sandbox.redeliver``."""
        return self.call("redeliver", update_id=update_id)

    def transcript(self, cid: int, thread_id: int | None = None) -> list[dict]:
        """See ``Sandbox.transcript``."""
        return self.call("transcript", cid=cid, thread_id=thread_id)

    def format_transcript(self, cid: int, thread_id: int | None = None) -> str:
        """See ``Sandbox.format_transcript``."""
        return self.call("format_transcript", cid=cid, thread_id=thread_id)

    def topics(self, cid: int) -> list[dict]:
        """See ``Sandbox.topics``."""
        return self.call("topics", cid=cid)

    @property
    def calls(self) -> list[dict]:
        """See ``Sandbox.calls``."""
        return self.call("calls")

    def rate_limited(self, cid: int | None = None) -> int:
        """See ``Sandbox.rate_limited``."""
        return self.call("rate_limited", cid=cid)

    def inject_fault(self, method: str, kind: str = "429", **kwargs: Any) -> None:
        """See ``Sandbox.inject_fault``."""
        return self.call("inject_fault", method=method, kind=kind, **kwargs)

    def pending_updates(self) -> list[dict]:
        """See ``Sandbox.pending_updates``."""
        return self.call("pending_updates")

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05
    ) -> None:
        """Poll ``predicate`` (which may call this client) until true or TimeoutError."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            time.sleep(interval)
