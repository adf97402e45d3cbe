"""One async engine and sessionmaker per process; Alembic migrations applied on start.

SQLite under TEPAI_DATA_DIR by default (WAL, foreign keys on), PostgreSQL via DATABASE_URL.

Several processes share one SQLite file (the bot, CLI writers): WAL lets readers run beside a
writer, and a writer waits up to BUSY_TIMEOUT_S for another's write transaction instead of
failing at once. Every write transaction in tepai is short — slow work (reading files,
embedding) happens before it opens — so the wait is normally milliseconds. Errors never carry
SQL parameters (they may hold phone numbers): `hide_parameters`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_S = 30


def async_url(url: str) -> str:
    """The driver tepai uses at run time: aiosqlite or psycopg (async)."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The same database for Alembic, which runs synchronously."""
    parsed = make_url(async_url(url))
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed.render_as_string(hide_password=False)


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'tepai.db').resolve()}"


def _alembic(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = sync_url(url)
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    from alembic import command

    if make_url(url).get_backend_name() == "sqlite" and make_url(url).database:
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to `revision` (an operator going back a release; the migration tests)."""
    from alembic import command

    command.downgrade(_alembic(url), revision)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    cursor.close()


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        options: dict = {"pool_pre_ping": True, "hide_parameters": True}
        if make_url(async_url(url)).get_backend_name() == "sqlite":
            # sqlite3's own wait on a locked database, on top of the busy_timeout pragma.
            options["connect_args"] = {"timeout": BUSY_TIMEOUT_S}
        self.engine: AsyncEngine = create_async_engine(async_url(url), **options)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.session: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> Database:
        if migrate:
            upgrade(url)
        return cls(url)

    @classmethod
    @contextlib.asynccontextmanager
    async def opened(cls, url: str) -> AsyncIterator[Database]:
        """`open` for a one-off job (the CLI): closed however the job ends."""
        database = cls.open(url)
        try:
            yield database
        finally:
            await database.close()

    async def close(self) -> None:
        await self.engine.dispose()
