"""The broadcast sender against the emulator's faults, and across a real kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from telegram.ext import ExtBot

from bot.broadcaster import Broadcaster
from bot.ratelimit import PacedRateLimiter
from bot.emulator import BotApiEmulator
from store import broadcasts as bc
from store.db import Database, default_url, upgrade
from store import repositories as repo
from store.models import Broadcast, Delivery
from tests.people import WITH_CHAT, chat, telegram_user


async def people(db: Database, emu: BotApiEmulator, ids: list[int], opened: bool = True) -> None:
    async with db.session() as session, session.begin():
        for telegram_id in ids:
            session.add(telegram_user(telegram_id, display_name=""))
            if opened:
                emu.add_user(telegram_id)


async def run_until_done(broadcaster: Broadcaster, db: Database, broadcast_id: int, timeout: float = 30.0) -> Broadcast:
    await broadcaster.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            async with db.session() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast.status in bc.FINAL:
                return broadcast
            assert asyncio.get_running_loop().time() < deadline, "broadcast did not finish"
            await asyncio.sleep(0.05)
    finally:
        await broadcaster.stop()


def per_chat(emu: BotApiEmulator, ids: list[int]) -> Counter:
    return Counter({t: len(emu.messages(t)) for t in ids})


async def test_faults_each_end_as_they_should_and_nobody_gets_two(db: Database) -> None:
    ids = list(range(7000, 7040))
    async with BotApiEmulator() as emu:
        await people(db, emu, ids[:-1])
        await people(db, emu, ids[-1:], opened=False)  # never opened the chat: "chat not found"
        emu.inject("sendMessage", error=429, retry_after=1, times=2)  # a burst answered with 429
        emu.inject("sendMessage", chat_id=ids[1], error=502, times=2)  # recovers on the third try
        emu.inject("sendMessage", chat_id=ids[2], error=500, times=None)  # never recovers
        emu.inject("sendMessage", chat_id=ids[3], error=403, times=1)  # blocked the bot
        async with db.session() as session, session.begin():
            broadcast, count = await bc.create(session, text="<b>通知</b>：2027年度征集开始", segment="all")
        assert count == 40
        bot = ExtBot(emu.token, base_url=emu.base_url, rate_limiter=PacedRateLimiter())
        await bot.initialize()
        try:
            done = await run_until_done(Broadcaster(bot, db, backoff=(0.05, 0.1), max_attempts=4), db, broadcast.id)
        finally:
            await bot.shutdown()
        rows = {}
        async with db.session() as session:
            for row in (await session.scalars(select(Delivery).options(WITH_CHAT))).all():
                rows[chat(row)] = row
            blocked = await repo.get_user(session, ids[3])
        received = per_chat(emu, ids)
    assert done.status == "done"
    assert rows[ids[1]].status == "sent" and rows[ids[1]].attempts == 3
    assert rows[ids[2]].status == "failed" and rows[ids[2]].attempts == 4 and "Internal" in rows[ids[2]].error
    assert rows[ids[3]].status == "unreachable" and not blocked.reachable
    assert rows[ids[-1]].status == "unreachable" and "chat not found" in rows[ids[-1]].error.lower()
    sent = [t for t, r in rows.items() if r.status == "sent"]
    assert len(sent) == 37 and all(rows[t].message_id for t in sent)
    assert max(received.values()) == 1 and sum(received.values()) == 37


async def test_a_restart_resumes_queued_rows_and_never_resends_one_caught_mid_send(db: Database) -> None:
    ids = list(range(8000, 8030))
    async with BotApiEmulator() as emu:
        await people(db, emu, ids)
        async with db.session() as session, session.begin():
            broadcast, _ = await bc.create(session, text="通知", segment="all")
            rows = await bc.queued_page(session, broadcast.id, 0, 100)
            for delivery_id, _ in rows[:3]:  # what a killed process left behind
                await bc.claim(session, delivery_id)
            (await session.get(Broadcast, broadcast.id)).status = "sending"
        bot = ExtBot(emu.token, base_url=emu.base_url, rate_limiter=PacedRateLimiter())
        await bot.initialize()
        try:
            broadcaster = Broadcaster(bot, db)
            done = await run_until_done(broadcaster, db, broadcast.id)
        finally:
            await bot.shutdown()
        received = per_chat(emu, ids)
        async with db.session() as session:
            progress = await bc.progress(session, done)
    assert broadcaster.recovered == 3
    assert (progress.sent, progress.interrupted, progress.remaining) == (27, 3, 0)
    assert [received[t] for _, t in rows[:3]] == [0, 0, 0] and sum(received.values()) == 27


@pytest.mark.heavy
def test_kill_9_half_way_then_restart_sends_nobody_twice(tmp_path: Path) -> None:
    """The real bot process (`tepai run`) killed with SIGKILL mid-broadcast and started again."""
    import threading

    ids = list(range(9000, 9240))
    data = tmp_path / "data"
    data.mkdir()
    url = default_url(data)
    upgrade(url)
    emu = BotApiEmulator(strict_chats=False).run_in_thread()
    try:
        async def prepare() -> int:
            database = Database.open(url)
            await people(database, emu, ids)
            async with database.session() as session, session.begin():
                broadcast, _ = await bc.create(session, text="<b>公告</b>", segment="all")
            await database.close()
            return broadcast.id

        broadcast_id = asyncio.run(prepare())
        env = {**os.environ, **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "DATABASE_URL": "",
               "HF_HUB_OFFLINE": "1"}
        command = [sys.executable, "-m", "bot.cli", "run"]  # the module itself, as `python -m bot.cli` users run it
        root = Path(__file__).resolve().parents[2]

        def sent() -> int:
            return sum(1 for t in ids if emu.messages(t))

        first = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = 120.0
            waited = 0.0
            while sent() < len(ids) // 2:
                assert first.poll() is None, first.stderr.read().decode()[-2000:]
                assert waited < deadline, "the first run did not get half-way"
                threading.Event().wait(0.02)
                waited += 0.02
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        at_kill = sent()
        assert at_kill < len(ids)

        second = subprocess.Popen(command, env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            async def finished() -> bc.Progress:
                database = Database.open(url)
                try:
                    for _ in range(1200):
                        async with database.session() as session:
                            broadcast = await session.get(Broadcast, broadcast_id)
                            if broadcast.status in bc.FINAL:
                                return await bc.progress(session, broadcast)
                        assert second.poll() is None, second.stderr.read().decode()[-2000:]
                        await asyncio.sleep(0.1)
                    raise AssertionError("the restarted run did not finish")
                finally:
                    await database.close()

            progress = asyncio.run(finished())
        finally:
            second.terminate()
            second.wait(timeout=30)
        counts = per_chat(emu, ids)
    finally:
        emu.stop_thread()
    assert max(counts.values()) == 1  # duplicates: zero
    assert progress.sent + progress.interrupted == len(ids) and progress.remaining == 0
    never = [t for t in ids if counts[t] == 0]
    assert len(never) <= progress.interrupted  # only a row caught mid-send may have been lost
    assert progress.sent == sum(counts.values()) - (progress.interrupted - len(never))
