from pathlib import Path

import pytest

from bot.config.deployment import EXAMPLE_FILE, DeploymentError, load_deployment, resolve_path
from bot.config.settings import MissingTokenError, Settings
from storage.db import async_url


def test_settings_defaults_match_design(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "TIMEZONE", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    s = Settings(_env_file=None)
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.database_url == "sqlite:///./data/kuaipei.db"
    assert s.timezone == "Asia/Shanghai" and s.language == "zh"
    with pytest.raises(MissingTokenError):
        s.token()


def test_token_is_secret_in_repr(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc-secret")
    s = Settings(_env_file=None)
    assert s.token() == "1:abc-secret"
    assert "abc-secret" not in repr(s)


def test_env_example_lists_every_setting():
    names = {f.alias for f in Settings.model_fields.values()}
    listed = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (Path(__file__).resolve().parents[2] / ".env.example").read_text().splitlines()
        if "=" in line
    }
    assert names <= listed, names - listed


def test_example_deployment_is_valid_and_realistic():
    d = load_deployment(EXAMPLE_FILE)
    assert {"PICC", "PINGAN", "CPIC"} <= {i.code for i in d.insurers}
    hs = d.find_township("花石镇")
    assert hs is not None and hs.case_prefix == "HS"
    assert d.find_township("花石") == hs and d.find_township("hs") == hs
    assert d.find_township("火星镇") is None
    assert d.rules.photos_min == 3 and d.compensation.compulsory_property_limit_yuan == 2000


def test_invalid_deployment_says_what_is_wrong(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "region: {name: x}\ninsurers: []\ntownships:\n"
        "  - {code: HS, name: 花石镇, case_prefix: HS, lat: 27.5, lon: 112.7}\n"
        "  - {code: HS, name: 别的, case_prefix: HS, lat: 27.5, lon: 112.7}\n",
        encoding="utf-8",
    )
    with pytest.raises(DeploymentError, match="duplicate township"):
        load_deployment(bad)
    with pytest.raises(DeploymentError, match="cannot read"):
        load_deployment(tmp_path / "missing.yaml")


def test_resolve_path_prefers_the_configured_file(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_path(None) == EXAMPLE_FILE
    (tmp_path / "kuaipei.yaml").write_text("x", encoding="utf-8")
    assert resolve_path(None) == Path("kuaipei.yaml")
    assert resolve_path(Path("/etc/k.yaml")) == Path("/etc/k.yaml")


def test_database_urls_get_async_drivers():
    assert async_url("sqlite:///./data/k.db") == "sqlite+aiosqlite:///./data/k.db"
    assert async_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert async_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


def test_empty_optional_settings_mean_unset(monkeypatch):
    monkeypatch.setenv("KUAIPEI_CONFIG", "")
    monkeypatch.setenv("WEBHOOK_URL", "")
    s = Settings(_env_file=None)
    assert s.kuaipei_config is None and s.webhook_url is None


def test_no_fault_commercial_ratio_must_be_zero(tmp_path: Path):
    text = EXAMPLE_FILE.read_text(encoding="utf-8").replace("none: 0}", "none: 10}")
    bad = tmp_path / "k.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(DeploymentError, match="none must be 0"):
        load_deployment(bad)


async def test_sqlite_waits_long_for_the_write_lock(tmp_path: Path):
    # Five seconds starved a busy bot's update into a permanent failure (storage/db.py).
    from sqlalchemy import text

    from storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 'busy.db'}")
    try:
        async with db.session() as s:
            waits = (await s.exec(text("PRAGMA busy_timeout"))).one()[0]  # type: ignore[call-overload]
        assert waits >= 30_000
    finally:
        await db.dispose()
