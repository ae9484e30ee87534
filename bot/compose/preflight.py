"""`kuaipei check`: everything that would stop or mislead a deployment, found before it
goes live and reported all at once, one line each (the token itself never shown).

Settings, the token's shape, webhook settings, the deployment file (each problem with
its line in the file where the file says it), the holiday calendar for this year and
next, the database (reachable, schema at the newest migration).
"""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.config.checks import problems, sla_warnings
from bot.config.deployment import Deployment, one_line, resolve_path
from bot.config.settings import Settings, SettingsError, load_settings
from storage.db import DatabaseUnreachable, probe

TOKEN_SHAPE = re.compile(r"^\d{4,}:[A-Za-z0-9_-]{30,}$")
SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line in the file of a place pydantic names (`people.3.insurer`)."""
    node = root
    found = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
        else:
            break
        found = node.start_mark.line + 1
    return found


def deployment_problems(path: Path) -> tuple[list[str], Deployment | None]:
    """Every problem of a deployment file, as `file:line: place: what is wrong`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{path}: cannot read the deployment file: {exc.strerror}"], None
    except UnicodeDecodeError as exc:
        return [f"{path}: not UTF-8 text (byte {exc.start} cannot be read)"], None
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        what = one_line(getattr(exc, "problem", None) or str(exc).split("\n")[0])
        return [f"{where}: not valid YAML: {what}"], None
    except RecursionError:
        return [f"{path}: nested too deeply to be read"], None
    try:
        deployment = Deployment.model_validate(raw)
    except ValidationError as exc:
        out = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            place = one_line(".".join(str(p) for p in loc))
            line = _line_of(root, loc)
            where = f"{path}:{line}" if line else str(path)
            for message in map(one_line, error["msg"].removeprefix("Value error, ").split("\n")):
                # The file-wide consistency check has no single place: it names its own.
                out.append(f"{where}: {place}: {message}" if place else f"{path}: {message}")
        return out, None
    return [f"{path}: {one_line(p)}" for p in problems(deployment)], deployment


def settings_problems(settings: Settings) -> list[str]:
    out = []
    token = settings.telegram_bot_token
    if token is None:
        out.append("TELEGRAM_BOT_TOKEN is not set (the token from @BotFather)")
    elif not TOKEN_SHAPE.match(token.get_secret_value()):
        out.append(
            "TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters, from @BotFather)"
        )
    if settings.webhook_url:
        if not settings.webhook_url.startswith("https://"):
            out.append("WEBHOOK_URL must be an https:// address (Telegram pushes only to TLS)")
        secret = settings.webhook_secret
        if secret is None or not SECRET_SHAPE.match(secret.get_secret_value()):
            out.append("WEBHOOK_SECRET must be set: 1-256 of A-Z, a-z, 0-9, _ and -")
    return out


async def _revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from storage.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def database_problems(url: str) -> list[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    try:
        asyncio.run(probe(url))
    except DatabaseUnreachable as exc:
        return [f"DATABASE_URL: {exc}"]
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    current = asyncio.run(_revision(url))
    if current != head:
        return [
            f"DATABASE_URL: the schema is at {current or 'nothing'}, the newest is {head}: "
            "run `kuaipei migrate`"
        ]
    return []


def check(today: date) -> list[str]:
    """Every problem found, one line each; empty when the deployment is ready."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        return list(exc.lines)
    out = settings_problems(settings)
    path = resolve_path(settings.kuaipei_config)
    found, deployment = deployment_problems(path)
    out += found
    if deployment is not None:
        out += [f"{path}: {w}" for w in sla_warnings(deployment, today)]
    out += database_problems(settings.database_url)
    return out
