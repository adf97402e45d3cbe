"""How long a message owed by another process waits for the sender, and how long a dead sender's
place stays empty.

    .venv/bin/python benchmarks/outbox_latency.py [--messages 30] [--every 0.3] [--pg URL]

1. **Owed elsewhere → delivered.** The sender (the real `Broadcaster`, a PTB `ExtBot` with the
   bot's rate limiter, against the emulator) runs in this process. A separate process — standing
   in for the CLI or a web worker — owes one notice every `--every` seconds and reports when each
   commit returned; a thread here notes when each reached the emulator. Variants: PostgreSQL with
   LISTEN/NOTIFY (shipped), PostgreSQL polling only (baseline: the sender before NOTIFY, `poll`
   1 s), SQLite (polling: the single-machine default).
2. **kill -9 of the sender → the standby sends.** A process takes the right to send and is
   killed; a standby `Broadcaster` here waits. Shipped: the PostgreSQL advisory lock. Baseline:
   the lease row (20 s), holder on this host (its pid is seen gone) and on another host (the
   lease must expire).

`--pg` defaults to TEPAI_TEST_DATABASE_URL; its database is wiped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHAT = 4242

OWER = """
import asyncio, json, sys, time
from store import outbox as ob
from store.db import Database

async def main(url, count, every):
    database = Database(url)
    for n in range(count):
        async with database.session() as session, session.begin():
            await ob.owe(session, {chat}, f"通知 {{n}}", kind=ob.NOTICE, html=False)
        print(json.dumps({{"n": n, "t": time.time()}}), flush=True)
        await asyncio.sleep(every)
    await database.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
"""

HOLDER = """
import asyncio, sys
from store.db import Database
from store import outbox as ob
from store.sender_lock import AdvisoryLock

async def main(url, kind, owner):
    database = Database(url)
    owner = ob.identity() if owner == "this-host" else owner  # host:pid:random, as a real sender
    if kind == "advisory":
        lock = AdvisoryLock(database, owner)
        assert await lock.hold() == (True, True)
    else:
        async with database.session() as session, session.begin():
            assert (await ob.hold_lease(session, owner, 20.0))[0]
    print("held", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""


def reset(url: str) -> None:
    from sqlalchemy import create_engine, text

    from store.db import sync_url, upgrade

    if url.startswith("postgresql"):
        engine = create_engine(sync_url(url))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)


class Arrivals(threading.Thread):
    """When each message reached the emulator (polled every 2 ms)."""

    def __init__(self, emu, count: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.emu, self.count, self.at = emu, count, {}
        self.done = threading.Event()

    def run(self) -> None:
        while len(self.at) < self.count and not self.done.is_set():
            now = time.time()
            for message in self.emu.messages(CHAT):
                n = int((message.plain_text or "通知 -1").split()[-1])
                self.at.setdefault(n, now)
            time.sleep(0.002)


async def owed_elsewhere(url: str, listen: bool, count: int, every: float) -> dict[str, float]:
    from telegram.ext import ExtBot

    from bot.broadcaster import Broadcaster
    from bot.emulator import BotApiEmulator
    from bot.ratelimit import PacedRateLimiter
    from store.db import Database

    reset(url)
    emu = BotApiEmulator(strict_chats=False).run_in_thread()
    database = Database(url)
    bot = ExtBot(emu.token, base_url=emu.base_url, rate_limiter=PacedRateLimiter())
    await bot.initialize()
    sender = Broadcaster(bot, database, listen=listen)
    arrivals = Arrivals(emu, count)
    try:
        await sender.start()
        assert sender.held
        await asyncio.sleep(1.0)  # listening, idle
        arrivals.start()
        ower = await asyncio.create_subprocess_exec(sys.executable, "-c", OWER.format(chat=CHAT), url, str(count),
                                                    str(every), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        out, _ = await ower.communicate()
        committed = {row["n"]: row["t"] for row in map(json.loads, out.decode().splitlines())}
        deadline = time.time() + 30
        while len(arrivals.at) < count and time.time() < deadline:
            await asyncio.sleep(0.05)
    finally:
        arrivals.done.set()
        await sender.stop()
        await bot.shutdown()
        await database.close()
        emu.stop_thread()
    delays = sorted((arrivals.at[n] - committed[n]) * 1000 for n in committed if n in arrivals.at)
    return {"delivered": len(delays), "owed": count, "median_ms": statistics.median(delays),
            "p95_ms": delays[int(len(delays) * 0.95) - 1], "max_ms": delays[-1]}


async def takeover(url: str, kind: str, owner: str) -> float:
    """Seconds from kill -9 of the holder to the standby holding the right to send."""
    from telegram.ext import ExtBot

    from bot.broadcaster import Broadcaster
    from store import sender_lock as sl
    from store.db import Database

    reset(url)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(HOLDER), url, kind, owner], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    database = Database(url)
    assert holder.stdout.readline().strip() == "held"
    lock = sl.AdvisoryLock(database, "standby") if kind == "advisory" else sl.LeaseLock(database, "standby", 20.0, 5.0)
    standby = Broadcaster(ExtBot("1:x"), database, lock=lock, owner="standby", listen=False)
    try:
        await standby.start()
        assert not standby.held
        await asyncio.sleep(1.3)  # somewhere between the standby's tries
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        killed = time.monotonic()
        while not standby.held:
            await asyncio.sleep(0.01)
        return time.monotonic() - killed
    finally:
        holder.kill()
        holder.wait()
        await standby.stop()
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--every", type=float, default=0.3)
    parser.add_argument("--pg", default=os.environ.get("TEPAI_TEST_DATABASE_URL"))
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'tepai.db'}"
        runs = [("sqlite, polling (default)", sqlite, True)]
        if args.pg:
            runs = [("postgresql, LISTEN/NOTIFY (shipped)", args.pg, True),
                    ("postgresql, polling only (baseline)", args.pg, False)] + runs
        for label, url, listen in runs:
            results[label] = asyncio.run(owed_elsewhere(url, listen, args.messages, args.every))
            print(label, results[label], flush=True)
        if args.pg:
            for label, kind, owner in [("advisory lock (shipped)", "advisory", "holder"),
                                       ("lease row, holder on this host (baseline)", "lease", "this-host"),
                                       ("lease row, holder on another host (baseline)", "lease", "elsewhere:1:holder")]:
                seconds = asyncio.run(takeover(args.pg, kind, owner))
                results[f"takeover: {label}"] = {"seconds": round(seconds, 2)}
                print(f"takeover: {label}", seconds, flush=True)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "outbox_latency.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
