"""The crash day at full size: 200+ cases, 20+ SIGKILLs of `kuaipei run`, then (with
--faults) the same day under injected Telegram faults. Prints each day's summary and exits
1 when a day lost something or repeated more than the bound allows (docs/architecture.md).

    python -m bench.crash_day [--cases 200] [--kills 24] [--groups 8] [--seed 1]
                              [--faults 0.05] [--processes 1] [--mode polling|webhook]
                              [--database-url URL]

Without --database-url each day gets a fresh SQLite file. --database-url names a
PostgreSQL database the bench WIPES before each day (its public schema is dropped and
recreated; the bot migrates it at start); several --processes need one. A day that fails
keeps its directory (the bot's log at DEBUG, the SQLite file, the media) and prints where.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sandbox import Sandbox
from tests import pg
from tests.e2e.day import MODES, TOKEN, DayConfig, play_day, within_bound


async def wipe_postgres(url: str) -> None:
    """An empty database for the day: the checks count every row of it."""
    from sqlalchemy.engine import make_url

    assert make_url(url).get_backend_name() == "postgresql", "--database-url is PostgreSQL"
    await pg.wipe_schema(url)


async def one_day(config: DayConfig, database_url: str | None, label: str) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="kuaipei-day-"))
    url = database_url or f"sqlite:///{tmp / 'day.db'}"
    if database_url:
        await wipe_postgres(database_url)
    started = time.monotonic()
    try:
        async with Sandbox(token=TOKEN, bot_username="kuaipei_bot", group_rate=(20, 2.0)) as sb:
            report = await play_day(config, sb, tmp, url)
    except BaseException:
        print(f"{label} failed after {time.monotonic() - started:.0f} s; kept {tmp}")  # noqa: T201
        raise
    seconds = time.monotonic() - started
    ok = not report.lost and not report.leaks and within_bound(report) and report.rate_limited == 0
    print(f"{label} ({config.mode}, {seconds:.0f} s): {report.summary()}")  # noqa: T201
    for line in report.lost[:20] + report.duplicate_detail[:20] + report.leaks[:20]:
        print(f"  {line}")  # noqa: T201
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"  kept {tmp}")  # noqa: T201
    return ok


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=float, default=0.0, help="also play the fault day")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--mode", choices=MODES, default="polling")
    parser.add_argument(
        "--min-gap",
        type=float,
        default=2.0,
        help="seconds between two kills, at least (a kill also waits until every process "
        "has come up, so it lands on a process at work)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=120.0,
        help="seconds a script waits for one answer (a restart on a loaded machine is slow)",
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-crash", action="store_true", help="play only the fault day")
    args = parser.parse_args(argv)
    crash = DayConfig(
        cases=args.cases,
        groups=args.groups,
        kills=args.kills,
        seed=args.seed,
        processes=args.processes,
        mode=args.mode,
        min_gap=args.min_gap,
        wait=args.wait,
    )
    ok = True
    if not args.skip_crash:
        ok = await one_day(crash, args.database_url, "crash day")
    if args.faults:
        fault = DayConfig(
            cases=args.cases,
            groups=args.groups,
            kills=0,
            fault_share=args.faults,
            seed=args.seed,
            processes=args.processes,
            mode=args.mode,
            wait=args.wait,
        )
        ok = await one_day(fault, args.database_url, "fault day") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
