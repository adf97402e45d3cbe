"""Which process is the outbox's sender: exactly one at a time, however many run.

Two ways to hold the right to send, chosen by the database:

- **PostgreSQL: a session-level advisory lock** (`pg_try_advisory_lock`) taken on a connection
  the sender keeps for its whole life. PostgreSQL releases it the moment that connection ends —
  a clean stop, a crash, `kill -9` (the kernel closes the socket, the backend exits) — so a
  standby takes over within its next try (`retry`, 1 s), with no lease to run out. Every claim
  (queued → sending) is one autocommit UPDATE run *on that same connection*: a claim can only
  commit while its backend holds the lock, and a new holder can only get the lock after that
  backend is gone, so every claim the old holder made is committed before the new holder looks
  for rows to recover. No fencing by time, no clock, no pid guessing.
- **SQLite (one machine): the lease row** in `sender_leases` (store/outbox.py `hold_lease`),
  renewed by a heartbeat; each claim checks the lease in the same UPDATE.

Why not `SELECT … FOR UPDATE SKIP LOCKED` per row: a row lock lasts only as long as its
transaction, so it would either hold a transaction open across the Telegram request (forbidden,
and a crash would roll the claim back and let the survivor send the row again) or be committed
as a status change straight away — which is what the atomic `queued → sending` UPDATE already is.
And several senders at once would each pace themselves at 30/s against one bot token's limit.
One sender, many rows: the lock decides who, the row's status decides what.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from store import outbox as ob
from store.db import Database

log = logging.getLogger(__name__)

# pg_try_advisory_lock(int, int): one number for tepai, one for the role. Advisory locks are per
# database, so two tepai databases on one server do not contend.
LOCK_KEY = (0x7E9A1, 1)
# A holder cut off by the network (not crashed) keeps its lock until its backend notices the
# socket is dead: these per-session settings make that ~25 s instead of the OS default of hours.
KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3")


class SenderLock:
    """The right to send. `hold()` takes it if free or checks it is still held:
    (held, newly taken). `claim()` moves one row queued → sending only while held."""

    owner: str
    retry: float  # how often a process that does not hold it tries again (seconds)

    async def hold(self) -> tuple[bool, bool]:
        raise NotImplementedError

    async def claim(self, delivery_id: int) -> int | None:
        raise NotImplementedError

    async def release(self) -> None:
        raise NotImplementedError


class LeaseLock(SenderLock):
    """SQLite: the `sender_leases` row, `ttl` seconds, renewed by the sender's heartbeat."""

    def __init__(self, db: Database, owner: str, ttl: float = 20.0, retry: float = 5.0) -> None:
        self.db, self.owner, self.ttl, self.retry = db, owner, ttl, retry
        self.held = False

    async def hold(self) -> tuple[bool, bool]:
        async with self.db.session() as session, session.begin():
            held, taken = await ob.hold_lease(session, self.owner, self.ttl)
        self.held = held
        return held, taken

    async def claim(self, delivery_id: int) -> int | None:
        async with self.db.session() as session, session.begin():
            return await ob.claim(session, delivery_id, self.owner)

    async def release(self) -> None:
        if self.held:  # a clean stop hands over at once
            async with self.db.session() as session, session.begin():
                await ob.release_lease(session, self.owner)
            self.held = False


class AdvisoryLock(SenderLock):
    """PostgreSQL: `pg_try_advisory_lock` on a connection kept for the sender's life."""

    def __init__(self, db: Database, owner: str, retry: float = 1.0) -> None:
        self.db, self.owner, self.retry = db, owner, retry
        self.held = False
        self.backend_pid: int | None = None  # the PostgreSQL backend holding (or trying for) the lock
        self._conn: AsyncConnection | None = None
        self._turn = asyncio.Lock()  # one statement at a time on the one connection

    async def hold(self) -> tuple[bool, bool]:
        async with self._turn:
            if self.held:
                try:
                    await self._conn.execute(text("SELECT 1"))  # type: ignore[union-attr]
                    await self._conn.commit()  # type: ignore[union-attr]
                    return True, False
                except Exception:  # the connection is gone, and the lock with it
                    log.warning("the connection holding the sender lock was lost")
                    await self._drop()
            try:
                conn = await self._connection()
                taken = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"),
                                               {"a": LOCK_KEY[0], "b": LOCK_KEY[1]}))
                await conn.commit()
            except Exception:
                await self._drop()
                raise
            self.held = taken
            return taken, taken

    async def claim(self, delivery_id: int) -> int | None:
        async with self._turn:
            if not self.held or self._conn is None:
                return None
            try:
                row = (await self._conn.execute(ob.claiming(delivery_id, self.owner, fenced=False))).first()
                await self._conn.commit()
            except Exception:  # lost with the connection: this process is not the sender any more
                log.warning("the connection holding the sender lock was lost while claiming")
                await self._drop()
                return None
            return int(row[0]) if row else None

    async def release(self) -> None:
        async with self._turn:
            if self._conn is not None and self.held:
                try:
                    await self._conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"),
                                             {"a": LOCK_KEY[0], "b": LOCK_KEY[1]})
                    await self._conn.commit()
                except Exception:  # closing the connection releases it anyway
                    pass
            await self._drop()

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.db.engine.connect()
            try:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                for setting in KEEPALIVES:
                    await conn.execute(text(setting))
                self.backend_pid = int(await conn.scalar(text("SELECT pg_backend_pid()")))
                await conn.commit()
            except Exception:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        self.held = False
        conn, self._conn, self.backend_pid = self._conn, None, None
        if conn is not None:
            try:
                await conn.invalidate()  # never back into the pool: it may still hold the lock
                await conn.close()
            except Exception:
                log.debug("closing the sender lock's connection", exc_info=True)


def sender_lock(db: Database, owner: str, lease_seconds: float = 20.0, heartbeat: float | None = None) -> SenderLock:
    """The advisory lock on PostgreSQL, the lease row elsewhere."""
    if db.engine.dialect.name == "postgresql":
        return AdvisoryLock(db, owner)
    return LeaseLock(db, owner, lease_seconds, heartbeat if heartbeat is not None else lease_seconds / 4)


async def listen_for_owed(db: Database, wake, retry: float = 1.0) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: call `wake()` whenever any process commits a transaction that owed something
    (`ob.mark_owed` sends NOTIFY, which PostgreSQL delivers only on commit). Runs until cancelled;
    reconnects after a lost connection. Polling still runs beside it: a lost NOTIFY costs a second."""
    while True:
        conn = None
        try:
            conn = await db.engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"LISTEN {ob.NOTIFY_CHANNEL}"))
            await conn.commit()
            driver = (await conn.get_raw_connection()).driver_connection
            wake()  # anything owed while we were not listening
            async for _ in driver.notifies():  # type: ignore[union-attr]
                wake()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("listening for owed messages failed; retrying", exc_info=True)
            await asyncio.sleep(retry)
        finally:
            if conn is not None:
                try:
                    await conn.invalidate()
                    await conn.close()
                except Exception:
                    log.debug("closing the listening connection", exc_info=True)
