"""/stats and /export: the figures of any period, and the period's cases as a spreadsheet.

Who sees what is `bot/roles/offices.py` `oversight` (the liaison office what it oversees,
the police their township, an insurer's people their insurer); asking beyond it is
refused politely and audited.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.incoming import Command
from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.liaison.csv_file import write_csv
from bot.liaison.digest import Gathered, body, gather, plain, render, without_lists
from bot.liaison.export import ExportRow
from bot.liaison.rows import export_rows
from bot.roles.offices import Oversight, office_of, oversight_of
from bot.rules.periods import Period, month, parse_period
from storage import queries as q

T = TypeVar("T")


def parse_request(
    svc: Services, words: tuple[str, ...], default: Period
) -> tuple[Period, str | None, str | None] | None:
    """(period, township code, insurer code) from /stats' words: a period, then
    optionally a township or an insurer; None when they are neither."""
    zone = svc.deployment.region.timezone
    today = svc.clock.now().astimezone(ZoneInfo(zone)).date()
    if not words:
        return default, None, None
    period = parse_period(list(words), today, zone)
    if period is not None:
        return period, None, None
    *rest, last = words
    period = parse_period(rest, today, zone) if rest else default
    if period is None:
        return None
    town = svc.deployment.find_township(last)
    if town is not None:
        return period, town.code, None
    insurer = svc.deployment.find_insurer(last)
    if insurer is not None:
        return period, None, insurer.code
    return None


async def _narrowed(
    session: AsyncSession,
    svc: Services,
    cmd: Command,
    seen: Oversight,
    township: str | None,
    insurer: str | None,
    lang: str,
) -> Oversight | str:
    """`seen` narrowed to a township or insurer, or the refusal (audited)."""
    why = None
    if insurer is not None and seen.insurer is not None and insurer != seen.insurer:
        why = t("liaison.err.other_insurer", lang, insurer=svc.insurer_name(seen.insurer))
    elif township is not None and not seen.covers(township):
        why = t("liaison.err.township", lang, township=svc.township_name(township))
    if why is not None:
        q.audit(
            session,
            at=svc.clock.now(),
            kind="liaison.refused",
            chat_id=cmd.chat_id,
            actor=cmd.user_id,
            asked=list(cmd.args),
        )
        return why
    if township is not None:
        seen = replace(seen, townships=frozenset({township}))
    if insurer is not None:
        seen = replace(seen, insurer=insurer)
    return seen


async def _who_sees(
    session: AsyncSession, svc: Services, cmd: Command, lang: str
) -> Oversight | str:
    seen = await oversight_of(session, svc, cmd)
    if isinstance(seen, str):
        if seen == "nobody":
            q.audit(
                session,
                at=svc.clock.now(),
                kind="liaison.refused",
                chat_id=cmd.chat_id,
                actor=cmd.user_id,
                asked=list(cmd.args),
            )
        return t(f"liaison.err.{seen}", lang)
    return seen


def _reply(session: AsyncSession, svc: Services, cmd: Command, text: str) -> None:
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=cmd.chat_id,
        kind="send_text",
        text=text,
        reply_to=cmd.message_id,
        thread_id=cmd.thread_id,
    )


async def show_stats(svc: Services, cmd: Command) -> bool:
    """Answer /stats; True when figures were shown."""
    zone = svc.deployment.region.timezone
    today = svc.clock.now().astimezone(ZoneInfo(zone)).date()
    default = parse_period([], today, zone)
    assert default is not None

    async def work(session: AsyncSession) -> bool:
        lang = await chat_language(session, svc, cmd.chat_id)
        seen = await _who_sees(session, svc, cmd, lang)
        if isinstance(seen, str):
            _reply(session, svc, cmd, seen)
            return False
        asked = parse_request(svc, cmd.args, default)
        if asked is None:
            _reply(session, svc, cmd, t("liaison.err.period", lang))
            return False
        period, township, insurer = asked
        narrowed = await _narrowed(session, svc, cmd, seen, township, insurer, lang)
        if isinstance(narrowed, str):
            _reply(session, svc, cmd, narrowed)
            return False
        got = await gather(session, svc, period, narrowed)
        for part in render(svc, got, lang=lang, personal=narrowed.show_personal_data):
            _reply(session, svc, cmd, part)
        return True

    return await svc.in_transaction(work)


def summary_pairs(svc: Services, got: Gathered, lang: str) -> list[tuple[str, str | int | float]]:
    """The summary sheet: the digest's figures, one line a row."""
    lines = body(svc, without_lists(got), lang=lang, personal=False)
    pairs: list[tuple[str, str | int | float]] = [(got.figures.period.label, "")]
    for line in lines:
        if line:
            pairs.append((plain(line), ""))
    return pairs


async def stream_to(rows: AsyncIterator[ExportRow], write: Callable[[Iterator[ExportRow]], T]) -> T:
    """Run a writer that reads rows one by one (in a thread) over rows produced here: at
    most a few thousand rows are in flight, never the whole period."""
    buffer: queue.Queue[ExportRow | None] = queue.Queue(maxsize=2000)

    def consume() -> Iterator[ExportRow]:
        while (row := buffer.get()) is not None:
            yield row

    writer = asyncio.ensure_future(asyncio.to_thread(write, consume()))
    try:
        async for row in rows:
            while True:
                try:
                    buffer.put_nowait(row)
                    break
                except queue.Full:
                    if writer.done():
                        return await writer  # it failed: say so
                    await asyncio.sleep(0.01)
    finally:
        while True:  # the end marker, even after a failure, so the thread finishes
            try:
                buffer.put_nowait(None)
                break
            except queue.Full:
                if writer.done():
                    break
                await asyncio.sleep(0.01)
    return await writer


async def write_export(
    svc: Services,
    period: Period,
    seen: Oversight,
    path: Path,
    *,
    lang: str,
    fmt: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """The period's cases written to `path` (xlsx or csv); how many."""
    zone = svc.deployment.region.timezone
    rows = export_rows(svc, period, seen, lang=lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return await stream_to(
            rows, lambda it: write_csv(it, path, zone=zone, lang=lang, progress=progress)
        )
    async with svc.db.session() as session:
        got = await gather(session, svc, period, seen)
    summary = summary_pairs(svc, got, lang)
    # Imported when the first spreadsheet is written: openpyxl is seconds of a restart on a
    # loaded machine, and a restart after a crash should resume at once.
    from bot.liaison.xlsx import write_xlsx

    return await stream_to(
        rows,
        lambda it: write_xlsx(it, path, zone=zone, lang=lang, summary=summary, progress=progress),
    )


async def export_cases(svc: Services, cmd: Command) -> int | None:
    """Answer /export [period] [csv] in a liaison chat: the file, or why not."""
    zone = svc.deployment.region.timezone
    today = svc.clock.now().astimezone(ZoneInfo(zone)).date()
    words = tuple(w for w in cmd.args if w.lower() not in ("csv", "xlsx"))
    fmt = "csv" if any(w.lower() == "csv" for w in cmd.args) else "xlsx"

    async def check(session: AsyncSession) -> tuple[Oversight, Period, str] | None:
        lang = await chat_language(session, svc, cmd.chat_id)
        seen = await _who_sees(session, svc, cmd, lang)
        if isinstance(seen, str):
            _reply(session, svc, cmd, seen)
            return None
        if await office_of(session, svc, cmd.chat_id) is None:
            _reply(session, svc, cmd, t("liaison.err.export_here", lang))
            return None
        asked = parse_request(svc, words, month(today.year, today.month, zone))
        if asked is None or asked[1] or asked[2]:
            _reply(session, svc, cmd, t("liaison.err.period", lang))
            return None
        return seen, asked[0], lang

    checked = await svc.in_transaction(check)
    if checked is None:
        return None
    seen, period, lang = checked
    name = f"kuaipei-{period.label.replace('~', '_')}.{fmt}"
    relative = Path("exports") / str(cmd.chat_id) / f"{cmd.message_id}-{name}"
    count = await write_export(svc, period, seen, svc.media_dir / relative, lang=lang, fmt=fmt)

    async def send(session: AsyncSession) -> None:
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=cmd.chat_id,
            kind="send_file",
            path=str(relative),
            filename=name,
            caption=t("liaison.export.caption", lang, label=period.label, n=count),
            reply_to=cmd.message_id,
            thread_id=cmd.thread_id,
        )
        q.audit(
            session,
            at=svc.clock.now(),
            kind="liaison.exported",
            chat_id=cmd.chat_id,
            actor=cmd.user_id,
            period=period.label,
            format=fmt,
            cases=count,
        )

    await svc.in_transaction(send)
    return count
