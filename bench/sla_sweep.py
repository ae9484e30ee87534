"""One SLA sweep with 10,000 vs 1,000,000 cases stored: the sweep must not slow with history.

Each store is a fresh migrated database (a SQLite file in a temporary directory, the
deployment's default; or, with --database-url, that PostgreSQL database for the small
store and `<name>_large` beside it for the large one, both emptied) holding the example
deployment, one registered group per township and N cases with one stage clock each:
10,000 open, 100 of them due now, the rest stopped. The due clocks are a mix of stages
and insurers, so a sweep reminds adjusters, supervisors, the police and assistants in
every group, as a busy morning would. The rows go in with one bulk insert per table.

A repetition runs one round of the sweep (`bot.sla.sweep.sweep_in`, taking the due
clocks) in a transaction that is flushed, so its writes are done, and rolled back, so
every repetition finds the same clocks due. After a warm-up the two stores are swept in
turn, so a machine busy with something else slows both alike; the figures are the
median, the spread and the CPU time. One committed `sweep(svc)` per store follows, as a
check. --profile adds each store's statements per sweep and a cProfile of its sweeps.

    python bench/sla_sweep.py [--runs 15] [--small 10000] [--large 1000000]
                              [--open 10000] [--due 100] [--database-url URL] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, func
from sqlalchemy.engine import Dialect, make_url
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.case.clocks import calendar_for  # noqa: E402
from bot.config.logs import configure_logging  # noqa: E402
from bot.kernel.services import Services  # noqa: E402
from bot.rules.ladder import due_now, next_look  # noqa: E402
from bot.rules.sla import Stage  # noqa: E402
from bot.rules.sla_clock import Clock, breach_at, met_target, start, stop  # noqa: E402
from bot.sla.sweep import sweep, sweep_in  # noqa: E402
from storage.db import is_sqlite  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from storage.models import Case, StageClock  # noqa: E402
from tests import pg  # noqa: E402
from tests.factories import ASSISTANT, MORNING, NAMES, make_group, make_services  # noqa: E402

NOW = MORNING  # Monday 10:00 in Asia/Shanghai: working hours, adjusters on duty
FIRST_CHAT = -1001000000001


@dataclass(frozen=True)
class Variant:
    """A kind of stage clock: its stage and insurer, how long ago it started, its case's
    status, and (once stopped) how long it ran."""

    stage: Stage
    insurer: str | None
    ago: timedelta
    status: str
    ran: timedelta = timedelta(minutes=3)


# Started long enough ago that a rung has fallen due at NOW (two of them on CPIC's: its
# warning and its breach, as after a short downtime).
DUE = (
    Variant(Stage.INSURER_RESPONSE, "PINGAN", timedelta(minutes=6), "awaiting_insurer"),
    Variant(Stage.INSURER_RESPONSE, "PICC", timedelta(minutes=6), "awaiting_insurer"),
    Variant(Stage.INSURER_RESPONSE, "CPIC", timedelta(minutes=12), "awaiting_insurer"),
    Variant(Stage.SCENE, None, timedelta(minutes=21), "collecting"),
    Variant(Stage.POLICE_PICKUP, None, timedelta(minutes=16), "police"),
)
# Started just now: their first rung lies ahead.
OPEN = tuple(Variant(v.stage, v.insurer, timedelta(0), v.status) for v in DUE) + (
    Variant(Stage.INSURER_DECISION, "PINGAN", timedelta(0), "awaiting_insurer"),
)
# Done with long ago; what a year of cases leaves behind.
STOPPED = tuple(Variant(v.stage, v.insurer, timedelta(days=30), "closed") for v in OPEN)


@dataclass(frozen=True)
class Scale:
    cases: int
    open: int
    due: int


# --- rows -----------------------------------------------------------------------------


def _bound(table: Table, values: dict[str, Any], dialect: Dialect) -> dict[str, Any]:
    """Values as the driver takes them (SQLite's datetime text, JSON text ...), so the
    bulk insert writes what the ORM would and the per-row work is only the ids."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        out[name] = process(value) if process is not None else value
    return out


def _case_values(variant: Variant, opened: datetime) -> dict[str, Any]:
    return {
        "status": variant.status,
        "thread_mode": "forum",
        "card_pinned": True,
        "opened_by": ASSISTANT,
        "opened_by_name": NAMES[ASSISTANT],
        "opened_at": opened,
        "updated_at": opened,
        "eligibility": {"injuries": False, "vehicles_movable": True},
        "ready_at": None if variant.status == "collecting" else opened,
        "scenario": "default",
    }


def _clock_values(svc: Services, variant: Variant, now: datetime) -> dict[str, Any]:
    terms = svc.deployment.sla.terms(variant.stage, variant.insurer)
    calendar = calendar_for(svc, terms.calendar)
    began = now - variant.ago
    clock: Clock = start(terms, began)
    values: dict[str, Any] = {
        "stage": variant.stage.value,
        "insurer_code": variant.insurer,
        "started_at": began,
        "target_seconds": int(terms.target.total_seconds()),
        "fired": [],
        "silenced": [],
    }
    if variant.status == "closed":
        clock = stop(clock, began + variant.ran, calendar)
        return values | {
            "state": "stopped",
            "clock": clock.to_json(),
            "stopped_at": clock.stopped_at,
            "worked_seconds": int(clock.accumulated.total_seconds()),
            "met_target": met_target(clock),
            "due_at": None,
            "breach_at": None,
        }
    due_at = next_look(clock, calendar, [], [], None)
    fires = due_now(clock, calendar, [], [], None, now)
    assert due_at is not None, variant
    # A template that is not what it claims to be would time the wrong thing.
    assert (due_at <= now) == bool(fires) == (variant.ago > timedelta(0)), (variant, due_at)
    return values | {
        "state": "running",
        "clock": clock.to_json(),
        "due_at": due_at,
        "breach_at": breach_at(clock, calendar),
    }


@dataclass
class Rows:
    """Column names and row tuples for one table, generated on the fly."""

    columns: list[str]
    rows: Iterator[tuple[Any, ...]]


def _templates(
    table: Table, kinds: dict[str, list[dict[str, Any]]], dialect: Dialect, varying: Sequence[str]
) -> tuple[list[str], dict[str, list[list[Any]]]]:
    """The columns any variant sets, the varying ones first, and one bound row per variant
    of each kind (a column a variant leaves out is NULL)."""
    bound = {kind: [_bound(table, v, dialect) for v in values] for kind, values in kinds.items()}
    named = dict.fromkeys(c for rows in bound.values() for b in rows for c in b)
    columns = [*varying, *(c for c in named if c not in varying)]
    return columns, {k: [[b.get(c) for c in columns] for b in rows] for k, rows in bound.items()}


def _plan(scale: Scale, groups: int) -> Iterator[tuple[int, str, int, int]]:
    """(id, kind, variant, group) per case: the stopped ones first (the older cases), then
    the open ones with the due ones spread evenly among them, every group getting each
    kind of due clock."""
    stopped = scale.cases - scale.open
    step = max(1, scale.open // max(1, scale.due))
    due_seen = 0
    for i in range(1, scale.cases + 1):
        if i <= stopped:
            yield i, "stopped", i % len(STOPPED), i % groups
            continue
        j = i - stopped - 1
        if j % step == 0 and due_seen < scale.due:
            yield i, "due", due_seen % len(DUE), due_seen // len(DUE) % groups
            due_seen += 1
        else:
            yield i, "open", j % len(OPEN), i % groups


def build_rows(
    svc: Services, dialect: Dialect, scale: Scale, groups: Sequence[tuple[int, str, str]]
) -> tuple[Rows, Rows]:
    """accident_case and stage_clock rows; `groups` are (chat id, township, prefix)."""
    now = svc.clock.now()
    kinds = {"due": DUE, "open": OPEN, "stopped": STOPPED}
    case_table: Table = Case.__table__  # type: ignore[attr-defined]
    clock_table: Table = StageClock.__table__  # type: ignore[attr-defined]
    case_varying = (
        "id", "number", "chat_id", "township_code", "origin_message_id",
        "message_thread_id", "card_message_id",
    )  # fmt: skip
    clock_varying = ("id", "case_id", "chat_id", "township_code")
    case_cols, case_tpl = _templates(
        case_table,
        {k: [_case_values(v, now - v.ago) for v in vs] for k, vs in kinds.items()},
        dialect,
        case_varying,
    )
    clock_cols, clock_tpl = _templates(
        clock_table,
        {k: [_clock_values(svc, v, now) for v in vs] for k, vs in kinds.items()},
        dialect,
        clock_varying,
    )
    day = f"{now:%Y%m%d}"

    def cases() -> Iterator[tuple[Any, ...]]:
        for i, kind, v, g in _plan(scale, len(groups)):
            chat, town, prefix = groups[g]
            row = case_tpl[kind][v].copy()
            row[: len(case_varying)] = (
                i, f"{prefix}-{day}-{i:07d}", chat, town, 3 * i, 3 * i + 1, 3 * i + 2,
            )  # fmt: skip
            yield tuple(row)

    def clocks() -> Iterator[tuple[Any, ...]]:
        for i, kind, v, g in _plan(scale, len(groups)):
            chat, town, _ = groups[g]
            row = clock_tpl[kind][v].copy()
            row[: len(clock_varying)] = (i, i, chat, town)
            yield tuple(row)

    return Rows(case_cols, cases()), Rows(clock_cols, clocks())


# --- populating -------------------------------------------------------------------------


def _insert_sqlite(path: str, tables: Sequence[tuple[str, Rows]]) -> dict[str, float]:
    """The rows in one transaction through the standard library's driver; seconds taken."""
    taken: dict[str, float] = {}
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Only this loading connection skips the syncs; the bot's engine sets its own.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for name, rows in tables:
            began = time.perf_counter()
            marks = ", ".join("?" * len(rows.columns))
            conn.executemany(
                f"INSERT INTO {name} ({', '.join(rows.columns)}) VALUES ({marks})", rows.rows
            )
            taken[name] = time.perf_counter() - began
        began = time.perf_counter()
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        taken["commit"] = time.perf_counter() - began
    finally:
        conn.close()
    return taken


async def _insert_postgres(url: str, tables: Sequence[tuple[str, Rows]]) -> dict[str, float]:
    """The rows in one transaction with COPY; seconds taken."""
    taken: dict[str, float] = {}
    conn = await pg.connect(url)
    try:
        async with conn.transaction():
            for name, rows in tables:
                began = time.perf_counter()
                await conn.copy_records_to_table(name, records=rows.rows, columns=rows.columns)
                # The ids were given: the next row the bot adds must not reuse one.
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
                taken[name] = time.perf_counter() - began
        began = time.perf_counter()
        await conn.execute("ANALYZE accident_case; ANALYZE stage_clock")
        taken["analyze"] = time.perf_counter() - began
    finally:
        await conn.close()
    return taken


async def populate(url: str, workdir: Path, scale: Scale) -> tuple[Services, dict[str, float]]:
    """A store of this scale at `url`, and the seconds each part of filling it took."""
    taken: dict[str, float] = {}
    began = time.perf_counter()
    if not is_sqlite(url):
        await pg.fresh_database(url)
    await upgrade_async(url)
    svc = await make_services(url, media_dir=workdir / "media", now=NOW)
    groups = []
    for n, town in enumerate(svc.deployment.townships):
        group = await make_group(svc, chat_id=FIRST_CHAT - n, township=town.code)
        groups.append((group.chat_id, town.code, group.case_prefix))
    taken["schema+groups"] = time.perf_counter() - began
    cases, clocks = build_rows(svc, svc.db.engine.dialect, scale, groups)
    tables = [("accident_case", cases), ("stage_clock", clocks)]
    if is_sqlite(url):
        path = make_url(url).database
        assert path is not None
        taken |= await asyncio.to_thread(_insert_sqlite, path, tables)
    else:
        taken |= await _insert_postgres(url, tables)
    return svc, taken


# --- timing ---------------------------------------------------------------------------


async def _count_due(svc: Services) -> int:
    async with svc.db.session() as s:
        stmt = select(func.count()).select_from(StageClock).where(col(StageClock.due_at) <= NOW)
        return int((await s.exec(stmt)).one())


@dataclass(frozen=True)
class Taken:
    wall: float
    # The process's CPU time, the driver's thread included: what a busy machine leaves alone.
    cpu: float
    fired: int


async def sweep_once(svc: Services, due: int) -> Taken:
    """One sweep's transaction up to its commit, then rolled back."""
    async with svc.db.session() as session:
        began, cpu = time.perf_counter(), time.process_time()
        fired = await sweep_in(session, svc, limit=due)
        # What `in_transaction` runs before its commit, and the writes the commit flushes.
        if svc.before_commit is not None:
            await svc.before_commit(session, svc)
        await session.flush()
        taken = Taken(time.perf_counter() - began, time.process_time() - cpu, fired)
        await session.rollback()
    return taken


@dataclass
class Store:
    """One scale's database and what was measured on it."""

    scale: Scale
    url: str
    svc: Services
    populate_s: dict[str, float]
    fired: int = 0
    sweep_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    statements: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    committed_ms: float = 0.0
    committed_fired: int = 0
    size_mb: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.sweep_ms)


_STATEMENT = re.compile(
    r"\s*(?:(INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)|(SELECT)\b.*?\bFROM\s+(\w+))", re.S
)


async def _statements(store: Store) -> None:
    """Count and time (in the driver) each kind of statement of one sweep."""
    engine = store.svc.db.engine.sync_engine
    found: dict[tuple[str, str], list[float]] = {}

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench.began"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        m = _STATEMENT.match(statement)
        verb, table = (m.group(1, 2) if m.group(1) else m.group(3, 4)) if m else (statement, "")
        key = (verb.split()[0], table)
        entry = found.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += time.perf_counter() - conn.info["bench.began"]

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        fired = (await sweep_once(store.svc, store.scale.due)).fired
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    assert fired == store.fired, (fired, store.fired)
    store.statements = found


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    stores: list[Store] = []
    for n, cases in enumerate((args.small, args.large)):
        scale = Scale(cases=cases, open=min(args.open, cases), due=args.due)
        url = _url(args.database_url, workdir, n)
        svc, populate_s = await populate(url, workdir, scale)
        stores.append(Store(scale, url, svc, populate_s))
    try:
        for store in stores:
            due = await _count_due(store.svc)
            assert due == store.scale.due, f"{due} clocks due, expected {store.scale.due}"
            store.fired = (await sweep_once(store.svc, due)).fired  # warm-up: caches, pages
            assert store.fired >= due, store.fired
            await _statements(store)
        # Alternated, so that a machine busy with something else slows both alike.
        for _ in range(args.runs):
            for store in stores:
                taken = await sweep_once(store.svc, store.scale.due)
                assert taken.fired == store.fired, "a rolled-back sweep left something behind"
                store.sweep_ms.append(1000 * taken.wall)
                store.cpu_ms.append(1000 * taken.cpu)
        reports = [await _profiled(store, args.runs) for store in stores] if args.profile else []
        for store in stores:
            began = time.perf_counter()
            store.committed_fired = await sweep(store.svc)
            store.committed_ms = 1000 * (time.perf_counter() - began)
            if is_sqlite(store.url):
                path = Path(make_url(store.url).database or "")
                files = path.parent.glob(path.name + "*")
                store.size_mb = sum(p.stat().st_size for p in files) / 1e6
    finally:
        for store in stores:
            await store.svc.db.dispose()
    _print(stores, args.runs)
    for report in reports:
        print(report)


def _url(given: str | None, workdir: Path, n: int) -> str:
    """The n-th store's database: a file in `workdir`, or the given PostgreSQL database
    for the first and the same name with `_large` for the second."""
    if given is None:
        return f"sqlite:///{workdir / f'sweep-{n}.db'}"
    if n == 0:
        return given
    u = make_url(given)
    return u.set(database=f"{u.database}_large").render_as_string(hide_password=False)


async def _profiled(store: Store, runs: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        await sweep_once(store.svc, store.scale.due)
    profiler.disable()
    out = io.StringIO()
    print(f"\n--- {store.scale.cases:,} cases: one sweep's statements ---", file=out)
    print(f"{'statement':<28}{'count':>7}{'ms in driver':>14}", file=out)
    for (verb, table), (count, seconds) in sorted(
        store.statements.items(), key=lambda kv: -kv[1][1]
    ):
        print(f"{verb + ' ' + table:<28}{count:>7.0f}{1000 * seconds:>14.1f}", file=out)
    print(f"\n--- {store.scale.cases:,} cases: cProfile of {runs} sweeps ---", file=out)
    print_profile(profiler, out, ours=35)
    return out.getvalue()


def print_profile(profiler: cProfile.Profile, out: io.StringIO, *, ours: int) -> None:
    """The project's own functions by cumulative time, which say which step to make
    cheaper, then the top of the internal time, which says what the whole is made of."""
    own = io.StringIO()
    pstats.Stats(profiler, stream=own).sort_stats("cumulative").print_stats(
        rf"{re.escape(str(ROOT))}/(bot|storage)/", ours
    )
    print(own.getvalue().replace(f"{ROOT}/", ""), file=out)
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(20)


def _print(stores: Sequence[Store], runs: int) -> None:
    small, large = stores
    kind = make_url(small.url).get_backend_name()
    print(
        f"SLA sweep, database: {kind}; {runs} rolled-back sweeps per store after a warm-up, "
        "the two stores alternated"
    )
    print(f"{'':34}{small.scale.cases:>14,}{large.scale.cases:>14,}")

    def both(label: str, value: Callable[[Store], str]) -> None:
        print(f"{label:<34}{value(small):>14}{value(large):>14}")

    both("open clocks / due now", lambda s: f"{s.scale.open:,}/{s.scale.due}")
    for key in dict.fromkeys([*small.populate_s, *large.populate_s]):
        print(
            f"{'populate: ' + key + ' (s)':<34}"
            f"{small.populate_s.get(key, 0):>14.2f}{large.populate_s.get(key, 0):>14.2f}"
        )
    both("populate: total (s)", lambda s: f"{sum(s.populate_s.values()):.2f}")
    if small.size_mb is not None:
        both("database size (MB)", lambda s: f"{s.size_mb or 0:.0f}")
    both("firings per sweep", lambda s: str(s.fired))
    both("SQL statements per sweep", lambda s: f"{sum(c for c, _ in s.statements.values()):.0f}")
    both("sweep: median (ms)", lambda s: f"{s.median:.1f}")
    both("sweep: min (ms)", lambda s: f"{min(s.sweep_ms):.1f}")
    both("sweep: max (ms)", lambda s: f"{max(s.sweep_ms):.1f}")
    both("sweep: CPU time, median (ms)", lambda s: f"{statistics.median(s.cpu_ms):.1f}")
    both("committed sweep(svc), once (ms)", lambda s: f"{s.committed_ms:.1f}")
    both("committed sweep(svc) firings", lambda s: str(s.committed_fired))
    ratio = large.median / small.median
    best = min(large.sweep_ms) / min(small.sweep_ms)
    print(f"ratio large/small: median {ratio:.2f}, min {best:.2f}   (target <= 1.5)")
    print(
        f"slowest median sweep: {max(small.median, large.median):.1f} ms   "
        "(target <= 20 ms on SQLite)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--small", type=int, default=10_000, help="cases of the small store")
    parser.add_argument("--large", type=int, default=1_000_000, help="cases of the large store")
    parser.add_argument("--open", type=int, default=10_000, help="open clocks at each scale")
    parser.add_argument("--due", type=int, default=100, help="open clocks due now")
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL; its database and <name>_large (created if missing) are emptied",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the sweeps")
    args = parser.parse_args()
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    main()
