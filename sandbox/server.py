"""The HTTP face of the sandbox: Bot API, file downloads and the control API (aiohttp.web)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from typing import Any, Protocol
from urllib.parse import unquote

from aiohttp import web

from sandbox.faults import FaultInjector
from sandbox.rules import ApiError, Params, Upload
from sandbox.world import World


class Sandbox(Protocol):
    """What the HTTP front needs of the sandbox it serves (sandbox/core.py's `Sandbox`)."""

    token: str
    world: World
    faults: FaultInjector
    CONTROL_METHODS: frozenset[str]

    def method(self, name: str) -> tuple[str | None, Any]: ...

    def control_call(self, name: str, kwargs: dict[str, Any]) -> Any: ...


log = logging.getLogger(__name__)
MAX_BODY = 60 * 1024 * 1024
SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("sandbox")
BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0"
    b"</center>\r\n</body>\r\n</html>\r\n"
)


def build_app(sandbox: Sandbox) -> web.Application:
    """The aiohttp application serving one sandbox."""
    app = web.Application(client_max_size=MAX_BODY)
    app[SANDBOX_KEY] = sandbox
    app.router.add_route("*", "/bot{token}/{method}", handle_api)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
    app.router.add_get("/control", handle_control_index)
    app.router.add_route("*", "/control/{name}", handle_control)
    return app


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string and an urlencoded, multipart, JSON or empty body."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    ctype = request.content_type
    if request.can_read_body:
        if ctype == "application/json":
            try:
                body = await request.json()
            except json.JSONDecodeError:
                raise ApiError(400, "Bad Request: can't parse JSON object") from None
            if isinstance(body, dict):
                values.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    values[key] = value
        else:
            await request.read()
    return Params(values, files)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without an answer."""
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError


async def handle_api(request: web.Request) -> web.StreamResponse:
    """``/bot<token>/<method>``."""
    sb = request.app[SANDBOX_KEY]
    token = unquote(request.match_info["token"])
    if token != sb.token:
        return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    name = request.match_info["method"]
    method, impl = sb.method(name)
    entry: dict[str, Any] = {
        "method": method or name,
        "params": {},
        "status": None,
        "at": time.time(),
    }
    sb.world.calls.append(entry)
    if method is None or impl is None:
        entry["status"] = 404
        return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    try:
        params = await read_params(request)
    except ApiError as exc:
        entry["status"] = exc.status
        return _json(exc.to_json(), exc.status)
    entry["params"] = params.public()
    fault = sb.faults.take(method or name, entry["params"])
    if fault is not None:
        entry["fault"] = fault.kind
        if fault.kind == "drop":
            entry["status"] = "dropped"
            return _drop(request)
        if fault.kind == "429":
            entry["status"] = 429
            return _json(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {fault.retry_after}",
                    "parameters": {"retry_after": fault.retry_after},
                },
                429,
            )
        if fault.kind == "500":
            entry["status"] = 500
            return _json(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500
            )
        if fault.kind == "502":
            entry["status"] = 502
            return web.Response(body=BAD_GATEWAY_HTML, status=502, content_type="text/html")
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
    try:
        result = impl(params)
        if inspect.isawaitable(result):
            result = await result
        status, body = 200, {"ok": True, "result": result}
    except ApiError as exc:
        status, body = exc.status, exc.to_json()
    entry["status"] = status
    if status == 200:
        entry["result"] = body["result"]
    else:
        entry["description"] = body["description"]
    if fault is not None and fault.kind == "drop_after":
        entry["status"] = "dropped"
        return _drop(request)
    return _json(body, status)


async def handle_file(request: web.Request) -> web.StreamResponse:
    """``/file/bot<token>/<file_path>`` (path URL-unquoted; the token colon arrives as %3A)."""
    sb = request.app[SANDBOX_KEY]
    if unquote(request.match_info["token"]) != sb.token:
        return _json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
    stored = sb.world.files_by_path.get(unquote(request.match_info["path"]))
    if stored is None:
        return _json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    return web.Response(body=stored.data, content_type="application/octet-stream")


async def handle_control_index(request: web.Request) -> web.Response:
    """``GET /control``: the control methods available over HTTP."""
    sb = request.app[SANDBOX_KEY]
    return _json({"ok": True, "result": sorted(sb.CONTROL_METHODS)})


async def handle_control(request: web.Request) -> web.Response:
    """``POST /control/<name>`` with JSON keyword arguments; answers ``{"ok", "result"}``."""
    sb = request.app[SANDBOX_KEY]
    name = request.match_info["name"]
    kwargs: dict[str, Any] = {}
    if request.can_read_body:
        try:
            kwargs = await request.json()
        except json.JSONDecodeError:
            return _json({"ok": False, "error": "body must be a JSON object"}, 400)
    if name not in sb.CONTROL_METHODS:
        return _json({"ok": False, "error": f"unknown control method {name!r}"}, 404)
    try:
        result = sb.control_call(name, kwargs or {})
        if inspect.isawaitable(result):
            result = await result
    except (ValueError, KeyError, TypeError, LookupError, TimeoutError) as exc:
        return _json({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)
    return _json({"ok": True, "result": result})
