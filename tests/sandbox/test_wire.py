"""The raw wire protocol: envelopes, body encodings, file URLs."""

from __future__ import annotations

import json

import aiohttp

from sandbox import Sandbox
from tests.sandbox.conftest import TOKEN, Cast, jpeg


async def test_envelopes(sb: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sb.base_url}{TOKEN}/getMe") as resp:  # empty body
            body = await resp.json()
            assert resp.status == 200 and body["ok"] is True
            assert body["result"]["username"] == "kuaipei_bot"
        async with http.post(f"{sb.base_url}999:NOPE/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{sb.base_url}{TOKEN}/fooBar") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(f"{sb.base_url}{TOKEN}/getme") as resp:  # case-insensitive
            assert resp.status == 200


async def test_json_and_form_bodies(sb: Sandbox, cast: Cast) -> None:
    markup = {"inline_keyboard": [[{"text": "同意", "callback_data": "ok"}]]}
    async with aiohttp.ClientSession() as http:
        url = f"{sb.base_url}{TOKEN}/sendMessage"
        async with http.post(
            url, json={"chat_id": cast.dm, "text": "json", "reply_markup": markup}
        ) as resp:
            assert (await resp.json())["result"]["reply_markup"] == markup
        form = {"chat_id": str(cast.dm), "text": "form", "reply_markup": json.dumps(markup)}
        async with http.post(url, data=form) as resp:
            assert (await resp.json())["result"]["text"] == "form"
        async with http.post(url, data={"chat_id": str(cast.dm)}) as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == "Bad Request: message text is empty"
        async with http.post(url, data={"text": "x"}) as resp:
            assert (await resp.json())["description"] == "Bad Request: chat_id is empty"


async def test_file_url_with_quoted_token(sb: Sandbox, cast: Cast) -> None:
    msg = sb.send_photo(cast.dm, cast.wang, jpeg(50, 40))
    file_id = msg["photo"][-1]["file_id"]
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sb.base_url}{TOKEN}/getFile", data={"file_id": file_id}) as r:
            path = (await r.json())["result"]["file_path"]
        quoted = TOKEN.replace(":", "%3A")
        async with http.get(f"{sb.file_base_url}{quoted}/{path}") as resp:
            assert resp.status == 200 and await resp.read() == jpeg(50, 40)
        async with http.get(f"{sb.file_base_url}{quoted}/photos/none.jpg") as resp:
            assert resp.status == 404
        async with http.get(f"{sb.file_base_url}1%3Awrong/{path}") as resp:
            assert resp.status == 401


async def test_call_log(sb: Sandbox, cast: Cast) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(
            f"{sb.base_url}{TOKEN}/sendMessage", data={"chat_id": str(cast.dm), "text": "记录"}
        )
    call = sb.calls[-1]
    assert call["method"] == "sendMessage" and call["status"] == 200
    assert call["params"] == {"chat_id": str(cast.dm), "text": "记录"}
    assert isinstance(call["at"], float) and call["result"]["text"] == "记录"
