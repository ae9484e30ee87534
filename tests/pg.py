"""PostgreSQL for the suite and the benches: an asyncpg connection to the database a
SQLAlchemy URL names, a database made where it is missing, a schema emptied.

asyncpg is imported when first needed, so a run on SQLite never loads it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import make_url


async def connect(url: str, *, database: str | None = None) -> Any:
    """An asyncpg connection to the server and database of `url` (or to `database` on it)."""
    import asyncpg

    u = make_url(url)
    return await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database=database or u.database,
    )


async def create_database(url: str, name: str, *, via: str | None = None) -> None:
    """Database `name` on the server of `url`, made unless it is there; asked through the
    URL's database, or `via` where that may not exist yet."""
    conn = await connect(url, database=via)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def clone_database(url: str, template: str) -> None:
    """The database of `url` made afresh as a copy of `template`, whatever was left
    connected to the old one cut off (a test's engines, a killed bot's connections)."""
    name = make_url(url).database
    assert name and name != template, f"{url} cannot be a copy of {template}"
    await _on_server(url, _drop(name), f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


async def drop_database(url: str, name: str) -> None:
    """Database `name` on the server of `url` gone, whoever was connected to it."""
    await _on_server(url, _drop(name))


def _drop(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


async def _on_server(url: str, *statements: str) -> None:
    """Statements run one by one through the server's own `postgres` database."""
    conn = await connect(url, database="postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def wipe_schema(url: str) -> None:
    """The database of `url` emptied: its public schema dropped and made again."""
    conn = await connect(url)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


async def fresh_database(url: str) -> None:
    """The database of `url` there and empty, made through the server's own `postgres`."""
    name = make_url(url).database
    assert name, f"{url} names no database"
    await create_database(url, name, via="postgres")
    await wipe_schema(url)
