"""The `kuaipei` command: run, migrate, demo, sandbox."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.config.deployment import Deployment, DeploymentError, load_deployment, resolve_path
from bot.config.logs import configure_logging
from bot.config.settings import MissingTokenError, Settings


def _deployment(settings: Settings) -> Deployment:
    return load_deployment(resolve_path(settings.kuaipei_config))


async def _serve(settings: Settings, deployment: Deployment) -> None:
    from bot.app import build_runtime

    runtime = build_runtime(settings, deployment)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()


def cmd_run(settings: Settings) -> int:
    """Run the bot against Telegram (long polling) until SIGINT or SIGTERM."""
    try:
        token = settings.token()
    except MissingTokenError:
        print(
            "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment "
            "or in .env (try `kuaipei demo` to run without one).",
            file=sys.stderr,
        )
        return 2
    configure_logging(settings.log_level, secrets=[token])
    if settings.webhook_url:
        print(
            "WEBHOOK_URL is set, but webhook mode is not available yet: unset it to poll.",
            file=sys.stderr,
        )
        return 2
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    asyncio.run(_serve(settings, _deployment(settings)))
    return 0


def cmd_migrate(settings: Settings) -> int:
    """Upgrade the database schema to the newest version."""
    from storage.migrate import upgrade

    upgrade(settings.database_url)
    print("database schema is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = argparse.ArgumentParser(prog="kuaipei", description="快赔 · fast handling bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot against Telegram (needs TELEGRAM_BOT_TOKEN)")
    sub.add_parser("migrate", help="upgrade the database schema")
    demo = sub.add_parser("demo", help="play a scene against the local Telegram and print it")
    demo.add_argument("--quiet", action="store_true", help="print only the transcript")
    sandbox = sub.add_parser("sandbox", help="run the local Telegram alone and print its URLs")
    sandbox.add_argument("--port", type=int, default=0)
    sandbox.add_argument("--token", default=None)
    args = parser.parse_args(argv)

    if args.command == "sandbox":
        from sandbox.cli import main as sandbox_main

        extra = ["--port", str(args.port)] + (["--token", args.token] if args.token else [])
        return sandbox_main(extra)
    settings = Settings()
    try:
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "migrate":
            return cmd_migrate(settings)
        if args.command == "demo":
            from bot.demo import run_demo

            return run_demo(quiet=args.quiet)
    except DeploymentError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
