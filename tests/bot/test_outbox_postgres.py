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
from tests.conftest import postgres_url, reset_postgres
from tests.people import WITH_CHAT, chat, person, telegram_user
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url() -> str:
    """PostgreSQL only (the advisory lock is its own), emptied for the test."""
    url = postgres_url()
    reset_postgres(url)
    return url


@pytest.fixture
async def db(pg_url: str):  # type: ignore[no-untyped-def]
    database = Database.open(pg_url)
    yield database
    await database.close()


async def owed_notices(db: Database, count: int, first_chat: int = 600) -> list[int]:
    async with db.session() as session, session.begin():
        return [(await ob.owe(session, await person(session, first_chat + n), f"通知 {n}", kind=ob.NOTICE)).id
                for n in range(count)]


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
                await ob.owe(session, await person(session, 700), "这条随决定一起回滚", kind=ob.NOTICE)
                await session.rollback()
        async with other.session() as session, session.begin():
            await ob.owe(session, await person(session, 701), "这条已提交", kind=ob.NOTICE)
            assert not woken.is_set()  # nothing is announced before the commit
        await asyncio.wait_for(woken.wait(), 30)
        # Notifications arrive in commit order: had the rollback announced anything, it would be here first.
        assert len(wakes) == 1
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        await other.close()
    async with db.session() as session:
        owed = [chat(r) for r in (await session.scalars(select(Delivery).options(WITH_CHAT))).all()]
    assert owed == [701]


# -- two real bot processes on one PostgreSQL ------------------------------------------------------

STAFF = 900
PEOPLE = list(range(20000, 20300))
NOTICES = PEOPLE[:100]
ASKER = PEOPLE[0]
WORKERS = 4  # the sender's workers: at most this many requests are on the wire at any moment


class BotProcess:
    """`tepai run` as an operator starts it; what it logs is in the data directory's log."""

    def __init__(self, env: dict[str, str], errors: Path) -> None:
        self.log, self.errors = Path(env["TEPAI_DATA_DIR"]) / "logs" / "tepai.log", errors
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=errors.open("wb"))

    def said(self, words: str) -> bool:
        assert self.process.poll() is None, self.errors.read_text(errors="replace")[-3000:]
        if not self.log.exists():
            return False
        mine = f" {self.process.pid} "  # the log's lines carry the process id
        return any(mine in line and words in line for line in self.log.read_text(errors="replace").splitlines())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def waited(condition, what: str, timeout: float = 300.0, every: float = 0.05):  # type: ignore[no-untyped-def]
    """Poll `condition` from this (synchronous) test until it holds."""
    import time

    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(every)
    return found


def received(emu: BotApiEmulator, chat_id: int, words: str) -> int:
    return sum(words in (m.plain_text or "") for m in emu.messages(chat_id))


async def seed_people(url: str) -> None:
    database = Database.open(url)
    async with database.session() as session, session.begin():
        session.add_all([telegram_user(t, display_name=f"企业联系人{t}") for t in PEOPLE])
    await database.close()


async def owe_as_a_web_worker(url: str) -> str:
    """Another process (a web worker, the CLI) owes messages: individual notices and a hand-off
    of ASKER's question to staff. It sends nothing itself. The question asked."""
    from types import SimpleNamespace

    from bot.settings import load_settings
    from handlers.common import owe_forward
    from store import repositories as repo

    question = "高新技术企业认定时研发费用占比怎么算？"
    settings = load_settings({"TEPAI_STAFF_IDS": str(STAFF)})
    database = Database(url)
    async with database.session() as session, session.begin():
        for n, chat_id in enumerate(NOTICES):
            await ob.owe(session, await person(session, chat_id), f"个别通知 {n}", kind=ob.NOTICE, html=False)
    async with database.session() as session, session.begin():
        asker = await person(session, ASKER)
        handoff, _ = await repo.open_handoff(session, asker, question, "requested", 0.1, None)
        assert await owe_forward(session, SimpleNamespace(settings=settings), handoff)
    await database.close()
    return question


async def deliveries_of(url: str, broadcast_id: int | None) -> list[Delivery]:
    database = Database(url)
    async with database.session() as session:
        condition = Delivery.broadcast_id.is_(None) if broadcast_id is None else Delivery.broadcast_id == broadcast_id
        rows = list((await session.scalars(select(Delivery).options(WITH_CHAT).where(condition).order_by(Delivery.id))).all())
    await database.close()
    return rows


def queue_broadcast(env: dict[str, str], tmp_path: Path, words: str) -> int:
    """Staff queue an announcement from the shell (`tepai broadcast`), a third process."""
    body = tmp_path / f"{words}.html"
    body.write_text(f"<b>{words}</b>：请各企业于本月底前提交年度研发投入情况。", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "broadcast", "--segment", "all", "--text-file",
                           str(body), "--json"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    return int(json.loads(done.stdout)["id"])


def pid_of(owner: str | None) -> int:
    return int((owner or "::").rsplit(":", 2)[1] or 0)


@pytest.mark.heavy
def test_two_bot_processes_send_every_owed_message_once_and_the_survivor_of_a_kill_9_finishes(
        tmp_path: Path, pg_url: str) -> None:
    asyncio.run(seed_people(pg_url))
    data = tmp_path / "data"
    emu = BotApiEmulator(strict_chats=False).run_in_thread()
    env = {**os.environ, **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "DATABASE_URL": pg_url,
           "TEPAI_STAFF_IDS": str(STAFF), "TEPAI_EMBEDDING": "use-multilingual", "HF_HUB_OFFLINE": "1"}
    first = second = None
    try:
        first = BotProcess(env, tmp_path / "first.log")
        waited(lambda: first.said("this process is now the sender"), "the first bot up and sending")
        second = BotProcess(env, tmp_path / "second.log")  # e.g. a second deployment started by mistake
        waited(lambda: second.said("this one stands by"), "the second bot up, standing by")

        # While both run, a third process queues an announcement and a fourth owes notices and a hand-off.
        announced = queue_broadcast(env, tmp_path, "研发投入填报通知")
        question = asyncio.run(owe_as_a_web_worker(pg_url))
        forward = waited(lambda: next((m for m in emu.messages(STAFF) if question in (m.plain_text or "")), None),
                         "the hand-off forwarded to staff")
        # Staff answer it; whichever bot process polls this update, the answer routes back through the database.
        emu.user_sends_text(STAFF, "按近三个会计年度研发费用总额占同期销售收入的比例计算。",
                            reply_to_message_id=forward.message_id)
        waited(lambda: received(emu, ASKER, "同期销售收入") == 1, "staff's answer reaching the asker")
        rows = waited(lambda: _all_final(asyncio.run(deliveries_of(pg_url, announced))), "the announcement sent", every=0.5)
        owed = waited(lambda: _all_final(asyncio.run(deliveries_of(pg_url, None))), "every owed message sent", every=0.5)

        assert len(rows) >= len(PEOPLE) and all(r.status == "sent" and r.error is None for r in rows)
        assert all(received(emu, chat(r), "研发投入填报通知") == 1 for r in rows)  # nobody twice, nobody left out
        assert all(received(emu, t, f"个别通知 {n}") == 1 for n, t in enumerate(NOTICES))
        assert received(emu, STAFF, question) == 1 and received(emu, ASKER, "同期销售收入") == 1
        assert all(r.status == "sent" and r.error is None for r in owed)
        assert {pid_of(r.owner) for r in rows + owed} == {first.process.pid}  # one sender; the standby sent nothing

        # A second announcement; the sender is killed -9 in the middle of it.
        before = len(asyncio.run(deliveries_of(pg_url, None)))
        second_announcement = queue_broadcast(env, tmp_path, "政策宣讲会通知")
        waited(lambda: sum(received(emu, t, "政策宣讲会通知") for t in PEOPLE) >= 60, "the announcement under way")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        at_kill = sum(received(emu, t, "政策宣讲会通知") for t in PEOPLE)
        waited(lambda: second.said("this process is now the sender"), "the standby taking over")
        rows = waited(lambda: _all_final(asyncio.run(deliveries_of(pg_url, second_announcement))), "the rest sent", every=0.5)
        assert second.process.poll() is None
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
        emu.stop_thread()

    interrupted = [r for r in rows if r.error == ob.INTERRUPTED]
    counts = {chat(r): received(emu, chat(r), "政策宣讲会通知") for r in rows}
    assert at_kill < len(rows)  # the kill did come mid-broadcast
    assert set(counts.values()) <= {0, 1}  # never twice, even across the kill
    # Only a request on the wire at the kill may be missing: at most one per worker, each reported.
    missing = {t for t, n in counts.items() if n == 0}
    assert missing <= {chat(r) for r in interrupted} and len(interrupted) <= WORKERS
    assert all(pid_of(r.owner) == first.process.pid for r in interrupted)  # only the dead sender's rows
    assert all(r.status == "sent" for r in rows if r.error != ob.INTERRUPTED)
    assert {pid_of(r.owner) for r in rows if r.status == "sent"} <= {first.process.pid, second.process.pid}
    assert any(pid_of(r.owner) == second.process.pid for r in rows)  # the survivor finished it
    assert not any(r.error == ob.INTERRUPTED for r in asyncio.run(deliveries_of(pg_url, None))[:before])


def _all_final(rows: list[Delivery]) -> list[Delivery] | None:
    return rows if rows and all(r.status not in ("queued", "sending") for r in rows) else None
