"""`kuaipei check` finds every problem at once, one line each, with the file's line where
the file says it, and never shows the token."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.compose.preflight import check
from bot.config.deployment import EXAMPLE_FILE
from storage.migrate import upgrade

TOKEN = "123456789:AAEhBP0av18xSAD5ZyzWbzzBmXr7c4AaAaA"
TODAY = date(2026, 6, 1)
# chinese-calendar knows 2026 but not 2027: a day of 2026 shows the missing next year.


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    upgrade(url)
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "KUAIPEI_CONFIG": str(EXAMPLE_FILE),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _with_calendar_listed(tmp_path: Path, change: object = None) -> Path:
    data = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
    data["sla"]["listed_years"] = [2027]
    if callable(change):
        change(data)
    path = tmp_path / "kuaipei.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_ready_deployment_has_nothing_to_report(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KUAIPEI_CONFIG", str(_with_calendar_listed(env)))
    assert check(TODAY) == []


def test_the_missing_holiday_year_is_reported(env: Path):
    found = check(TODAY)
    assert len(found) == 1 and "no holiday data for 2027" in found[0]


def test_a_bad_token_and_webhook_are_named_but_never_shown(
    env: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("KUAIPEI_CONFIG", str(_with_calendar_listed(env)))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-secret-value")
    monkeypatch.setenv("WEBHOOK_URL", "http://bot.example.org/hook")
    found = check(TODAY)
    assert any("TELEGRAM_BOT_TOKEN does not look like a bot token" in line for line in found)
    assert any("WEBHOOK_URL must be an https://" in line for line in found)
    assert any("WEBHOOK_SECRET must be set" in line for line in found)
    assert not any("not-a-token-secret-value" in line for line in found)


def test_several_file_problems_at_once_with_their_lines(env: Path, monkeypatch: pytest.MonkeyPatch):
    def spoil(data: dict) -> None:
        data["people"][2]["on_duty"] = ["25:00-08:00"]
        data["townships"][1]["lat"] = "north"
        data["liaison_chats"] = [{"chat_id": -100123, "townships": ["NOWHERE"]}]

    path = _with_calendar_listed(env, spoil)
    monkeypatch.setenv("KUAIPEI_CONFIG", str(path))
    found = check(TODAY)
    lines = path.read_text(encoding="utf-8").splitlines()
    located = [
        line for line in found if line.startswith(f"{path}:") and line.split(":")[1].isdigit()
    ]
    assert any("people.2: on-duty range" in line for line in located), found
    assert any("townships.1.lat" in line for line in located), found
    for line in located:  # the line named is the setting's own
        number = int(line.split(":")[1])
        key = line.split(": ")[1].split(".")[-1]
        assert key in lines[number - 1] or lines[number - 1].strip().startswith("-"), line
    assert len(found) >= 2


def test_consistency_problems_are_all_reported(env: Path, monkeypatch: pytest.MonkeyPatch):
    def spoil(data: dict) -> None:
        data["liaison_chats"] = [
            {"chat_id": -100123, "townships": ["NOWHERE"]},
            {"chat_id": -100123},
        ]

    monkeypatch.setenv("KUAIPEI_CONFIG", str(_with_calendar_listed(env, spoil)))
    found = check(TODAY)
    assert any("unknown township NOWHERE" in line for line in found), found
    assert any("chat -100123 is listed twice" in line for line in found), found


def test_an_old_schema_and_an_unreachable_database(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KUAIPEI_CONFIG", str(_with_calendar_listed(env)))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{env / 'empty.db'}")
    assert any("run `kuaipei migrate`" in line for line in check(TODAY))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert any(line.startswith("DATABASE_URL:") for line in check(TODAY))


def test_wrong_settings_are_reported_too(env: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SEND_GROUP_MAX_RATE", "many")
    found = check(TODAY)
    assert any("SEND_GROUP_MAX_RATE" in line for line in found)
