"""Album latency: first photo → card visible, last photo → card shows the final count.

Runs the bot against the local Telegram with Telegram's real flood limits (20 per
minute per group, 30 per second overall) and a fresh SQLite database. Each of N
township groups (forum supergroups) receives one album, one after another; the
script watches the groups' transcripts every few milliseconds, as a person's
phone would, and prints the medians and the spread.

    python bench/album_latency.py [--albums 20] [--photos 6] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config.deployment import EXAMPLE_FILE, load_deployment  # noqa: E402
from bot.config.logs import configure_logging  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from sandbox.photos import scene_photo  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from tests.e2e.conftest import bot_settings  # noqa: E402
from tests.e2e.helpers import cards, running_bot, text_of  # noqa: E402

TOKEN = "424242:BENCH-token"


async def _watch(
    sb: Sandbox, chat: int, photos: int, timeout: float = 120.0
) -> tuple[float, float]:
    """Return the times at which the card appeared and showed the final count."""
    appeared = final = None
    deadline = time.perf_counter() + timeout
    while final is None:
        card = next(iter(cards(sb, chat)), None)
        now = time.perf_counter()
        if card is not None and appeared is None:
            appeared = now
        if card is not None and f"照片：{photos} 张" in card["text"]:
            final = now
        if now > deadline:
            raise TimeoutError(f"chat {chat}: card not complete after {timeout} s")
        await asyncio.sleep(0.002)
    assert appeared is not None
    return appeared, final


async def bench(
    albums: int, photos: int, database_url: str | None, workdir: Path, quiet: bool = False
) -> dict[str, float]:
    """Run the albums; print the figures (unless quiet) and return them (ms, 429s)."""
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    await upgrade_async(url)
    async with Sandbox(token=TOKEN, bot_username="kuaipei_bot") as sb:
        admin = sb.create_user("李队长")
        assistant = sb.create_user("王协理")
        groups = [
            sb.create_chat(
                "supergroup",
                title=f"第{i + 1}组",
                is_forum=True,
                members=[admin, assistant],
                admins=[admin],
            )
            for i in range(albums)
        ]
        settings = bot_settings(
            sb, url, workdir / "media", token=TOKEN, group_rate=None, card_settle=None
        )
        async with running_bot(settings, load_deployment(EXAMPLE_FILE)):
            for chat in groups:
                sb.send_text(chat, admin, "/setup 花石镇")
            await sb.wait_for(
                lambda: all(any("已登记" in text_of(m) for m in sb.transcript(c)) for c in groups),
                timeout=60,
            )
            images = [scene_photo(i) for i in range(photos)]
            first_to_card, last_to_final = [], []
            for chat in groups:
                t_first = time.perf_counter()
                # An album reaches the bot as separate updates; post them as the client does.
                sb.send_album(chat, assistant, images)
                t_last = time.perf_counter()
                appeared, final = await _watch(sb, chat, photos)
                first_to_card.append(appeared - t_first)
                last_to_final.append(final - t_last)
        limited = sb.rate_limited()
    ms = [1000 * x for x in first_to_card]
    ms2 = [1000 * x for x in last_to_final]
    figures = {
        "first_to_card_ms": statistics.median(ms),
        "last_to_final_ms": statistics.median(ms2),
        "limited": float(limited),
    }
    if quiet:
        return figures
    print(f"albums: {albums} × {photos} photos, database: {url.split(':', 1)[0]}")
    print(
        f"first photo → card visible:       median {statistics.median(ms):7.1f} ms"
        f"   min {min(ms):6.1f}   max {max(ms):6.1f}"
    )
    print(
        f"last photo → card shows {photos} photos: median {statistics.median(ms2):7.1f} ms"
        f"   min {min(ms2):6.1f}   max {max(ms2):6.1f}"
    )
    print(f"429s drawn from the limits: {limited}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--albums", type=int, default=20)
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    configure_logging("WARNING", secrets=[TOKEN])
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        asyncio.run(bench(args.albums, args.photos, args.database_url, Path(tmp)))


if __name__ == "__main__":
    main()
