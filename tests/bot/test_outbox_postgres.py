"""Several bot processes on one PostgreSQL: exactly one sends, a dead one's place is taken at
once, and nobody marks a live sender's rows interrupted.

The first tests are the lock itself, two connections in this process (fast). The heavy ones run
two real `tepai run` processes against one emulator and one database, and kill -9 the sender.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select, text
from telegram.ext import ExtBot

from bot.broadcaster import Broadcaster
from bot.emulator import BotApiEmulator
from bot.ratelimit import PacedRateLimiter
from store import outbox as ob
from store import sender_lock as sl
from store.db import Database
from store.models import Delivery
from tests.conftest import PG_ENV, _reset_postgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} not set (`.ci/run` sets it)")
    _reset_postgres(url)
    return url


@pytest.fixture
async def db(pg_url: str):  # type: ignore[no-untyped-def]
    database = Database.open(pg_url)
    yield database
    await database.close()


async def owed_notices(db: Database, count: int, first_chat: int = 600) -> list[int]:
    async with db.session() as session, session.begin():
        return [(await ob.owe(session, first_chat + n, f"通知 {n}", kind=ob.NOTICE)).id for n in range(count)]


async def status_of(db: Database, delivery_id: int) -> tuple[str, str | None, str | None]:
    async with db.session() as session:
        row = await session.get(Delivery, delivery_id, populate_existing=True)
        return row.status, row.error, row.owner


async def kill_backend(db: Database, pid: int) -> None:
    """What a crashed sender's connection amounts to on the server: its backend ends."""
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid, 30000)"), {"pid": pid})  # returns once it has ended
        await conn.commit()


async def eventually(check, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.05)


async def test_only_one_connection_holds_the_sender_lock_and_only_its_holder_claims(db: Database) -> None:
    first, second = sl.AdvisoryLock(db, "host-a:1:aaa"), sl.AdvisoryLock(db, "host-b:2:bbb")
    rows = await owed_notices(db, 3)
    try:
        assert await first.hold() == (True, True)
        assert await first.hold() == (True, False)  # still held: renewing is not taking it again
        assert await second.hold() == (False, False)
        assert await first.claim(rows[0]) == 1
        assert await second.claim(rows[1]) is None  # no lock, no claim
        assert await first.claim(rows[0]) is None  # a row is claimed once
        assert [await status_of(db, r) for r in rows] == [("sending", None, first.owner), ("queued", None, None),
                                                          ("queued", None, None)]

        # The first holder's connection ends (its process crashed): PostgreSQL frees the lock at once.
        await kill_backend(db, first.backend_pid)
        assert await second.hold() == (True, True)
        async with db.session() as session, session.begin():
            assert await ob.recover(session, second.owner) == 1  # first's request may or may not have arrived
        assert await first.claim(rows[1]) is None  # first's connection is gone, and its right to send with it
        assert await first.hold() == (False, False)  # it comes back as a standby
        assert await second.claim(rows[1]) == 1
        assert [await status_of(db, r) for r in rows] == [("failed", ob.INTERRUPTED, first.owner),
                                                          ("sending", None, second.owner), ("queued", None, None)]

        # A clean stop hands over without waiting for anything.
        await second.release()
        assert await first.hold() == (True, True)
    finally:
        await first.release()
        await second.release()


async def test_the_lock_is_released_when_the_holding_process_is_killed(db: Database, pg_url: str) -> None:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import asyncio, sys
        from store.db import Database
        from store.sender_lock import AdvisoryLock

        async def main():
            lock = AdvisoryLock(Database({pg_url!r}), "other-process")
            assert await lock.hold() == (True, True)
            print("held", flush=True)
            await asyncio.sleep(600)

        asyncio.run(main())
    """)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mine = sl.AdvisoryLock(db, "this-process")
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        assert await mine.hold() == (False, False)
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        # No lease to expire: the server notices the closed socket and the next try wins.
        await eventually(lambda: _taken(mine), "the lock after kill -9")
    finally:
        holder.kill()
        holder.wait()
        await mine.release()


async def _taken(lock: sl.AdvisoryLock) -> bool:
    return (await lock.hold())[0]


async def test_a_standby_sender_leaves_the_live_senders_rows_alone_and_recovers_them_once_it_is_gone(
        db: Database) -> None:
    """The first process is mid-send; a second bot process starts its sender beside it."""
    live = sl.AdvisoryLock(db, "host-a:1:live")
    rows = await owed_notices(db, 2)
    async with BotApiEmulator(strict_chats=False) as emu:
        bot = ExtBot(emu.token, base_url=emu.base_url, rate_limiter=PacedRateLimiter())
        await bot.initialize()
        standby = Broadcaster(bot, db)
        try:
            assert await live.hold() == (True, True)
            assert await live.claim(rows[0]) == 1  # its request is on the wire right now
            await standby.start()
            assert not standby.held and standby.recovered == 0
            await asyncio.sleep(standby.lock.retry * 3)  # a few of the standby's tries
            assert await status_of(db, rows[0]) == ("sending", None, live.owner)
            assert await status_of(db, rows[1]) == ("queued", None, None)  # only the holder sends

            await kill_backend(db, live.backend_pid)  # the live process dies
            await eventually(lambda: _settled(db, rows[1]), "the standby taking over")
        finally:
            await standby.stop()
            await live.release()
            await bot.shutdown()
        assert standby.recovered == 1
        assert await status_of(db, rows[0]) == ("failed", ob.INTERRUPTED, live.owner)  # never resent
        assert await status_of(db, rows[1]) == ("sent", None, standby.owner)
        assert [m.plain_text for m in emu.messages(601)] == ["通知 1"] and emu.messages(600) == []


async def _settled(db: Database, delivery_id: int) -> bool:
    return (await status_of(db, delivery_id))[0] == "sent"


async def test_what_another_process_owes_wakes_the_sender_on_commit_and_a_rollback_wakes_nobody(
        db: Database) -> None:
    woken = asyncio.Event()
    listening = asyncio.Event()
    wakes = []

    def wake() -> None:
        if listening.is_set():
            wakes.append(1)
            woken.set()
        listening.set()  # its first call: listening now

    listener = asyncio.create_task(sl.listen_for_owed(db, wake))
    other = Database(db.url)  # a second engine: another process's connections
    try:
        await asyncio.wait_for(listening.wait(), 30)
        async with other.session() as session:
            async with session.begin():
                await ob.owe(session, 700, "这条随决定一起回滚", kind=ob.NOTICE)
                await session.rollback()
        async with other.session() as session, session.begin():
            await ob.owe(session, 701, "这条已提交", kind=ob.NOTICE)
            assert not woken.is_set()  # nothing is announced before the commit
        await asyncio.wait_for(woken.wait(), 30)
        # Notifications arrive in commit order: had the rollback announced anything, it would be here first.
        assert len(wakes) == 1
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await other.close()
    async with db.session() as session:
        owed = (await session.scalars(select(Delivery.telegram_id))).all()
    assert owed == [701]
