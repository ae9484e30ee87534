"""What an operator sees when a setting is wrong or Telegram refuses or cannot be reached."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WRONG_TOKEN = "7012345678:AAwrong-token-the-sandbox-does-not-know"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "KUAIPEI_", "DATABASE_", "LOG_", "SEND_"))
        and k not in ("TIMEZONE", "LANGUAGE")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'k.db'}",
        MEDIA_DIR=str(tmp_path / "media"),
        TELEGRAM_BOT_TOKEN="123:settings-test-token",
        PYTHONPATH=str(REPO),  # the commands run in tmp_path, away from any .env
    )
    env.update(extra)
    return env


def _kuaipei(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.compose.cli", *args],
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def sandbox_urls() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.cli"],
        stdout=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
    )
    try:
        urls = {}
        for _ in range(4):
            line = proc.stdout.readline().strip()  # type: ignore[union-attr]
            name, _, value = line.partition("=")
            urls[name] = value
        yield urls
    finally:
        proc.terminate()
        proc.wait(timeout=10)


REJECTED = "Telegram rejected the token (TELEGRAM_BOT_TOKEN); check it with @BotFather"


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_a_rejected_token_is_one_line_and_never_printed(
    tmp_path: Path, sandbox_urls: dict[str, str], level: str
) -> None:
    result = _kuaipei(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=WRONG_TOKEN,
        TELEGRAM_API_BASE_URL=sandbox_urls["TELEGRAM_API_BASE_URL"],
        TELEGRAM_FILE_BASE_URL=sandbox_urls["TELEGRAM_FILE_BASE_URL"],
        LOG_LEVEL=level,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    secret = WRONG_TOKEN.split(":")[1]
    assert secret not in output and secret.replace(":", "%3A") not in output
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if REJECTED in line] != []
    assert sum(REJECTED in line for line in output.splitlines()) == 1
    if level == "INFO":
        assert result.stderr.splitlines() == [REJECTED]


BAD_SETTINGS = [
    ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ({"DATABASE_URL": "mysql://root@localhost/kuaipei"}, "DATABASE_URL"),
    ({"TIMEZONE": "Mars/Base"}, "TIMEZONE"),
    ({"LANGUAGE": "fr"}, "LANGUAGE"),
    ({"SEND_GROUP_MAX_RATE": "twenty"}, "SEND_GROUP_MAX_RATE"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"LOG_SQL": "maybe"}, "LOG_SQL"),
]


@pytest.mark.parametrize(("settings", "name"), BAD_SETTINGS, ids=[n for _, n in BAD_SETTINGS])
@pytest.mark.parametrize("command", ["run", "migrate"])
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, settings: dict[str, str], name: str, command: str
) -> None:
    result = _kuaipei(tmp_path, command, **settings)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert "settings-test-token" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["run", "migrate"])
def test_a_postgresql_that_does_not_answer_is_one_line(tmp_path: Path, command: str) -> None:
    result = _kuaipei(
        tmp_path, command, DATABASE_URL="postgresql://kuaipei:s3cret-pw@127.0.0.1:9/kuaipei"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "DATABASE_URL" in lines[0] and "127.0.0.1:9" in lines[0]
    assert "s3cret-pw" not in result.stderr


def test_telegram_unreachable_at_start_is_retried_with_one_line_warnings(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.compose.cli", "run"],
        env=_env(
            tmp_path,
            TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
            TELEGRAM_FILE_BASE_URL="http://127.0.0.1:9/file/bot",
        ),
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stderr.readline() for _ in range(2)]  # type: ignore[union-attr]
        assert proc.poll() is None, "kuaipei run gave up instead of retrying"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert all("Telegram is unreachable" in line and "retrying" in line for line in lines), lines
    assert "Traceback" not in "".join(lines) + err
    assert "settings-test-token" not in "".join(lines) + out + err
    assert proc.returncode == 0


def test_run_refuses_the_shipped_example_against_the_real_telegram(tmp_path: Path) -> None:
    # No kuaipei.yaml here and no KUAIPEI_CONFIG: the shipped example would be used, and
    # its made-up people would be pinged in real groups.
    result = _kuaipei(tmp_path, "run")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "shipped example" in lines[0] and "--example-ok" in lines[0]
    assert "settings-test-token" not in result.stdout + result.stderr
