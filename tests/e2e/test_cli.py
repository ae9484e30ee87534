"""The console commands a new user runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KUAIPEI_"))}
    env.update(extra)
    return env


def test_kuaipei_sandbox_prints_its_base_urls():
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.compose.cli", "sandbox"],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    joined = "".join(lines)
    assert "TELEGRAM_API_BASE_URL=http://127.0.0.1:" in joined
    assert "/bot" in joined


def test_kuaipei_migrate_creates_the_schema(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot.compose.cli", "migrate"],
        env=_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    import sqlite3

    tables = {
        r[0]
        for r in sqlite3.connect(tmp_path / "m.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {"accident_case", "inbox_update", "outbox", "alembic_version"} <= tables


def test_kuaipei_demo_plays_the_scene():
    result = subprocess.run(
        [sys.executable, "-m", "bot.compose.cli", "demo", "--quiet"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    # One accident from photos to payout, then the plain and the unregistered group.
    assert "照片：9 张" in out and "请审核 HS-" in out and "🏁 HS-" in out and "状态：已结案" in out
    assert "请核对后确认" in out  # the driver's private chat
    assert "SB-" in out and "本群尚未登记" in out and "只有群管理员" in out
