"""The scripted day at CI size: `kuaipei run` SIGKILLed and restarted, then Telegram faults.

Full size: `python -m bench.crash_day` (README, "What an operator may see after a crash").
"""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox import Sandbox
from tests.e2e.day import DayConfig, DayReport, play_day, within_bound


def _assert_day(report: DayReport) -> None:
    sys.stdout.write(f"\nDAY: {report.summary()}\n")
    assert report.lost == [], report.lost
    assert within_bound(report), report.duplicate_detail
    assert report.rate_limited == 0


async def test_a_day_with_sigkills_ends_as_scripted(sb: Sandbox, database_url: str, tmp_path: Path):
    config = DayConfig(cases=8, groups=4, police_every=4, kills=4, seed=13)
    report = await play_day(config, sb, tmp_path, database_url)
    _assert_day(report)
    assert sum(report.kills.values()) == config.kills, report.kills
    assert report.cases == {"closed": 6, "police": 2}


async def test_a_day_with_telegram_faults_ends_as_scripted(
    sb: Sandbox, database_url: str, tmp_path: Path
):
    config = DayConfig(cases=4, groups=2, police_every=4, kills=0, fault_share=0.08, seed=7)
    report = await play_day(config, sb, tmp_path, database_url)
    _assert_day(report)
    assert sum(report.faults.values()) > 0
    assert report.duplicates <= report.faults["drop_after"]  # only lost answers repeat
