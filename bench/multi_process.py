"""What MULTI_PROCESS costs one process: per-chat inbox leases, the shared group window
and the heartbeat, against the one-process path, side by side in one run.

Each round starts one bot (in this process, long polling against the local Telegram,
limits far above the load so only the machinery is measured), plays `--commands`
commands into each of `--chats` groups at once, and times until every answer is seen.
Rounds alternate between the two modes; the medians and their ratio are printed.
MULTI_PROCESS needs PostgreSQL:

    python bench/multi_process.py --database-url postgresql://postgres@127.0.0.1/kp_bench
        [--chats 4] [--commands 25] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config.deployment import EXAMPLE_FILE, load_deployment  # noqa: E402
from bot.config.logs import configure_logging  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from storage.models import InboxUpdate  # noqa: E402
from tests.e2e.conftest import bot_settings  # noqa: E402
from tests.e2e.helpers import running_bot  # noqa: E402

TOKEN = "424242:BENCH-token"
RATE = (10_000, 1.0)


def _answered(sb: Sandbox, chat: int) -> int:
    return sum(
        1
        for m in sb.transcript(chat)
        if m["from"].get("is_bot") and "未找到乡镇" in (m.get("text") or "")
    )


async def _round(sb: Sandbox, url: str, workdir: Path, multi: bool, chats: int, n: int) -> float:
    admin = sb.create_user("李队长")
    groups = [
        sb.create_chat("supergroup", title=f"村{i}", members=[admin], admins=[admin])
        for i in range(chats)
    ]
    settings = bot_settings(
        sb,
        url,
        workdir / "media",
        token=TOKEN,
        group_rate=RATE,
        SEND_OVERALL_MAX_RATE=RATE[0],
        MULTI_PROCESS=multi,
    )
    async with running_bot(settings, load_deployment(EXAMPLE_FILE)):
        await asyncio.sleep(0.5)  # the poller (elected, in multi mode) is up
        start = time.perf_counter()
        for i in range(n):
            for chat in groups:
                sb.send_text(chat, admin, f"/setup 甲{i}")
        await sb.wait_for(lambda: all(_answered(sb, c) >= n for c in groups), timeout=300)
        return time.perf_counter() - start


async def bench(url: str, chats: int, commands: int, rounds: int, workdir: Path) -> None:
    await upgrade_async(url)
    db = Database(url)
    async with db.session() as session:
        last = (await session.exec(select(func.max(InboxUpdate.update_id)))).one()
    await db.dispose()
    times: dict[bool, list[float]] = {False: [], True: []}
    async with Sandbox(token=TOKEN, group_rate=RATE, global_rate=RATE) as sb:
        # A database used before: ids it has seen would be taken for redeliveries.
        sb.world.next_update_id = max(sb.world.next_update_id, (last or 0) + 1)
        for _ in range(rounds):
            for multi in (False, True):
                times[multi].append(await _round(sb, url, workdir, multi, chats, commands))
        limited = sb.rate_limited()
    one, multi = statistics.median(times[False]), statistics.median(times[True])
    updates = chats * commands
    print(f"{updates} commands ({chats} chats × {commands}) per round, {rounds} rounds each")
    print(f"one process path : median {one:6.2f} s  ({1000 * one / updates:5.1f} ms/update)")
    print(f"MULTI_PROCESS    : median {multi:6.2f} s  ({1000 * multi / updates:5.1f} ms/update)")
    print(f"ratio multi/one  : {multi / one:4.2f}   429s: {limited}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--chats", type=int, default=4)
    parser.add_argument("--commands", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging("WARNING", secrets=[TOKEN])
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        asyncio.run(bench(args.database_url, args.chats, args.commands, args.rounds, Path(tmp)))


if __name__ == "__main__":
    main()
