"""The bare bot of the latency bench: python-telegram-bot with AIORateLimiter, /help only.

What Kuaipei is measured against: the same library and HTTP stack, the same rate limiter
a careful bot would use, and a /help answer of the same HTML text, with no database.

    python -m bench.bare_bot --base-url URL --token TOKEN --text-file PATH
"""

from __future__ import annotations

import argparse
from pathlib import Path

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes, Defaults


def build(base_url: str, token: str, text: str) -> Application:
    """The bare application: one command, answered as a reply like Kuaipei's."""

    async def help_command(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None:
            await update.effective_message.reply_text(text, do_quote=True)

    app = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter())
        .build()
    )
    app.add_handler(CommandHandler(["start", "help"], help_command))
    return app


def main(argv: list[str] | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--text-file", type=Path, required=True)
    args = parser.parse_args(argv)
    text = args.text_file.read_text(encoding="utf-8")
    build(args.base_url, args.token, text).run_polling(timeout=10, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
