"""``python -m sandbox.cli``: run the sandbox alone and print the URLs to point a bot at."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from sandbox.core import Sandbox


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="kuaipei sandbox", description="A local Telegram Bot API server."
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--token", default="123456:SANDBOX-TOKEN", help="the demo bot token")
    parser.add_argument("--bot-username", default="kuaipei_bot")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="create a demo forum group with an assistant and an adjuster",
    )
    return parser


def seed_demo(sb: Sandbox) -> dict[str, int]:
    """A forum supergroup with a traffic-safety assistant and an insurer adjuster."""
    wang = sb.create_user("王协理", username="wang")
    li = sb.create_user("李定损", username="li_adjuster")
    group = sb.create_chat(
        "supergroup", title="花石镇快处群", is_forum=True, members=[wang, li], admins=[wang]
    )
    return {"assistant": wang, "adjuster": li, "group": group}


async def serve(args: argparse.Namespace) -> None:
    """Start, print the URLs, and run until SIGINT/SIGTERM."""
    sb = Sandbox(token=args.token, bot_username=args.bot_username)
    await sb.start(port=args.port)
    print(f"TELEGRAM_BOT_TOKEN={args.token}")
    print(f"TELEGRAM_API_BASE_URL={sb.base_url}")
    print(f"TELEGRAM_FILE_BASE_URL={sb.file_base_url}")
    print(f"SANDBOX_CONTROL_URL={sb.control_url}")
    if args.demo:
        for key, value in seed_demo(sb).items():
            print(f"DEMO_{key.upper()}={value}")
    print("sandbox running; Ctrl-C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sb.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
