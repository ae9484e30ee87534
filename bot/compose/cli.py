"""The `kuaipei` command: run, migrate, check, demo, sandbox, digest, export.

Every way out of a command is one line on stderr that names what is wrong, never a
traceback and never the token: the output ends up in journald or docker logs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

from telegram.error import InvalidToken

from bot.config.deployment import (
    EXAMPLE_FILE,
    Deployment,
    DeploymentError,
    load_deployment,
    resolve_path,
)
from bot.config.logs import configure_logging, scrub
from bot.config.settings import MissingTokenError, Settings, SettingsError, load_settings
from storage.db import DatabaseUnreachable, probe

log = logging.getLogger("kuaipei")

TOKEN_REJECTED = "Telegram rejected the token (TELEGRAM_BOT_TOKEN); check it with @BotFather"
NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment "
    "or in .env (try `kuaipei demo` to run without one)."
)

SETTINGS_NOTE = "Settings come from the environment or from .env in the current directory."
RUN_SETTINGS = """\
settings read:
  TELEGRAM_BOT_TOKEN           the bot's token from @BotFather (required)
  TELEGRAM_API_BASE_URL        Bot API prefix, token appended (default Telegram's)
  TELEGRAM_FILE_BASE_URL       file download prefix, token appended
  DATABASE_URL                 sqlite:///... or postgresql://... (migrated at start)
  MEDIA_DIR                    where evidence photos are kept
  KUAIPEI_CONFIG               deployment file: insurers, townships, rules
                               (BAIDU_MAP_AK/SK if its geocoder is enabled)
  AGREEMENT_FONT               a fuller CJK font for the agreement PDF
  TIMEZONE, LANGUAGE           display and schedule time zone; zh or en
  WEBHOOK_URL, WEBHOOK_SECRET  webhook mode: Telegram pushes to this https URL with this
                               secret (empty: long polling)
  WEBHOOK_LISTEN, WEBHOOK_PORT where the webhook server listens (behind a TLS proxy)
  LOG_LEVEL, LOG_SQL           DEBUG/INFO/WARNING/ERROR; SQL statement log on or off
  SEND_GROUP_MAX_RATE, SEND_GROUP_PERIOD_SECONDS,
  SEND_OVERALL_MAX_RATE, SEND_OVERALL_PERIOD_SECONDS
                               Telegram's flood limits as the sender honours them
  CARD_SETTLE_SECONDS          how long a case card rests after an edit (bursts merge)
  SLA_SWEEP_SECONDS            how often due reminders and escalations are looked for
  RETENTION_EVIDENCE_DAYS, RETENTION_MESSAGES_DAYS
                               days evidence of finished cases, and delivered messages,
                               are kept (the daily purge)
  HEALTH_PORT, HEALTH_HOST     /healthz and /metrics (Prometheus) on this port (0: off)
  MULTI_PROCESS                several processes on one PostgreSQL database (true/false)
  PROCESS_LEASE_SECONDS        how long a dead process's chats wait for another
"""
MIGRATE_SETTINGS = """\
settings read:
  DATABASE_URL                 sqlite:///... or postgresql://...
  LOG_LEVEL                    DEBUG/INFO/WARNING/ERROR
"""
DEMO_SETTINGS = """\
settings read:
  TIMEZONE, LANGUAGE, AGREEMENT_FONT
  No token and no database: the demo starts its own local Telegram and a
  throw-away SQLite database in a temporary folder.
"""
SANDBOX_NOTE = """\
Reads no settings. Point a bot at it with the printed TELEGRAM_BOT_TOKEN,
TELEGRAM_API_BASE_URL and TELEGRAM_FILE_BASE_URL; SANDBOX_CONTROL_URL is the
control API that acts as people (see sandbox/README.md).
"""


class _Failure(Exception):
    """A command ends with this one line on stderr and this exit status."""

    def __init__(self, line: str, status: int = 2) -> None:
        super().__init__(line)
        self.line, self.status = line, status


def _deployment(settings: Settings) -> Deployment:
    return load_deployment(resolve_path(settings.kuaipei_config))


def _upgrade(settings: Settings) -> None:
    from storage.migrate import upgrade

    try:
        asyncio.run(probe(settings.database_url))
    except DatabaseUnreachable as exc:
        raise _Failure(f"DATABASE_URL: {exc}") from None
    upgrade(settings.database_url)


async def _serve(settings: Settings, deployment: Deployment) -> None:
    from bot.compose.app import build_runtime

    runtime = build_runtime(settings, deployment)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Starting may wait for Telegram a long time; a signal must still end it.
    starting = asyncio.create_task(runtime.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            await stopping
        else:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
    finally:
        stopping.cancel()
        if runtime.app.running:
            await runtime.stop()
        else:
            await runtime.app.shutdown()
            await runtime.services.db.dispose()


REAL_TELEGRAM = "https://api.telegram.org/"
EXAMPLE_REFUSED = (
    "the deployment file is the shipped example (kuaipei.example.yaml, with made-up people "
    "and ids): copy it to kuaipei.yaml and edit it, or pass --example-ok to run it anyway"
)


def cmd_run(settings: Settings, *, example_ok: bool = False) -> int:
    """Run the bot against Telegram (long polling) until SIGINT or SIGTERM."""
    try:
        settings.token()
    except MissingTokenError:
        raise _Failure(NO_TOKEN) from None
    if settings.webhook_url and settings.webhook_secret is None:
        raise _Failure(
            "WEBHOOK_URL is set without WEBHOOK_SECRET: set a secret (1-256 of A-Z a-z 0-9 _ -)"
        )
    _upgrade(settings)
    path = resolve_path(settings.kuaipei_config)
    # The example's people and ids are made up: against the real Telegram they would ping
    # strangers; the local Telegram (the demo, the tests) is where the example belongs.
    real = settings.telegram_api_base_url.startswith(REAL_TELEGRAM)
    if real and not example_ok and path.resolve() == EXAMPLE_FILE.resolve():
        raise _Failure(EXAMPLE_REFUSED)
    deployment = _deployment(settings)
    try:
        asyncio.run(_serve(settings, deployment))
    except InvalidToken:
        raise _Failure(TOKEN_REJECTED) from None
    return 0


def cmd_migrate(settings: Settings) -> int:
    """Upgrade the database schema to the newest version."""
    _upgrade(settings)
    print("database schema is up to date")
    return 0


def _offline(settings: Settings, deployment: Deployment) -> Any:
    """Services over the bot's database without Telegram (the reports read what it wrote)."""
    from bot.compose import wiring
    from bot.kernel.clock import SystemClock
    from bot.kernel.services import Services
    from storage.db import Database

    svc = Services(
        db=Database(settings.database_url),
        clock=SystemClock(),
        deployment=deployment,
        timezone=settings.timezone,
        language=settings.language,
        media_dir=settings.media_dir,
    )
    wiring.wire(svc)
    return svc


def _period(kind: str, first: str, last: str | None, zone: str) -> Any:
    from datetime import date

    from bot.rules import periods

    try:
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else None
    except ValueError:
        raise _Failure(f"dates are YYYY-MM-DD: {first} {last or ''}".strip()) from None
    if end is not None:
        if end < start:
            raise _Failure(f"--to {last} is before --from {first}")
        return periods.between(start, end, zone)
    if kind == "week":
        return periods.week(start, zone)
    if kind == "month":
        return periods.month(start.year, start.month, zone)
    return periods.day(start, zone)


def cmd_digest(settings: Settings, day: str, kind: str, send: bool) -> int:
    """Print the digest of a period, or queue it for the liaison chats (--send)."""

    deployment = _deployment(settings)
    period = _period(kind, day, None, deployment.region.timezone)
    _upgrade(settings)

    async def go() -> int:
        from bot.liaison.digest import gather, plain, render
        from bot.liaison.schedule import send_digest
        from bot.roles.offices import Oversight, offices

        svc = _offline(settings, deployment)
        try:
            if send:
                async with svc.db.session() as session:
                    found = await offices(session, svc)
                if not found:
                    raise _Failure("no liaison chat: name one under liaison_chats or /setup 联席办")
                queued = sum([await send_digest(svc, office, period) for office in found])
                print(
                    f"digest {period.label}: queued for {queued} of {len(found)} chat(s) "
                    "(a chat that had it already is skipped); the running bot sends it"
                )
                return 0
            async with svc.db.session() as session:
                got = await gather(session, svc, period, Oversight(frozenset()))
            for part in render(svc, got, lang=svc.language, personal=False):
                print(plain(part))
                print()
            return 0
        finally:
            await svc.db.dispose()

    return asyncio.run(go())


def cmd_export(settings: Settings, first: str, last: str, fmt: str, out: str) -> int:
    """Write the cases opened in a period to a spreadsheet, with a progress bar."""
    from pathlib import Path

    deployment = _deployment(settings)
    period = _period("range", first, last, deployment.region.timezone)
    _upgrade(settings)

    async def go() -> int:
        from bot.liaison.commands import write_export
        from bot.roles.offices import Oversight

        svc = _offline(settings, deployment)
        try:

            def progress(n: int) -> None:
                print(f"\r{period.label}: {n:,} cases written", end="", file=sys.stderr)

            count = await write_export(
                svc,
                period,
                Oversight(frozenset()),
                Path(out),
                lang=svc.language,
                fmt=fmt,
                progress=progress,
            )
            print(f"\r{period.label}: {count:,} cases written to {out}", file=sys.stderr)
            return 0
        finally:
            await svc.db.dispose()

    return asyncio.run(go())


def cmd_check() -> int:
    """Report every problem of the settings, the deployment file and the database."""
    from datetime import date

    from bot.compose.preflight import check

    found = check(date.today())
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) found", file=sys.stderr)
        return 1
    print("settings, deployment file and database: ready")
    return 0


def cmd_demo(quiet: bool) -> int:
    """Play a scene against the local Telegram and print it."""
    from bot.compose.demo import run_demo

    return run_demo(quiet=quiet)


def build_parser() -> argparse.ArgumentParser:
    """The commands, each with what it does and the settings it reads."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="kuaipei",
        description="快赔 · a Telegram bot for 快处快赔, fast handling of minor road accidents.",
        epilog=f"{SETTINGS_NOTE} `kuaipei COMMAND --help` lists what each command reads.",
        formatter_class=raw,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run the bot against Telegram (polling or webhook; needs TELEGRAM_BOT_TOKEN)",
        description="Upgrade the database schema, then run the bot against Telegram with long "
        "polling (or, with WEBHOOK_URL, a webhook) until SIGINT or SIGTERM. Waits for Telegram if it cannot be reached; stops "
        "with one line if the token is rejected or a setting is wrong.",
        epilog=f"{RUN_SETTINGS}\n{SETTINGS_NOTE}",
        formatter_class=raw,
    )
    run.add_argument(
        "--example-ok",
        action="store_true",
        help="run the shipped example deployment against the real Telegram anyway",
    )
    sub.add_parser(
        "migrate",
        help="create or upgrade the database schema (DATABASE_URL)",
        description="Create the database schema, or upgrade it to the newest version. "
        "`kuaipei run` does this too at start; run it alone before a deployment.",
        epilog=f"{MIGRATE_SETTINGS}\n{SETTINGS_NOTE}",
        formatter_class=raw,
    )
    demo = sub.add_parser(
        "demo",
        help="play an accident from photos to payout against the local Telegram, no token",
        description="Start the local Telegram (sandbox/) and the real bot against it, play one "
        "accident from photos to payout, and print what every chat saw.",
        epilog=DEMO_SETTINGS,
        formatter_class=raw,
    )
    demo.add_argument("--quiet", action="store_true", help="print only the transcript")
    sandbox = sub.add_parser(
        "sandbox",
        help="run the local Telegram alone and print the settings that point a bot at it",
        description="Run the local Telegram Bot API server (sandbox/) on 127.0.0.1 until "
        "Ctrl-C, to try the bot by hand before you have a token.",
        epilog=SANDBOX_NOTE,
        formatter_class=raw,
    )
    sub.add_parser(
        "check",
        help="find every problem of the settings, deployment file and database, at once",
        description="Check the settings (the token's shape, webhook settings), the deployment "
        "file (each problem with its line), the holiday calendar for this year and next, and "
        "the database (reachable, schema up to date). Prints one line per problem and exits "
        "1 if there is any; changes nothing.",
        epilog=f"{RUN_SETTINGS}\n{SETTINGS_NOTE}",
        formatter_class=raw,
    )
    digest = sub.add_parser(
        "digest",
        help="print the liaison office's digest of a day, week or month (or --send it)",
        description="Build the liaison office's digest of a period from the bot's database and "
        "print it as text; with --send, queue it for every liaison chat (once per chat and "
        "period, as the daily job does) for the running bot to deliver.",
        epilog=f"{MIGRATE_SETTINGS}  KUAIPEI_CONFIG               deployment file\n\n{SETTINGS_NOTE}",
        formatter_class=raw,
    )
    digest.add_argument("--date", required=True, help="a day of the period, YYYY-MM-DD")
    digest.add_argument("--period", choices=("day", "week", "month"), default="day")
    digest.add_argument("--send", action="store_true", help="queue it for the liaison chats")
    export = sub.add_parser(
        "export",
        help="write the cases opened in a period to an XLSX or CSV file",
        description="Write one row per case opened from --from to --to (inclusive, local days) "
        "to --out, as the liaison office's /export does, showing progress on stderr.",
        epilog=f"{MIGRATE_SETTINGS}  KUAIPEI_CONFIG               deployment file\n\n{SETTINGS_NOTE}",
        formatter_class=raw,
    )
    export.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD")
    export.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    export.add_argument("--out", required=True, help="the file to write")
    sandbox.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    sandbox.add_argument("--token", default=None, help="the token the sandbox accepts")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        from sandbox.cli import main as sandbox_main

        extra = ["--port", str(args.port)] + (["--token", args.token] if args.token else [])
        return sandbox_main(extra)
    if args.command == "check":  # wrong settings are among what it reports
        return cmd_check()
    try:
        settings = load_settings()
    except SettingsError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    token = settings.telegram_bot_token
    secrets = [token.get_secret_value()] if token is not None else []
    configure_logging(settings.log_level, secrets, log_sql=settings.log_sql)
    commands: dict[str, Callable[[], int]] = {
        "run": lambda: cmd_run(settings, example_ok=args.example_ok),
        "migrate": lambda: cmd_migrate(settings),
        "demo": lambda: cmd_demo(args.quiet),
        "digest": lambda: cmd_digest(settings, args.date, args.period, args.send),
        "export": lambda: cmd_export(settings, args.first, args.last, args.format, args.out),
    }
    try:
        return commands[args.command]()
    except _Failure as exc:
        print(scrub(exc.line, secrets), file=sys.stderr)
        return exc.status
    except DeploymentError as exc:
        print(scrub(str(exc), secrets), file=sys.stderr)
        return 2
    except Exception:
        # Through logging, so that the traceback is redacted like every other line.
        log.exception("kuaipei %s stopped by an unexpected error", args.command)
        return 1


if __name__ == "__main__":
    sys.exit(main())
