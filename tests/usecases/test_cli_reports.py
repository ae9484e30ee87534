"""`kuaipei digest` and `kuaipei export` read the bot's database: the same figures and
rows as the liaison office gets in chat, one line on stderr for a bad argument."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from pathlib import Path

from bot.config.deployment import EXAMPLE_FILE
from bot.kernel.services import Services
from tests.factories import make_case, make_group


async def _kuaipei(database_url: str, tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KUAIPEI_CONFIG": str(EXAMPLE_FILE),
        "MEDIA_DIR": str(tmp_path / "media"),
    }
    env.pop("TELEGRAM_BOT_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.compose.cli",
        *argv,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_digest_and_export_from_the_command_line(
    svc: Services, database_url: str, tmp_path: Path
):
    await make_group(svc)
    for _ in range(3):
        await make_case(svc, status="collecting")
    await svc.db.dispose()  # the commands open the database themselves

    code, out, err = await _kuaipei(database_url, tmp_path, "digest", "--date", "2026-11-30")
    assert code == 0, err
    assert "联席办日报 · 2026-11-30" in out and "开案 3 · 结案 0" in out
    assert "<b>" not in out  # printed as plain text

    target = tmp_path / "nov.csv"
    code, out, err = await _kuaipei(
        database_url,
        tmp_path,
        "export",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "csv",
        "--out",
        str(target),
    )
    assert code == 0, err
    assert "3 cases written" in err
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 1 + 3 and rows[0][0] == "案件编号"

    code, out, err = await _kuaipei(
        database_url, tmp_path, "export", "--from", "2026-11-31", "--to", "2026-11-30", "--out", "x"
    )
    assert code == 2 and err.strip().splitlines() == ["dates are YYYY-MM-DD: 2026-11-31 2026-11-30"]
