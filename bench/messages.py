"""Messages per standard case, for `python -m bench` (its `messages` section) or alone.

Plays the standard case of tests/e2e/test_message_budget.py (two cars, one album, two
insurers of which one pays under 无责代赔, one payout, a forum group) through
bench/quiet_cases.py's player, once, on a short flood window (20 calls per 2 s, as the
e2e tests use: the count of calls does not depend on the window, only the wall time), and
reports the group's new messages, edits and topic/pin calls and the private messages
against the figures before the quiet threads (docs/architecture.md, "Quiet threads").
Unless `--quick`, it then plays 4 cases a minute in one group under Telegram's real
limit (bench/quiet_cases.py's default, about seven minutes) and reports the cases a
minute achieved, the 429s drawn and the waits over 2 s.

    python bench/messages.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import quiet_cases  # noqa: E402
from bot.config.logs import configure_logging  # noqa: E402

Row = tuple[str, str, str, str]
# The standard case before the quiet threads, as measured then (docs/architecture.md):
# group new messages, group edits, group topic/pin calls.
BEFORE = {"new": 16, "edit": 21, "topic/pin": 4}
FAST_WINDOW = (20, 2.0)
RATE = 4.0  # standard cases a minute the group should carry
CASES = 4


def _play(cases: int, rate: float, group_rate: tuple[int, float]) -> dict[str, Any]:
    configure_logging("WARNING", secrets=[quiet_cases.TOKEN])
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        return asyncio.run(
            quiet_cases.bench(cases, rate, None, Path(tmp), group_rate=group_rate, quiet=True)
        )


def _change(before: float, now: float) -> str:
    return f"{now - before:+.0f} ({now / before:.2f}×)" if before else ""


def rows(quick: bool) -> list[Row]:
    """The section's rows: (measure, before, Kuaipei, change)."""
    one = _play(1, 60.0, FAST_WINDOW)
    group, private = one["group"], one["private"]
    out: list[Row] = [
        (
            f"standard case, group: new messages (before / now){' — quick' if quick else ''}",
            str(BEFORE["new"]),
            f"{group['new']:.0f}",
            _change(BEFORE["new"], group["new"]),
        ),
        (
            "standard case, group: edits",
            str(BEFORE["edit"]),
            f"{group['edit']:.0f}",
            _change(BEFORE["edit"], group["edit"]),
        ),
        (
            "standard case, group: topic/pin calls",
            str(BEFORE["topic/pin"]),
            f"{group['topic/pin']:.0f}",
            _change(BEFORE["topic/pin"], group["topic/pin"]),
        ),
        (
            "standard case, group: calls of its 20 a minute",
            str(sum(BEFORE.values())),
            f"{sum(group.values()):.0f}",
            f"≤ {20 / sum(group.values()):.2f} cases/min",
        ),
        ("standard case, private: new messages", "", f"{private['new']:.0f}", ""),
    ]
    if quick:
        return out
    many = _play(CASES, RATE, (20, 60.0))
    worst, what, n = many["max_wait"]
    out += [
        (
            f"{CASES} cases at {RATE:g}/min in one group: cases/min achieved",
            "",
            f"{many['cases_per_min']:.2f}",
            f"{many['limited']} 429s",
        ),
        (
            f"{CASES} cases at {RATE:g}/min: waits for the bot over 2 s",
            "",
            f"{many['over_2s']} of {many['waits']}",
            f"max {worst:.1f} s ({what}, case {n + 1})",
        ),
    ]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the one standard case only")
    args = parser.parse_args()
    from bench.__main__ import table

    print(table(rows(args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
