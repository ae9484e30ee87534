"""The liaison office's reports at county scale: one day's digest with and without history,
and a month's export to XLSX at two sizes, with the time and peak memory of each.

(a) The digest of one day holding 5,000 cases (`gather` for that day, then `render` and
    `chart_png`, as the morning job does) from two stores: one holding only that day's
    cases, one holding 1,000,000 cases, the rest spread over the ~200 days before, nearly
    all closed. The day's cases are the same in both (each day is generated from its own
    seed); the large store adds what history really brings to a day: older cases closed
    or paid that day, and the few still open. The ratio says whether history costs.
    --month-to-date adds what the job really sends on a day: the day's digest with the
    month from the 1st to that day, gathered too (one untraced run).
(b) The export of a month (`write_export`, xlsx; csv too with --csv): the large store's
    month of 150,000 cases, next to a month of 15,000 (the small store topped up with
    10,000 cases over the month's other days once (a) is done). A streaming export has
    the same peak for both.

Each store is a fresh migrated database (a SQLite file in a temporary directory, or,
with --database-url, that PostgreSQL database for the small store and `<name>_large`
beside it, both emptied) holding the example deployment, one registered group per
township, and per case its parties, its insurer's claim (and payment when paid) and its
stage clocks, as the use cases leave them. The rows go in with bulk inserts (executemany
on SQLite, COPY on PostgreSQL), day by day, through the loading helpers of
bench/sla_sweep.py.

Times are wall-clock medians of --runs runs after a warm-up (the digest; an export runs
once, its runs are long). Memory: the growth of the resident set over a timed run (the
kernel's high-water mark, reset before the run; it counts what tracemalloc does not see,
SQLite's page cache and the C parts of the libraries, but memory freed by an earlier run
and kept by the allocator hides in it, so a small figure is a lower bound), and the
tracemalloc peak of a separate run (tracing slows a run several times, so it is not
timed; for the exports only with --trace-exports). The export's own call of `gather`
(its summary sheet) is timed apart, and the resident set's growth when it returns.
--profile prints, instead of the figures, the SQL (with SQLite's query plans), a
cProfile (the XLSX writer's thread too) and the largest allocation sites of the large
store's day digest and of a day's export.

    python bench/liaison.py [--total 1000000] [--day-cases 5000] [--history-days 199]
                            [--small-month 15000] [--runs 3] [--csv] [--month-to-date]
                            [--trace-exports] [--database-url URL] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import ctypes
import gc
import io
import os
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Table, event, func
from sqlalchemy.engine import Dialect, make_url
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.case.clocks import calendar_for  # noqa: E402
from bot.config.logs import configure_logging  # noqa: E402
from bot.kernel.services import Services  # noqa: E402
from bot.liaison import commands  # noqa: E402
from bot.liaison import store as liaison_store  # noqa: E402
from bot.liaison.commands import write_export  # noqa: E402
from bot.liaison.digest import Gathered, chart_png, gather, render  # noqa: E402
from bot.liaison.schedule import month_to_date  # noqa: E402
from bot.roles.offices import Oversight  # noqa: E402
from bot.rules.periods import Period, day, month  # noqa: E402
from bot.rules.sla import PER_INSURER, Stage  # noqa: E402
from bot.rules.sla_clock import breach_at, start, stop  # noqa: E402
from storage.db import is_sqlite  # noqa: E402
from storage.migrate import upgrade_async  # noqa: E402
from storage.models import (  # noqa: E402
    Case,
    InsurerClaim,
    Party,
    StageClock,
)
from tests import pg  # noqa: E402
from tests.factories import ASSISTANT, NAMES, POLICE, make_group, make_services  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The sweep's bench loads a big store the same way; one way of doing it is enough.
from sla_sweep import _bound, print_profile  # noqa: E402

T = TypeVar("T")

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
DAY = date(2026, 11, 30)  # the digest's day (a Monday)
# The morning after, at the default digest time: what the job's clock reads.
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=TZ).astimezone(UTC)
EVERYTHING = Oversight(frozenset())
FIRST_CHAT = -1001000000001
ADJUSTER = 5748203915  # 陈晓东 of the example deployment, deciding every claim here
ADJUSTER_NAME = NAMES[ADJUSTER]

# Cases per township and per insurer, roughly as a county's centres see them.
TOWN_WEIGHTS = {
    "YSH": 30, "HS": 12, "SB": 10, "HK": 10, "ZLP": 8, "BS": 8, "SG": 7, "QSQ": 6, "CES": 5,
    "WS": 4,
}  # fmt: skip
INSURER_WEIGHTS = {
    "PICC": 30, "PINGAN": 25, "CPIC": 15, "CLPC": 8, "CCIC": 7, "CIC": 5, "SINOSIG": 4,
    "TPIC": 4, "HNIC": 2,
}  # fmt: skip
# What became of a case, per 10,000: older days are nearly all closed (a few stuck with an
# insurer, some still being paid); the digest's day has every stage in it.
HISTORY_FATES = {"closed": 9545, "cancelled": 200, "police": 250, "stuck": 5}
DAY_FATES = {
    "closed": 5600, "paid": 800, "approved": 800, "awaiting": 1100, "unacked": 300,
    "collecting": 500, "ready": 200, "police": 400, "cancelled": 200, "disputed": 100,
}  # fmt: skip
# Fates whose case waits for its insurer's decision.
WAITING = {
    "awaiting": "awaiting_insurer",
    "unacked": "awaiting_insurer",
    "stuck": "awaiting_insurer",
}
DRIVERS = (
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈杰",
    "杨磊",
    "赵敏",
    "黄勇",
    "周静",
    "吴强",
    "徐丽",
    "孙浩",
)
VEHICLES = ("小型轿车", "小型普通客车", "轻型厢式货车", "小型越野客车")
AMOUNTS = tuple(range(38_000, 1_200_000, 12_345))  # requested fen, one JSON per amount
COMPULSORY_CAP = 200_000  # 交强险财产损失 limit, fen


# --- rows -----------------------------------------------------------------------------

CASE_COLUMNS = (
    "id", "number", "chat_id", "township_code", "status", "thread_mode", "message_thread_id",
    "origin_message_id", "card_message_id", "card_pinned", "opened_by", "opened_by_name",
    "opened_at", "updated_at", "closed_at", "police_at", "eligibility", "ready_at",
    "scenario", "responsible_id", "responsible_name", "police_claimed_by",
    "police_claimed_by_name", "police_claimed_at",
)  # fmt: skip
PARTY_COLUMNS = (
    "id", "case_id", "label", "plate", "insurer_code", "driver_name", "phone",
    "vehicle_type", "estimate_fen", "other_property_fen", "situations", "grade",
)  # fmt: skip
CLAIM_COLUMNS = (
    "id", "case_id", "insurer_code", "round", "status", "layers", "requested_fen",
    "approved_fen", "claim_no", "paid_fen", "decided_by", "decided_by_name", "decided_at",
    "created_at",
)  # fmt: skip
PAYMENT_COLUMNS = ("id", "claim_id", "case_id", "amount_fen", "at", "by", "by_name")
CLOCK_COLUMNS = (
    "id", "case_id", "chat_id", "township_code", "stage", "insurer_code", "state",
    "started_at", "stopped_at", "target_seconds", "worked_seconds", "met_target", "clock",
    "fired", "silenced", "due_at", "breach_at",
)  # fmt: skip
TABLES: dict[str, tuple[str, ...]] = {
    "accident_case": CASE_COLUMNS,
    "party": PARTY_COLUMNS,
    "insurer_claim": CLAIM_COLUMNS,
    "insurer_payment": PAYMENT_COLUMNS,
    "stage_clock": CLOCK_COLUMNS,
}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def local_midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=TZ).astimezone(UTC)


@dataclass(frozen=True)
class Town:
    code: str
    chat_id: int
    prefix: str


@dataclass(frozen=True)
class Clocked:
    """A stage clock of a case: minutes since the builder's base; `stopped` None: running."""

    stage: Stage
    insurer: str | None
    started: int
    stopped: int | None


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {name: [] for name in TABLES}
    )


class Builder:
    """Rows of cases, day by day, as the driver takes them. Instants are whole minutes
    after `base` and bound once per minute (a million cases share a few hundred thousand
    minutes); the JSON of clocks and claims is bound once per kind."""

    def __init__(self, svc: Services, dialect: Dialect, towns: list[Town], base: date) -> None:
        self.svc = svc
        self.towns = towns
        self.town_weights = [TOWN_WEIGHTS.get(t.code, 1) for t in towns]
        self.insurers = [i.code for i in svc.deployment.insurers]
        self.insurer_weights = [INSURER_WEIGHTS.get(c, 1) for c in self.insurers]
        self.base = local_midnight(base)
        self.now = int((NOW - self.base).total_seconds() // 60)
        self.ids = dict.fromkeys(TABLES, 0)
        self.numbers: dict[tuple[str, date], int] = {}
        self.recent_plates: list[str] = []
        self.recent_phones: list[str] = []
        case, claim = _table(Case), _table(InsurerClaim)
        clock = _table(StageClock)
        self._time = case.c.opened_at.type.dialect_impl(dialect).bind_processor(dialect)
        self._stamps: dict[int, Any] = {}
        self.eligibility = _bound(
            case, {"eligibility": {"injuries": False, "vehicles_movable": True}}, dialect
        )["eligibility"]
        self.situations = {
            k: _bound(_table(Party), {"situations": v}, dialect)["situations"]
            for k, v in {"甲": ["rear_end"], "乙": []}.items()
        }
        self.layers = {
            (amount, two): _bound(claim, {"layers": _layers(amount, two)}, dialect)["layers"]
            for amount in AMOUNTS
            for two in (True, False)
        }
        empty = _bound(clock, {"fired": [], "silenced": []}, dialect)
        self.empty_fired, self.empty_silenced = empty["fired"], empty["silenced"]
        self.json_of = lambda value: _bound(clock, {"clock": value}, dialect)["clock"]
        self.terms = {
            (stage, insurer): svc.deployment.sla.terms(stage, insurer)
            for stage in Stage
            for insurer in (*self.insurers, None)
        }
        # A stopped clock's record is in its columns; its JSON, the same per kind, is
        # there because the row has it, not because anything here reads it.
        at = self.base
        self.stopped_json = {
            key: self.json_of(
                stop(start(terms, at), at + timedelta(minutes=5), self._calendar(terms)).to_json()
            )
            for key, terms in self.terms.items()
        }

    def _calendar(self, terms: Any) -> Any:
        return calendar_for(self.svc, terms.calendar)

    def stamp(self, minute: int | None) -> Any:
        if minute is None:
            return None
        found = self._stamps.get(minute)
        if found is None:
            at = self.base + timedelta(minutes=minute)
            found = self._stamps[minute] = self._time(at) if self._time else at
        return found

    def _id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def day(self, d: date, count: int, fates: dict[str, int]) -> Batch:
        """`count` cases opened on local day `d`; the same day and count give the same
        cases (ids aside) in any store."""
        rng = random.Random(d.toordinal() * 1_000_003 + count)
        start_min = int((local_midnight(d) - self.base).total_seconds() // 60)
        # Accidents happen mostly by day: 85 % between 07:00 and 21:00.
        minutes = sorted(
            start_min + (rng.randrange(420, 1260) if rng.random() < 0.85 else rng.randrange(1440))
            for _ in range(count)
        )
        names, weights = list(fates), list(fates.values())
        batch = Batch()
        for opened in minutes:
            town = rng.choices(self.towns, self.town_weights)[0]
            seq = self.numbers[(town.prefix, d)] = self.numbers.get((town.prefix, d), 0) + 1
            number = f"{town.prefix}-{d:%Y%m%d}-{seq:04d}"
            self._case(rng, batch, town, number, opened, rng.choices(names, weights)[0])
        return batch

    def _case(
        self, rng: random.Random, batch: Batch, town: Town, number: str, opened: int, fate: str
    ) -> None:
        case_id = self._id("accident_case")
        insurer = rng.choices(self.insurers, self.insurer_weights)[0]
        two = rng.random() < 0.85
        scene_done = opened + rng.randint(5, 40)
        ping = scene_done + 1
        responded = ping + rng.randint(1, 25)
        decided = max(responded, ping + rng.randint(10, 240))
        # Most are paid the same day; some take the three days they are allowed.
        paid = decided + (rng.randint(30, 480) if rng.random() < 0.8 else rng.randint(480, 4320))
        if fate in ("closed", "paid") and paid + 10 >= self.now:
            fate = "approved"  # not paid yet, this morning
        ready = police = claimed = closed = None
        claim: tuple[str, int, int | None, int | None] | None = None  # status, ping, decided, paid
        status = WAITING.get(fate, fate)
        if fate == "collecting":
            clocks = [Clocked(Stage.SCENE, None, opened, None)]
        elif fate == "cancelled":
            closed = opened + rng.randint(5, 30)
            clocks = [Clocked(Stage.SCENE, None, opened, closed)]
        elif fate == "police":
            police = opened + rng.randint(3, 20)
            claimed = police + rng.randint(5, 50)
            settled = claimed + rng.randint(60, 900)
            if settled < self.now:  # the police settled it off the fast path
                closed, status = settled, "cancelled"
            clocks = [
                Clocked(Stage.SCENE, None, opened, police),
                Clocked(Stage.POLICE_PICKUP, None, police, claimed),
                Clocked(Stage.POLICE_RESOLUTION, None, claimed, closed),
            ]
        else:
            ready = scene_done
            clocks = [Clocked(Stage.SCENE, None, opened, ready)]
            if fate != "ready":
                acted = None if fate == "unacked" else responded
                clocks.append(Clocked(Stage.INSURER_RESPONSE, insurer, ping, acted))
                if fate in WAITING:
                    claim = ("pinged", ping, None, None)
                    clocks.append(Clocked(Stage.INSURER_DECISION, insurer, ping, None))
                else:
                    clocks.append(Clocked(Stage.INSURER_DECISION, insurer, ping, decided))
                if fate == "disputed":
                    claim = ("survey", ping, decided, None)
                    clocks.append(Clocked(Stage.SURVEY, None, decided, None))
                elif fate == "approved":
                    claim = ("approved", ping, decided, None)
                    clocks.append(Clocked(Stage.PAYOUT, insurer, decided, None))
                elif fate in ("paid", "closed"):
                    claim = ("paid", ping, decided, paid)
                    clocks.append(Clocked(Stage.PAYOUT, insurer, decided, paid))
                    closed = paid + 10 if fate == "closed" else None
        times = [opened, ready, police, claimed, closed, *(claim[1:] if claim else ())]
        stamp = self.stamp
        by_police = claimed is not None
        batch.rows["accident_case"].append(
            (
                case_id, number, town.chat_id, town.code, status, "forum", 3 * case_id + 2,
                3 * case_id, 3 * case_id + 1, True, ASSISTANT, NAMES[ASSISTANT],
                stamp(opened), stamp(max(m for m in times if m is not None)), stamp(closed),
                stamp(police), self.eligibility, stamp(ready), "default", ASSISTANT,
                NAMES[ASSISTANT], POLICE if by_police else None,
                NAMES[POLICE] if by_police else None, stamp(claimed),
            )
        )  # fmt: skip
        for label in ("甲", "乙") if two else ("甲",):
            plate = self._repeat(rng, self.recent_plates, f"湘C{rng.randrange(100000):05d}", 0.002)
            phone = f"1{rng.randrange(3, 9)}{rng.randrange(10**9):09d}"
            phone = self._repeat(rng, self.recent_phones, phone, 0.001)
            theirs = (
                insurer if label == "甲" else rng.choices(self.insurers, self.insurer_weights)[0]
            )
            grade = "none" if label == "乙" else "full"
            estimate = rng.randrange(50_000, 800_000, 100)
            driver = rng.choice(DRIVERS) + rng.choice(DRIVERS)[1]
            batch.rows["party"].append(
                (
                    self._id("party"), case_id, label, plate, theirs, driver, phone,
                    rng.choice(VEHICLES), estimate, 0, self.situations[label], grade,
                )
            )  # fmt: skip
        if claim is not None:
            claim_status, ping, decided_at, paid_at = claim
            claim_id = self._id("insurer_claim")
            amount = rng.choice(AMOUNTS)
            approved = amount if claim_status in ("approved", "paid") else None
            batch.rows["insurer_claim"].append(
                (
                    claim_id, case_id, insurer, 1, claim_status, self.layers[(amount, two)],
                    amount, approved, f"R{insurer}{case_id:09d}" if decided_at else None,
                    amount if paid_at is not None else 0, ADJUSTER if decided_at else None,
                    ADJUSTER_NAME if decided_at else None, stamp(decided_at), stamp(ping),
                )
            )  # fmt: skip
            if paid_at is not None:
                batch.rows["insurer_payment"].append(
                    (self._id("insurer_payment"), claim_id, case_id, amount, stamp(paid_at),
                     ADJUSTER, ADJUSTER_NAME)
                )  # fmt: skip
        for c in clocks:
            batch.rows["stage_clock"].append(self._clock(case_id, town, c))

    def _repeat(self, rng: random.Random, recent: list[str], fresh: str, share: float) -> str:
        """Now and then a plate or phone of a case a little before (what the digest's
        repeat check looks for), else a fresh one."""
        if recent and rng.random() < share:
            return rng.choice(recent)
        recent.append(fresh)
        if len(recent) > 200:
            del recent[:100]
        return fresh

    def _clock(self, case_id: int, town: Town, c: Clocked) -> tuple[Any, ...]:
        insurer = c.insurer if c.stage in PER_INSURER else None
        terms = self.terms[(c.stage, insurer)]
        target = int(terms.target.total_seconds())
        if c.stopped is not None:
            worked = 60 * (c.stopped - c.started)
            return (
                self._id("stage_clock"), case_id, town.chat_id, town.code, c.stage.value,
                insurer, "stopped", self.stamp(c.started), self.stamp(c.stopped), target,
                worked, worked <= target, self.stopped_json[(c.stage, insurer)],
                self.empty_fired, self.empty_silenced, None, None,
            )  # fmt: skip
        running = start(terms, self.base + timedelta(minutes=c.started))
        breach = breach_at(running, self._calendar(terms))
        return (
            self._id("stage_clock"), case_id, town.chat_id, town.code, c.stage.value,
            insurer, "running", self.stamp(c.started), None, target, None, None,
            self.json_of(running.to_json()), self.empty_fired, self.empty_silenced, None,
            None if breach is None else self._time(breach) if self._time else breach,
        )  # fmt: skip


def _layers(amount: int, two: bool) -> list[dict[str, Any]]:
    if not two:
        return [{"layer": "own_damage", "payee": "甲", "amount_fen": amount}]
    first = min(amount, COMPULSORY_CAP)
    out = [{"layer": "compulsory_property", "payee": "乙", "amount_fen": first}]
    if amount > first:
        out.append({"layer": "third_party", "payee": "乙", "amount_fen": amount - first})
    return out


# --- loading --------------------------------------------------------------------------


class Loader:
    """One loading connection: the stdlib's sqlite3 (syncs off, a big cache) or asyncpg's
    COPY; each day's rows in one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite: sqlite3.Connection | None = None
        self.pg: Any = None
        self.seconds = dict.fromkeys(TABLES, 0.0)

    async def __aenter__(self) -> Loader:
        if is_sqlite(self.url):
            path = make_url(self.url).database
            assert path is not None
            self.sqlite = sqlite3.connect(path, isolation_level=None)
            # Only this loading connection skips the syncs; the bot's engine sets its own.
            self.sqlite.execute("PRAGMA synchronous=OFF")
            self.sqlite.execute("PRAGMA cache_size=-400000")
        else:
            self.pg = await pg.connect(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.sqlite.close()
        else:
            for name in TABLES:  # the ids were given: the bot's next row must not reuse one
                await self.pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
            await self.pg.execute("ANALYZE")
            await self.pg.close()

    async def load(self, batch: Batch) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("BEGIN")
            for name, rows in batch.rows.items():
                began = time.perf_counter()
                columns = TABLES[name]
                marks = ", ".join("?" * len(columns))
                self.sqlite.executemany(
                    f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows
                )
                self.seconds[name] += time.perf_counter() - began
            self.sqlite.execute("COMMIT")
            return
        async with self.pg.transaction():
            for name, rows in batch.rows.items():
                began = time.perf_counter()
                await self.pg.copy_records_to_table(name, records=rows, columns=TABLES[name])
                self.seconds[name] += time.perf_counter() - began


@dataclass
class Store:
    """One database, what filled it, and what was measured on it."""

    name: str
    url: str
    svc: Services
    builder: Builder
    cases: int = 0
    populate_s: float = 0.0
    generate_s: float = 0.0
    loaded_s: dict[str, float] = field(default_factory=dict)

    def size_mb(self) -> float | None:
        if not is_sqlite(self.url):
            return None
        path = Path(make_url(self.url).database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


async def open_store(name: str, url: str, workdir: Path, first_day: date) -> Store:
    if not is_sqlite(url):
        await pg.fresh_database(url)
    await upgrade_async(url)
    svc = await make_services(url, media_dir=workdir / f"media-{name}", now=NOW)
    towns = []
    for n, town in enumerate(svc.deployment.townships):
        group = await make_group(svc, chat_id=FIRST_CHAT - n, township=town.code)
        towns.append(Town(town.code, group.chat_id, group.case_prefix))
    return Store(name, url, svc, Builder(svc, svc.db.engine.dialect, towns, first_day))


async def add_days(store: Store, days: list[tuple[date, int, dict[str, int]]]) -> None:
    """Cases for each (day, count, fates), loaded a day at a time."""
    began = time.perf_counter()
    async with Loader(store.url) as loader:
        for d, count, fates in days:
            made = time.perf_counter()
            batch = store.builder.day(d, count, fates)
            store.generate_s += time.perf_counter() - made
            await loader.load(batch)
            store.cases += count
    for name, seconds in loader.seconds.items():
        store.loaded_s[name] = store.loaded_s.get(name, 0.0) + seconds
    store.populate_s += time.perf_counter() - began


def spread(total: int, first: date, last: date) -> list[tuple[date, int]]:
    """`total` cases over the days from `first` to `last`, as evenly as whole cases go."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    each, extra = divmod(total, len(days))
    return [(d, each + (1 if n < extra else 0)) for n, d in enumerate(days)]


# --- measuring ------------------------------------------------------------------------


def _release() -> None:
    """Give freed memory back before a run, so that its growth is its own."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _status_kb(key: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) if found else None


class Rss:
    """The peak resident-set growth over a block, in MB (`growth()` so far, `peak` at the
    end). getrusage's maxrss only ever rises, so a run below an earlier peak would read 0:
    where the kernel allows, its high-water mark is reset first (clear_refs) and read back
    (VmHWM); elsewhere the growth of maxrss is what there is."""

    def __init__(self) -> None:
        self.peak = 0.0

    def __enter__(self) -> Rss:
        _release()
        self.base = _status_kb("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.resettable = self.base is not None
        except OSError:
            self.resettable = False
        self.maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return self

    def growth(self) -> float:
        if self.resettable:
            return ((_status_kb("VmHWM") or 0) - (self.base or 0)) / 1024
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self.maxrss) / 1024

    def __exit__(self, *exc: object) -> None:
        self.peak = self.growth()


class PeakSites:
    """Where the traced peak was allocated: snapshots taken from a watching thread each
    time the traced memory passes the last snapshot by a quarter, the last one kept."""

    def __init__(self) -> None:
        self.snapshot: tracemalloc.Snapshot | None = None
        self._size = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakSites:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            current, _ = tracemalloc.get_traced_memory()
            if current > self._size * 1.25 + 5e6:
                self.snapshot = tracemalloc.take_snapshot()
                self._size = current

    def report(self, top: int = 12) -> str:
        if self.snapshot is None:
            return "(no snapshot)"
        # The project's frame is missing where SQLAlchemy's asyncio greenlet ran the code.
        out = [
            f"traced at the last snapshot: {self._size / 1e6:.0f} MB; largest sites "
            "(the project's innermost frame, where on the stack; the allocating line):"
        ]
        ours = f"{ROOT}/"
        stats = self.snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        for stat in stats.statistics("traceback")[:top]:
            frames = list(stat.traceback)  # oldest call first
            mine = [
                f for f in frames if f.filename.startswith(ours) and "/.venv/" not in f.filename
            ]
            where = f"{mine[-1].filename.removeprefix(ours)}:{mine[-1].lineno}" if mine else "-"
            inner = frames[-1]
            lib = inner.filename.split("site-packages/")[-1].split("lib/python3.11/")[-1]
            out.append(
                f"  {stat.size / 1e6:7.1f} MB {stat.count:>9,} blocks  {where:<36} {lib}:{inner.lineno}"
            )
        return "\n".join(out)


async def traced(
    call: Callable[[], Awaitable[T]], *, sites: bool = False
) -> tuple[T, float, str | None]:
    """The call's result and its tracemalloc peak (MB); with `sites`, where it went."""
    _release()
    tracemalloc.start(60 if sites else 1)
    try:
        if sites:
            with PeakSites() as watch:
                result = await call()
            report: str | None = watch.report()
        else:
            result, report = await call(), None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 1e6, report


@dataclass
class Digest:
    """What one digest run read and how long each part took (seconds)."""

    parts: dict[str, float]
    opened: int
    closed: int
    overdue: int
    messages: int
    png_bytes: int


async def digest_once(svc: Services, period: Period, with_month: bool = False) -> Digest:
    """The day's digest as the job builds it (`with_month`: and the month to date)."""
    began = time.perf_counter()
    async with svc.db.session() as session:
        got = await gather(session, svc, period, EVERYTHING)
        gathered = time.perf_counter()
        month_got: Gathered | None = None
        span = month_to_date(period, ZONE) if with_month else None
        if span is not None:
            month_got = await gather(session, svc, span, EVERYTHING)
    month_done = time.perf_counter()
    parts = render(svc, got, lang="zh", personal=False, month=month_got)
    rendered = time.perf_counter()
    png = chart_png(svc, got, lang="zh")
    drawn = time.perf_counter()
    f = got.figures
    return Digest(
        parts={
            "gather": gathered - began,
            "gather month": month_done - gathered,
            "render": rendered - month_done,
            "chart": drawn - rendered,
            "total": drawn - began,
        },
        opened=f.opened,
        closed=f.closed,
        overdue=got.overdue_total,
        messages=len(parts),
        png_bytes=len(png),
    )


@dataclass
class DigestFigures:
    runs: list[Digest] = field(default_factory=list)
    cold: Digest | None = None
    read: tuple[int, int, int] = (0, 0, 0)  # the rows the figures are made of
    cpu_s: list[float] = field(default_factory=list)
    traced_mb: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    month_total_s: float | None = None
    month_rss_mb: list[float] = field(default_factory=list)

    def median(self, part: str) -> float:
        return statistics.median(r.parts[part] for r in self.runs)


async def measure_digest(
    stores: list[Store], period: Period, runs: int, with_month: bool
) -> list[DigestFigures]:
    say("digest")
    found = [DigestFigures() for _ in stores]
    for store, fig in zip(stores, found, strict=True):
        fig.cold = await digest_once(store.svc, period)  # imports, caches, first pages
        async with store.svc.db.session() as session:
            rows = await liaison_store.period_rows(session, period, EVERYTHING)
        fig.read = (len(rows.cases), len(rows.claims), len(rows.stages))
    for _ in range(runs):  # alternated: a machine busy elsewhere slows both alike
        for store, fig in zip(stores, found, strict=True):
            with Rss() as rss:
                cpu = time.process_time()
                fig.runs.append(await digest_once(store.svc, period))
                fig.cpu_s.append(time.process_time() - cpu)
            fig.rss_mb.append(rss.peak)
    for store, fig in zip(stores, found, strict=True):
        _, fig.traced_mb, _ = await traced(partial(digest_once, store.svc, period))
    if with_month:
        say("digest with the month to date")
        for store, fig in zip(stores, found, strict=True):
            with Rss() as rss:
                fig.month_total_s = (await digest_once(store.svc, period, True)).parts["total"]
            fig.month_rss_mb.append(rss.peak)
    return found


@dataclass
class Export:
    fmt: str
    cases: int = 0
    seconds: float = 0.0
    cpu_s: float = 0.0
    file_mb: float = 0.0
    rss_mb: float = 0.0
    traced_mb: float | None = None
    # The summary sheet's figures: the period's `gather`, run before the first row.
    summary_s: float = 0.0
    summary_rss_mb: float = 0.0


@contextmanager
def watching_summary(out: Export, rss: Rss) -> Iterator[None]:
    """Times the export's own call of `gather` (its summary sheet) and notes the resident
    set's peak growth when it returns, before the first row is read."""
    real = commands.gather

    async def timed(*args: Any, **kwargs: Any) -> Gathered:
        began = time.perf_counter()
        try:
            return await real(*args, **kwargs)
        finally:
            out.summary_s += time.perf_counter() - began
            out.summary_rss_mb = rss.growth()

    commands.gather = timed
    try:
        yield
    finally:
        commands.gather = real


async def export_once(svc: Services, period: Period, path: Path, fmt: str) -> int:
    try:
        return await write_export(svc, period, EVERYTHING, path, lang="zh", fmt=fmt)
    finally:
        path.unlink(missing_ok=True)


async def measure_export(
    store: Store, period: Period, fmt: str, workdir: Path, trace: bool
) -> Export:
    say(f"export {period.label} of the {store.name} store to {fmt}")
    out = Export(fmt)
    path = workdir / f"export-{store.name}.{fmt}"
    with Rss() as rss, watching_summary(out, rss):
        began, cpu = time.perf_counter(), time.process_time()
        # Not `export_once`: the file's size is wanted before it goes.
        out.cases = await write_export(store.svc, period, EVERYTHING, path, lang="zh", fmt=fmt)
        out.seconds = time.perf_counter() - began
        out.cpu_s = time.process_time() - cpu
    out.rss_mb = rss.peak
    out.file_mb = path.stat().st_size / 1e6
    path.unlink()
    say(f"  {out.cases:,} rows in {out.seconds:.1f} s")
    if trace:
        _, out.traced_mb, _ = await traced(lambda: export_once(store.svc, period, path, fmt))
    return out


# --- profiling ------------------------------------------------------------------------

_STATEMENT = re.compile(r"\s*SELECT\b.*?\bFROM\s+(\w+)", re.S)


async def statements(store: Store, call: Callable[[], Awaitable[Any]]) -> str:
    """Each kind of SELECT one call runs: how many, how long executing, and (on SQLite)
    the plan of its first one, which says whether an index or a scan serves it."""
    engine = store.svc.db.engine.sync_engine
    found: dict[str, list[Any]] = {}

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench.began"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        m = _STATEMENT.match(statement)
        key = f"SELECT … FROM {m.group(1)}" if m else statement.split()[0]
        entry = found.setdefault(key, [0, 0.0, statement, parameters])
        entry[0] += 1
        entry[1] += time.perf_counter() - conn.info["bench.began"]

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        await call()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    lines = [f"{'statement':<34}{'count':>7}{'ms executing':>14}"]
    plans = []
    for key, (count, seconds, statement, parameters) in sorted(
        found.items(), key=lambda kv: -kv[1][1]
    ):
        lines.append(f"{key:<34}{count:>7.0f}{1000 * seconds:>14.1f}")
        if is_sqlite(store.url) and key.startswith("SELECT"):
            conn = sqlite3.connect(make_url(store.url).database or "")
            try:
                plan = conn.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            finally:
                conn.close()
            plans.append(f"  {key}: " + "; ".join(str(step[-1]) for step in plan))
    return "\n".join([*lines, "query plans (SQLite):", *plans] if plans else lines)


@contextmanager
def profiling_writer(into: list[cProfile.Profile]) -> Iterator[None]:
    """A cProfile of the XLSX writer too: it runs in a thread of its own, which the
    profile of the event loop's thread does not see."""
    real = commands.write_xlsx

    def profiled_write(*args: Any, **kwargs: Any) -> int:
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return real(*args, **kwargs)
        finally:
            profiler.disable()
            into.append(profiler)

    commands.write_xlsx = profiled_write
    try:
        yield
    finally:
        commands.write_xlsx = real


def _stats(profiler: cProfile.Profile, label: str) -> str:
    out = io.StringIO()
    print(f"\n--- cProfile: {label} ---", file=out)
    print_profile(profiler, out, ours=25)
    return out.getvalue()


async def profiled(call: Callable[[], Awaitable[Any]], label: str) -> str:
    profiler = cProfile.Profile()
    writers: list[cProfile.Profile] = []
    with profiling_writer(writers):
        profiler.enable()
        await call()
        profiler.disable()
    return "".join(
        [
            _stats(profiler, label),
            *(_stats(w, f"{label}: the XLSX writer's thread") for w in writers),
        ]
    )


async def profile_all(stores: list[Store], period: Period, workdir: Path) -> None:
    """Where the time and memory go, printed as each part is done: the large store's
    digest of the day, and the export of that day from the small store (a row costs the
    same in any period; the summary's `gather` is the digest's, profiled first)."""
    small, large = stores
    svc = large.svc

    async def day_gather() -> Gathered:
        async with svc.db.session() as session:
            return await gather(session, svc, period, EVERYTHING)

    print(f"\n=== profile: the day's digest in the {large.cases:,}-case store ===")
    print("\n--- SQL of one day's gather ---\n" + await statements(large, day_gather))
    print(await profiled(partial(digest_once, svc, period), "one day's digest"), flush=True)
    _, _, sites = await traced(partial(digest_once, svc, period), sites=True)
    print("\n--- tracemalloc: one day's digest ---\n" + (sites or ""), flush=True)
    label = f"export of {period.label} (xlsx) from the {small.cases:,}-case store"
    print(f"\n=== profile: {label} ===")
    export = partial(export_once, small.svc, period, workdir / "profile.xlsx", "xlsx")
    print(f"\n--- SQL of the {label} ---\n" + await statements(small, export))
    print(await profiled(export, label), flush=True)


_BEGAN = time.perf_counter()


def say(what: str) -> None:
    """Progress, on stderr: the figures come at the end, on stdout."""
    print(f"[{time.perf_counter() - _BEGAN:6.1f} s] {what}", file=sys.stderr, flush=True)


# --- the run --------------------------------------------------------------------------


def _url(given: str | None, workdir: Path, name: str) -> str:
    if given is None:
        return f"sqlite:///{workdir / f'liaison-{name}.db'}"
    if name == "small":
        return given
    u = make_url(given)
    return u.set(database=f"{u.database}_large").render_as_string(hide_password=False)


async def count_cases(svc: Services, period: Period) -> int:
    async with svc.db.session() as s:
        stmt = (
            select(func.count())
            .select_from(Case)
            .where(
                Case.opened_at >= period.start,
                Case.opened_at < period.end,
            )
        )
        return int((await s.exec(stmt)).one())


async def bench(args: argparse.Namespace, workdir: Path) -> None:
    the_day = day(DAY, ZONE)
    the_month = month(DAY.year, DAY.month, ZONE)
    first = DAY - timedelta(days=args.history_days)
    history = args.total - args.day_cases
    small = await open_store("small", _url(args.database_url, workdir, "small"), workdir, first)
    large = await open_store("large", _url(args.database_url, workdir, "large"), workdir, first)
    stores = [small, large]
    try:
        await add_days(small, [(DAY, args.day_cases, DAY_FATES)])
        say(f"small store: {small.cases:,} cases in {small.populate_s:.1f} s")
        plan = [(d, n, HISTORY_FATES) for d, n in spread(history, first, DAY - timedelta(1))]
        await add_days(large, [*plan, (DAY, args.day_cases, DAY_FATES)])
        say(f"large store: {large.cases:,} cases in {large.populate_s:.1f} s")
        sizes = {s.name: s.size_mb() for s in stores}
        if args.profile:  # profiled runs time nothing worth printing beside the figures
            await profile_all(stores, the_day, workdir)
        else:
            digest = await measure_digest(stores, the_day, args.runs, args.month_to_date)
            await top_up(small, args)
            month_cases = [await count_cases(s.svc, the_month) for s in stores]
            say("exporting")
            exports: dict[str, list[Export]] = {}
            for fmt in ("xlsx", "csv") if args.csv else ("xlsx",):
                exports[fmt] = [
                    await measure_export(s, the_month, fmt, workdir, args.trace_exports)
                    for s in stores
                ]
    finally:
        for store in stores:
            await store.svc.db.dispose()
    if not args.profile:
        _print(args, stores, sizes, digest, month_cases, exports, the_month)


async def top_up(small: Store, args: argparse.Namespace) -> None:
    """The small store's month: the digest's day and the rest of the month before it."""
    rest = args.small_month - args.day_cases
    if rest > 0:
        days = spread(rest, DAY.replace(day=1), DAY - timedelta(1))
        await add_days(small, [(d, n, HISTORY_FATES) for d, n in days])


class SideBySide:
    """Two stores or months side by side, and the second's ratio to the first."""

    def __init__(self, title: str, left: str, right: str) -> None:
        print(f"\n{title}")
        print(f"{'':40}{left:>18}{right:>18}{'ratio':>8}")

    def row(
        self, label: str, a: float | None, b: float | None, fmt: str = ".0f", ratio: bool = True
    ) -> None:
        def shown(v: float | None) -> str:
            return "—" if v is None else format(v, fmt)

        r = f"{b / a:.2f}" if ratio and a and b is not None else ""
        print(f"{label:<40}{shown(a):>18}{shown(b):>18}{r:>8}")

    def text(self, label: str, a: str, b: str) -> None:
        print(f"{label:<40}{a:>18}{b:>18}")


def _print(
    args: argparse.Namespace,
    stores: list[Store],
    sizes: dict[str, float | None],
    digest: list[DigestFigures],
    month_cases: list[int],
    exports: dict[str, list[Export]],
    the_month: Period,
) -> None:
    small, large = stores
    kind = make_url(small.url).get_backend_name()
    print(f"\nLiaison office reports; database: {kind}; {os.cpu_count()} CPUs")
    t = SideBySide("populating (the small store's month top-up included)", "small", "large")
    t.row("cases stored", small.cases, large.cases, ",", ratio=False)
    for name in TABLES:
        t.row(f"  {name} insert (s)", small.loaded_s[name], large.loaded_s[name], ".1f", False)
    t.row("  rows generated (s)", small.generate_s, large.generate_s, ".1f", False)
    t.row("  total (s)", small.populate_s, large.populate_s, ".1f", False)
    t.row("database size (MB)", sizes["small"], sizes["large"], ".0f", False)

    a, b = digest
    assert a.cold is not None and b.cold is not None
    t = SideBySide(
        f"(a) digest of {DAY}: gather, render, chart_png; median of {args.runs} runs after "
        "a warm-up",
        f"{args.day_cases:,} stored",
        f"{args.total:,}",
    )
    t.text("opened / closed that day", f"{a.cold.opened:,}/{a.cold.closed:,}",
           f"{b.cold.opened:,}/{b.cold.closed:,}")  # fmt: skip
    for n, what in enumerate(("cases", "claims", "stopped stages")):
        t.row(f"rows read: {what}", a.read[n], b.read[n], ",")
    t.text("overdue cases / messages / chart (kB)",
           f"{a.cold.overdue}/{a.cold.messages}/{a.cold.png_bytes // 1000}",
           f"{b.cold.overdue}/{b.cold.messages}/{b.cold.png_bytes // 1000}")  # fmt: skip
    for part in ("gather", "render", "chart", "total"):
        t.row(f"{part} (ms)", 1e3 * a.median(part), 1e3 * b.median(part))
    fastest, slowest_run = ([1e3 * pick(r.parts["total"] for r in f.runs) for f in digest]
                            for pick in (min, max))  # fmt: skip
    t.row("total: fastest run (ms)", fastest[0], fastest[1])
    t.row("total: slowest run (ms)", slowest_run[0], slowest_run[1])
    t.row(
        "CPU time, median (ms)", 1e3 * statistics.median(a.cpu_s), 1e3 * statistics.median(b.cpu_s)
    )
    t.row("first run, cold (ms)", 1e3 * a.cold.parts["total"], 1e3 * b.cold.parts["total"])
    t.row("tracemalloc peak (MB)", a.traced_mb, b.traced_mb, ".1f")
    t.row("RSS peak growth, largest run (MB)", max(a.rss_mb), max(b.rss_mb), ".1f")
    if a.month_total_s is not None and b.month_total_s is not None:
        t.text("with the month to date, as the job sends it:", "", "")
        t.row("  total, one run (ms)", 1e3 * a.month_total_s, 1e3 * b.month_total_s)
        t.row("  RSS peak growth (MB)", max(a.month_rss_mb), max(b.month_rss_mb), ".1f")
    slowest = max(a.median("total"), b.median("total"))
    biggest = max(a.traced_mb, b.traced_mb, *a.rss_mb, *b.rss_mb)
    verdict = "met" if slowest <= 2 and biggest <= 200 else "MISSED"
    print(
        f"target digest <= 2 s and <= 200 MB: {verdict} (slowest median {slowest:.2f} s, "
        f"largest peak {biggest:.0f} MB)"
    )

    for fmt, (e, f) in exports.items():
        t = SideBySide(
            f"(b) export of {the_month.label} to {fmt} (write_export, one run each)",
            "small month",
            "big month",
        )
        t.row("cases in the month", month_cases[0], month_cases[1], ",")
        t.row("rows written", e.cases, f.cases, ",")
        t.row("time (s)", e.seconds, f.seconds, ".1f")
        t.row("CPU time of the process (s)", e.cpu_s, f.cpu_s, ".1f")
        t.row("rows per second", e.cases / e.seconds, f.cases / f.seconds, ",.0f", False)
        if fmt == "xlsx":
            t.row("  summary sheet's gather (s)", e.summary_s, f.summary_s, ".1f")
            t.row("  RSS growth when it is done (MB)", e.summary_rss_mb, f.summary_rss_mb, ".1f")
        t.row("file size (MB)", e.file_mb, f.file_mb, ".1f")
        t.row("RSS peak growth (MB)", e.rss_mb, f.rss_mb, ".1f")
        t.row("tracemalloc peak (MB)", e.traced_mb, f.traced_mb, ".1f")
        grows = f.rss_mb / max(e.rss_mb, 1.0)
        verdict = "flat" if grows <= 1.5 else "NOT flat"
        print(
            f"target memory flat in the rows: {verdict} ({grows:.1f}x the RSS peak for "
            f"{f.cases / max(e.cases, 1):.0f}x the rows)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=1_000_000, help="cases of the large store")
    parser.add_argument("--day-cases", type=int, default=5_000, help="cases on the digest's day")
    parser.add_argument("--history-days", type=int, default=199, help="days of history before it")
    parser.add_argument("--small-month", type=int, default=15_000, help="the small month's cases")
    parser.add_argument("--runs", type=int, default=3, help="timed digest runs per store")
    parser.add_argument("--csv", action="store_true", help="also export the months as CSV")
    parser.add_argument(
        "--month-to-date", action="store_true", help="also the digest with the month to date"
    )
    parser.add_argument(
        "--trace-exports",
        action="store_true",
        help="also each export's tracemalloc peak (a traced run is several times slower)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL URL; its database and <name>_large (created if missing) are emptied",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the figures: the SQL, cProfile and memory sites of the large store's "
        "digest and of the small month's export",
    )
    args = parser.parse_args()
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory(prefix="kuaipei-bench-") as tmp:
        asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    main()
