"""`kuaipei --help` and each command's help say what it does and what it reads."""

from __future__ import annotations

import pytest

from bot.compose.cli import main
from bot.config.settings import Settings


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_the_overview_names_every_command_and_what_it_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _help(capsys)
    assert "快处快赔" in out
    for command, words in {
        "run": "polling or webhook",
        "migrate": "database schema",
        "demo": "photos to payout",
        "sandbox": "local Telegram",
    }.items():
        line = next((line for line in out.splitlines() if line.strip().startswith(command)), "")
        assert words in line, (command, out)
    assert ".env" in out


def test_run_names_every_setting_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    out = _help(capsys, "run")
    assert "SIGTERM" in out and "token is rejected" in out
    aliases = [field.alias for field in Settings.model_fields.values()]
    missing = [name for name in aliases if name and name not in out]
    assert missing == []


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("migrate", ["DATABASE_URL", "LOG_LEVEL"]),
        ("demo", ["TIMEZONE", "LANGUAGE", "No token"]),
        ("sandbox", ["TELEGRAM_API_BASE_URL", "--port", "--token", "Reads no settings"]),
    ],
)
def test_each_command_says_what_it_reads(
    capsys: pytest.CaptureFixture[str], command: str, names: list[str]
) -> None:
    out = _help(capsys, command)
    assert [name for name in names if name not in out] == []
