"""The crash day at full size: 200+ cases, 20+ SIGKILLs of `kuaipei run`, then (with
--faults) the same day under injected Telegram faults. Prints each day's summary and exits
1 when a day lost something or repeated more than the bound allows (docs/architecture.md).

    python -m bench.crash_day [--cases 200] [--kills 24] [--groups 8] [--seed 1]
                              [--faults 0.05] [--processes 1] [--database-url URL]

Without --database-url each day gets a fresh SQLite file; several --processes need a
PostgreSQL database (DATABASE_URL of an empty database, which the day fills).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sandbox import Sandbox
from tests.e2e.day import TOKEN, DayConfig, play_day, within_bound


async def one_day(config: DayConfig, database_url: str | None, label: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="kuaipei-day-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'day.db'}"
        started = time.monotonic()
        async with Sandbox(token=TOKEN, bot_username="kuaipei_bot", group_rate=(20, 2.0)) as sb:
            report = await play_day(config, sb, Path(tmp), url)
        seconds = time.monotonic() - started
    ok = not report.lost and within_bound(report) and report.rate_limited == 0
    print(f"{label} ({seconds:.0f} s): {report.summary()}")  # noqa: T201
    for line in report.lost[:20] + report.duplicate_detail[:20]:
        print(f"  {line}")  # noqa: T201
    return ok


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--groups", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=float, default=0.0, help="also play the fault day")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    crash = DayConfig(
        cases=args.cases,
        groups=args.groups,
        kills=args.kills,
        seed=args.seed,
        processes=args.processes,
    )
    ok = await one_day(crash, args.database_url, "crash day")
    if args.faults:
        fault = DayConfig(
            cases=args.cases,
            groups=args.groups,
            kills=0,
            fault_share=args.faults,
            seed=args.seed,
            processes=args.processes,
        )
        ok = await one_day(fault, args.database_url, "fault day") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
