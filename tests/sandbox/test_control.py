"""The HTTP control API (SandboxClient against a threaded sandbox) and the CLI."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from sandbox import Sandbox
from sandbox.client import SandboxClient, SandboxError
from tests.sandbox.conftest import TOKEN, jpeg


def test_client_drives_a_threaded_sandbox() -> None:
    handle = Sandbox(token=TOKEN).run_in_thread()
    try:
        with SandboxClient(handle.control_url) as client:
            assert "send_text" in client.methods()
            wang = client.create_user("王协理", username="wang")
            li = client.create_user("李定损")
            cid = client.create_chat(
                "supergroup",
                title="花石镇快处群",
                is_forum=True,
                members=[li],
                admins={wang: {"can_manage_topics": True}},
            )
            api = f"{handle.base_url}{TOKEN}"
            topic = httpx.post(
                f"{api}/createForumTopic", data={"chat_id": cid, "name": "HS-1"}
            ).json()["result"]
            tid = topic["message_thread_id"]
            assert client.topics(cid)[0]["name"] == "HS-1"
            msg = client.send_text(cid, wang, "/case 湘C1", thread_id=tid)
            assert msg["is_topic_message"] and msg["entities"][0]["type"] == "bot_command"
            photo = client.send_photo(cid, wang, jpeg(400, 300), caption="现场")
            assert photo["photo"][-1]["width"] == 400
            album = client.send_album(cid, li, [jpeg(), jpeg()], thread_id=tid)
            assert album[0]["media_group_id"] == album[1]["media_group_id"]
            sent = httpx.post(
                f"{api}/sendMessage",
                data={
                    "chat_id": cid,
                    "text": "卡片",
                    "message_thread_id": tid,
                    "reply_markup": '{"inline_keyboard":[[{"text":"同意","callback_data":"ok"}]]}',
                },
            )
            mid = sent.json()["result"]["message_id"]
            qid = client.press_button(cid, li, mid, "ok")
            assert client.callback_answer(qid) is None
            assert len(client.pending_updates()) == 5
            client.inject_fault("sendMessage", kind="500")
            assert (
                httpx.post(f"{api}/sendMessage", data={"chat_id": cid, "text": "x"}).status_code
                == 500
            )
            assert client.rate_limited() == 0
            assert [c["method"] for c in client.calls][-1] == "sendMessage"
            lines = client.format_transcript(cid, tid)
            assert "[花石镇快处群 › HS-1]" in lines and "[同意]" in lines
            assert len(client.transcript(cid, tid)) == 5
            with pytest.raises(SandboxError, match="no user"):
                client.send_text(cid, 42, "x")
            # the same handle answers control calls directly, in its own loop
            assert handle.transcript(cid)[-1]["text"] == "卡片"
    finally:
        handle.stop()


def test_cli_prints_urls_and_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "from sandbox.cli import main; main()"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline().strip() for _ in range(5)]  # type: ignore[union-attr]
        values = dict(line.split("=", 1) for line in lines[:4])
        assert values["TELEGRAM_BOT_TOKEN"] == "123456:SANDBOX-TOKEN"
        base = values["TELEGRAM_API_BASE_URL"]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/bot")
        assert values["TELEGRAM_FILE_BASE_URL"] == base.replace("/bot", "/file/bot")
        me = httpx.post(f"{base}123456:SANDBOX-TOKEN/getMe").json()
        assert me["result"]["username"] == "kuaipei_bot"
        assert httpx.get(values["SANDBOX_CONTROL_URL"]).json()["ok"] is True
    finally:
        proc.terminate()
        assert proc.wait(5) == 0
