"""Fixtures: a started sandbox, a PTB Bot pointed at it, and a small cast of people."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from PIL import Image
from telegram import Bot

from sandbox import Sandbox

TOKEN = "123456:TEST-TOKEN"


def jpeg(width: int = 1200, height: int = 900, color: str = "red") -> bytes:
    """A real JPEG of the given size."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


@dataclass
class Cast:
    """People and chats most tests need."""

    wang: int  # traffic-safety assistant, group admin
    li: int  # insurer adjuster
    forum: int  # forum supergroup
    group: int  # basic group
    plain: int  # non-forum supergroup
    dm: int  # wang's private chat with the bot


@pytest.fixture
async def sb() -> AsyncIterator[Sandbox]:
    """A started sandbox with the default limits."""
    sandbox = Sandbox(token=TOKEN, bot_username="kuaipei_bot")
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


@pytest.fixture
async def bot(sb: Sandbox) -> AsyncIterator[Bot]:
    """PTB's own Bot over its real HTTPXRequest stack."""
    async with Bot(TOKEN, base_url=sb.base_url, base_file_url=sb.file_base_url) as b:
        yield b


@pytest.fixture
def cast(sb: Sandbox) -> Cast:
    """Two people, a forum, a basic group, a plain supergroup and a private chat."""
    wang = sb.create_user("王协理", username="wang")
    li = sb.create_user("李定损", username="li_adjuster", last_name="保险")
    forum = sb.create_chat(
        "supergroup",
        title="花石镇快处群",
        is_forum=True,
        members=[li],
        admins={wang: {"can_manage_topics": True}},
    )
    group = sb.create_chat("group", title="联席办", members=[wang, li])
    plain = sb.create_chat("supergroup", title="石门镇快处群", members=[wang, li])
    dm = sb.create_chat("private", members=[wang])
    return Cast(wang, li, forum, group, plain, dm)
