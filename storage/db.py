"""Engine and sessions: async SQLModel over SQLite (default) or PostgreSQL."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

# session.info key: the chats a transaction added outbox rows for, so that its commit can
# wake those chats' sender lanes directly instead of the sender looking for them.
OUTBOX_CHATS = "outbox_chats"


class _Session(Session):
    """The sync session under every AsyncSession of a Database (for the flush hook)."""


@event.listens_for(_Session, "before_flush")
def _note_outbox_chats(session: Session, _context: Any, _instances: Any) -> None:
    from storage.models import OutboxItem  # models import this module's neighbours

    for obj in session.new:
        if isinstance(obj, OutboxItem):
            session.info.setdefault(OUTBOX_CHATS, set()).add(obj.chat_id)


def async_url(url: str) -> str:
    """Map a plain SQLAlchemy URL to its asyncio driver (aiosqlite / asyncpg)."""
    u = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}.get(u.drivername)
    if driver is None and u.drivername in ("postgres",):
        driver = "postgresql+asyncpg"
    return u.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def sync_url(url: str) -> str:
    """Map an asyncio URL back to the plain dialect name, for display and checks."""
    u = make_url(url)
    return u.set(drivername=u.get_backend_name()).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """Tell whether a URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


# Attribute of an aiosqlite connection: SQLAlchemy began a transaction whose BEGIN has not
# been sent yet (it goes with the first statement, see _OneTripConnection).
_BEGIN_PENDING = "_kuaipei_begin_pending"


def _run_statement(
    aconn: Any, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """One statement, whole, in aiosqlite's thread: the transaction's deferred BEGIN when it
    is the first, then cursor, execute, rows, close."""
    conn = aconn._conn
    if getattr(aconn, _BEGIN_PENDING, False):
        conn.execute("BEGIN IMMEDIATE")
        # Cleared only once BEGIN went through: a BEGIN refused (busy past the timeout) is
        # tried again by the next statement, so no statement runs outside the transaction.
        setattr(aconn, _BEGIN_PENDING, False)
    cur = conn.cursor()
    try:
        if many:
            cur.executemany(operation, parameters)
        elif parameters is None:
            cur.execute(operation)
        else:
            cur.execute(operation, parameters)
        rows = cur.fetchall() if cur.description else []
        return cur.description, cur.rowcount, cur.lastrowid, rows
    finally:
        cur.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A statement in one trip to aiosqlite's thread instead of three or four.

    SQLAlchemy's aiosqlite cursor opens an aiosqlite cursor, executes, fetches and closes,
    each a hop to the driver's thread and back to the event loop. On a busy machine each
    hop waits for the scheduler, and those hops were most of an update's time on the way
    to its reply (README, "Performance"). Here the whole statement is one function run in
    that thread; the rows come back with it, so reading them needs no further hop.
    """

    __slots__ = ("_description", "_rowcount", "_lastrowid")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def close(self) -> None:
        self._rows.clear()

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            aconn = self._connection
            self._description, self._rowcount, self._lastrowid, rows = await aconn._execute(
                _run_statement, aconn, operation, parameters, many
            )
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(operation, seq_of_parameters, True)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with the one-trip cursor (server-side cursors,
    for streamed results, stay as they are), and no trip for what does nothing.

    A transaction's BEGIN IMMEDIATE travels with its first statement instead of making a
    trip of its own; a transaction that ran no statement began nothing and commits or rolls
    back without a trip; and the pool's rollback when a connection is returned, after the
    transaction was already committed or rolled back, is skipped when SQLite says no
    transaction is open. Two trips fewer per transaction (five transactions per update).
    """

    __slots__ = ()
    _cursor_cls = _OneTripCursor

    def begin_deferred(self) -> None:
        """Have the next statement send BEGIN IMMEDIATE first."""
        setattr(self._connection, _BEGIN_PENDING, True)

    def _nothing_began(self) -> bool:
        aconn = self._connection
        if getattr(aconn, _BEGIN_PENDING, False):
            setattr(aconn, _BEGIN_PENDING, False)
            return True
        return False

    def commit(self) -> None:
        if not self._nothing_began():
            super().commit()

    def rollback(self) -> None:
        if self._nothing_began():
            return
        sqlite_conn = self._connection._connection
        # The pool's reset after a transaction that already ended: SQLite knows there is
        # none open (reading the flag needs no trip); anything else rolls back for real.
        if sqlite_conn is not None and not sqlite_conn.in_transaction:
            return
        super().rollback()


# How long a SQLite transaction waits for the write lock (every transaction, reads too,
# begins IMMEDIATE). SQLite's busy wait is not a queue: on a loaded machine, with the
# sender's lanes, the handlers and the sweep all asking, one connection was starved past
# 5 s (the crash day of tests/e2e/day.py), and an update failed for good on it.
SQLITE_BUSY_MS = 30_000


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, a busy timeout, foreign keys and BEGIN IMMEDIATE."""
    aurl = async_url(url)
    # Parameters are names, phones and confirmation tokens: keep them out of the
    # statement log and out of error messages.
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(aurl):
        # A server that never answers must fail in seconds, not asyncpg's minute.
        kwargs.setdefault("connect_args", {"timeout": 10})
        return create_async_engine(aurl, pool_pre_ping=True, **kwargs)
    _prepare_sqlite_file(aurl)
    engine = create_async_engine(aurl, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if type(dbapi_conn) is AsyncAdapt_aiosqlite_connection:
            dbapi_conn.__class__ = _OneTripConnection
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives
        # the process being killed (the inbox's and outbox's crash promise), and the file
        # stays consistent on power loss, which may roll back the last commits (FULL would
        # keep those, at an fsync per commit: per update stored, claimed and sent).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes can fail with "database is
        # locked" instead of waiting; IMMEDIATE takes the write lock up front.
        dbapi_conn = conn.connection.dbapi_connection
        if isinstance(dbapi_conn, _OneTripConnection):
            dbapi_conn.begin_deferred()  # sent with the first statement
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class DatabaseUnreachable(RuntimeError):
    """The database could not be opened; the message names where, never the password."""


def where(url: str) -> str:
    """A database's address for messages: host:port/name or the SQLite file."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return u.database or ":memory:"
    return f"{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"


async def probe(url: str) -> None:
    """Open the database once; raise DatabaseUnreachable naming where and why it failed."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    except (DBAPIError, OSError, TimeoutError) as exc:
        reason = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig else str(exc)
        # Later lines hold the statement; the first one says why.
        first = (reason.strip() or type(exc).__name__).splitlines()[0][:200]
        raise DatabaseUnreachable(f"cannot open the database at {where(url)} ({first})") from None
    finally:
        await engine.dispose()


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False, sync_session_class=_Session
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any exception."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (still one transaction, closed at the end)."""
        async with self._sessions() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
