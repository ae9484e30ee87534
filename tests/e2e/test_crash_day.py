"""The scripted day at CI size: `kuaipei run` SIGKILLed and restarted (polling, then
webhook), then Telegram faults.

Full size: `python -m bench.crash_day` (README, "What an operator may see after a crash").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sandbox import Sandbox
from tests.e2e.day import TOKEN, DayConfig, DayReport, check_log, play_day, within_bound

SHARED = bool(os.environ.get("TEST_DATABASE_URL"))


def _assert_day(report: DayReport) -> None:
    sys.stdout.write(f"\nDAY: {report.summary()}\n")
    assert report.lost == [], report.lost
    assert report.leaks == [], report.leaks
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


async def test_a_webhook_day_with_sigkills_ends_as_scripted(
    sb: Sandbox, database_url: str, tmp_path: Path
):
    # Killed while a push is in flight: an update the process could not take is pushed
    # again (to the restarted process, or by the front to the other one), one stored
    # before its 200 is replayed from the inbox. Every planned moment is taken at its
    # first chance: mid-album in the first case, so the album's later parts are pushed at
    # a dead process. On PostgreSQL two processes share the day behind one address
    # (MULTI_PROCESS); SQLite has one writer, so one process plays it there.
    processes = 2 if SHARED else 1
    config = DayConfig(
        cases=4,
        groups=2,
        police_every=4,
        kills=3,
        seed=5,
        mode="webhook",
        kill_chance=1.0,
        processes=processes,
    )
    report = await play_day(config, sb, tmp_path, database_url)
    _assert_day(report)
    assert sum(report.kills.values()) == config.kills, report.kills
    assert sb.feed.webhook_attempts, "the updates came by webhook"
    assert len(report.served) == processes, report.served  # every process took pushes
    cut = {a["status"] for a in sb.feed.webhook_attempts} & {None, 500, 502}
    assert cut or report.pushes_cut_off, "no push was cut off"


def test_the_log_check_finds_the_token_a_phone_and_a_name(tmp_path: Path):
    log = tmp_path / "bot.log"
    clean = "2026-12-01 10:00:00 DEBUG telegram.ext.ExtBot: Calling Bot API endpoint"
    log.write_text(
        "\n".join(
            [
                clean,
                f"INFO bot: POST /bot{TOKEN.replace(':', '%3A')}/sendMessage",
                "INFO bot.parties: 甲 13800000002",
                "INFO bot.parties: 驾驶人 李三",
                "INFO bot.parties: plate <plate>, phone <phone>",
            ]
        ),
        encoding="utf-8",
    )
    report = DayReport()
    check_log(log, DayConfig(cases=3), report)
    assert report.log_lines == 5
    assert [line.split(" holds")[0] for line in report.leaks] == [
        "bot.log:2",
        "bot.log:3",
        "bot.log:4",
    ]
    log.write_text(clean.replace("DEBUG", "INFO"), encoding="utf-8")
    quiet = DayReport()
    check_log(log, DayConfig(cases=3), quiet)
    assert quiet.leaks and "no DEBUG line" in quiet.leaks[0]
