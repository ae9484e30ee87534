"""`kuaipei demo`: the bot against the local Telegram, a short scene, the transcript.

Everything is local: a Bot API server on a free loopback port, a fresh SQLite
database in a temporary folder, the example deployment file, synthetic photos.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from bot.deployment import EXAMPLE_FILE, load_deployment
from bot.images import scene_photo
from bot.logs import configure_logging
from bot.settings import Settings
from sandbox import Sandbox

DEMO_TOKEN = "123456:DEMO-kuaipei-local-token"
# The local Telegram runs Telegram's per-group limit on a 6 s window instead of 60 s
# so the scene fits in seconds; the bot is told the same window.
GROUP_WINDOW = 6.0


async def _settled(sb: Sandbox, chats: list[int], quiet: float = 1.5, limit: float = 40.0) -> None:
    """Wait until the bot has said nothing new for `quiet` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    last, since = -1, loop.time()
    while loop.time() < deadline:
        count = sum(1 for c in sb.calls if c["method"] != "getUpdates")
        if count != last:
            last, since = count, loop.time()
        elif loop.time() - since >= quiet:
            return
        await asyncio.sleep(0.2)
    del chats


async def play(workdir: Path, quiet: bool = False) -> str:
    """Play the demo scene and return the printed transcript."""
    from bot.app import build_runtime
    from storage.migrate import upgrade_async

    async with Sandbox(
        token=DEMO_TOKEN, bot_username="kuaipei_bot", group_rate=(20, GROUP_WINDOW)
    ) as sb:
        chief = sb.create_user("李队长", username="li_dz")
        wang = sb.create_user("王协理", username="wang_xl")
        zhao = sb.create_user("赵师傅", username="zhao_sf")
        forum = sb.create_chat(
            "supergroup",
            title="花石镇快处快赔群",
            is_forum=True,
            members=[chief, wang, zhao],
            admins=[chief],
        )
        plain = sb.create_chat(
            "supergroup", title="射埠镇快处群", members=[chief, wang, zhao], admins=[chief]
        )
        stray = sb.create_chat("group", title="村民闲聊群", members=[wang, zhao])

        db_url = f"sqlite:///{workdir / 'kuaipei-demo.db'}"
        await upgrade_async(db_url)
        settings = Settings(
            TELEGRAM_BOT_TOKEN=DEMO_TOKEN,
            TELEGRAM_API_BASE_URL=sb.base_url,
            TELEGRAM_FILE_BASE_URL=sb.file_base_url,
            DATABASE_URL=db_url,
            MEDIA_DIR=workdir / "media",
            SEND_GROUP_PERIOD_SECONDS=GROUP_WINDOW,
        )
        runtime = build_runtime(settings, load_deployment(EXAMPLE_FILE), poll_timeout=1)
        await runtime.start()
        try:
            sb.send_text(forum, zhao, "/setup 花石镇")  # not an admin: politely refused
            sb.send_text(forum, chief, "/setup 花石镇")
            sb.send_text(plain, chief, "/setup 射埠")
            await _settled(sb, [forum, plain])
            album = sb.send_album(
                forum, wang, [scene_photo(i) for i in range(4)], caption="花石镇S208线追尾，两车"
            )
            sb.send_photo(plain, wang, scene_photo(7), caption="射埠镇路口刮擦")
            sb.send_photo(stray, wang, scene_photo(9))
            await _settled(sb, [forum, plain, stray])
            topic = album[0].get("message_thread_id")
            topics = sb.topics(forum)
            if topics:
                topic = topics[-1]["message_thread_id"]
            sb.send_photo(forum, wang, scene_photo(5), caption="碰撞部位特写", thread_id=topic)
            await _settled(sb, [forum])
        finally:
            await runtime.stop()
        parts = [sb.format_transcript(chat) for chat in (forum, plain, stray)]
        limited = sb.rate_limited()
    text = "\n\n".join(parts)
    if not quiet:
        text += f"\n\n(429s drawn from the local Telegram's limits: {limited})"
    return text


def run_demo(quiet: bool = False) -> int:
    """Run the demo and print its transcript; exit code 0 on success."""
    configure_logging("WARNING", secrets=[DEMO_TOKEN])
    logging.getLogger("bot").setLevel(logging.WARNING if quiet else logging.INFO)
    with tempfile.TemporaryDirectory(prefix="kuaipei-demo-") as tmp:
        print(asyncio.run(play(Path(tmp), quiet=quiet)))
    return 0
