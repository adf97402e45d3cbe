"""A broadcast to 10,000 people through the local Bot API emulator, with Telegram's failures.

    .venv/bin/python benchmarks/broadcast.py [--recipients 10000] [--kill] [--baseline-recipients 2000]

The real bot process (`python -m bot.cli run`, polling, AIORateLimiter, SQLite) sends a broadcast
queued the way `tepai broadcast` queues one. The emulator (in this process, flood control on:
more than ~30 messages/s gets 429s of its own) answers sendMessage with 429 at 3% (retry_after
1, 2 or 3 s), 403 at 1% and 500 at 1%. With `--kill` the bot is killed with SIGKILL at about
half-way and started again.

Reported: every reachable recipient got exactly one message? duplicates, the sustained rate
outside the forced pauses (sent / (sending window − time covered by 429 retry_after windows)),
the bot's memory (RSS) over the run, and — the baseline, in the same run — a naive sender
(a loop of send_message with no limiter and no database, sleeping on 429, restarting from the
top after a crash) on `--baseline-recipients` people.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import BotApiEmulator  # noqa: E402
from store import broadcasts as bc  # noqa: E402
from store.db import Database, default_url, upgrade  # noqa: E402
from store import identities as ident  # noqa: E402
from store.models import Broadcast, utcnow  # noqa: E402

FIRST_ID = 1_000_000
TEXT = "<b>2027年度企业科技特派员征集公告</b>\n欢迎高校、科研院所专家报名。"


def faults(emu: BotApiEmulator) -> None:
    for retry_after in (1, 2, 3):
        emu.inject("sendMessage", error=429, retry_after=retry_after, rate=0.01)
    emu.inject("sendMessage", error=403, rate=0.01)
    emu.inject("sendMessage", error=500, rate=0.01)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def pause_windows(records: list, start: float, end: float) -> list[tuple[float, float]]:
    """The merged [t, t + retry_after] windows after each 429 inside [start, end]."""
    spans = []
    for record in records:
        if record.status == 429 and start <= record.timestamp <= end:
            retry = int(record.error.rsplit(" ", 1)[-1]) if record.error and "retry after" in record.error else 1
            spans.append((record.timestamp, min(end, record.timestamp + retry)))
    merged: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def paused_seconds(records: list, start: float, end: float) -> float:
    """Time covered by the union of [t, t + retry_after] after each 429 (inside [start, end])."""
    return sum(b - a for a, b in pause_windows(records, start, end))


def fault_counts(records: list, ids: set[int]) -> Counter:
    return Counter(r.status for r in records if r.method == "sendMessage" and r.chat_id in ids)


def run_bot(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log.open("ab"))


def sample_memory(process: subprocess.Popen, samples: list[tuple[float, float]], stop: threading.Event) -> None:
    while not stop.is_set() and process.poll() is None:
        value = rss_mb(process.pid)
        if value is not None:
            samples.append((time.time(), value))
        stop.wait(0.5)


def main_run(recipients: int, kill: bool) -> dict:
    data = Path(tempfile.mkdtemp(prefix="tepai-broadcast-"))
    url = default_url(data)
    upgrade(url)
    ids = list(range(FIRST_ID, FIRST_ID + recipients))
    emu = BotApiEmulator(strict_chats=False, flood_control=True, seed=7).run_in_thread()

    async def prepare() -> int:
        database = Database.open(url)
        async with database.session() as session, session.begin():
            session.add_all([ident.person(ident.TELEGRAM, t, seen=utcnow(), display_name="") for t in ids])
        async with database.session() as session, session.begin():
            broadcast, _ = await bc.create(session, text=TEXT, segment="all")
        await database.close()
        return broadcast.id

    broadcast_id = asyncio.run(prepare())
    env = {**os.environ, **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "DATABASE_URL": "",
           "HF_HUB_OFFLINE": "1"}
    log = data / "bot.log"
    faults(emu)
    memory: list[tuple[float, float]] = []

    def delivered() -> int:
        return sum(1 for t in ids if emu.messages(t))

    killed_at = None
    bot = run_bot(env, log)
    stop = threading.Event()
    threading.Thread(target=sample_memory, args=(bot, memory, stop), daemon=True).start()
    if kill:
        while delivered() < recipients // 2:
            if bot.poll() is not None:
                raise SystemExit(f"bot exited with {bot.returncode}: " + log.read_text()[-3000:])
            time.sleep(0.05)
        bot.send_signal(signal.SIGKILL)
        bot.wait()
        killed_at = delivered()
        bot = run_bot(env, log)
        threading.Thread(target=sample_memory, args=(bot, memory, stop), daemon=True).start()

    async def wait_done() -> bc.Progress:
        database = Database.open(url)
        try:
            while True:
                async with database.session() as session:
                    broadcast = await session.get(Broadcast, broadcast_id)
                    if broadcast.status in bc.FINAL:
                        return await bc.progress(session, broadcast)
                if bot.poll() is not None:
                    raise SystemExit(f"bot exited with {bot.returncode}: " + log.read_text()[-3000:])
                await asyncio.sleep(0.5)
        finally:
            await database.close()

    progress = asyncio.run(wait_done())
    stop.set()
    bot.terminate()
    bot.wait(timeout=30)
    emu.stop_thread()

    wanted = set(ids)
    sends = [r for r in emu.requests if r.method == "sendMessage" and r.chat_id in wanted]
    ok = sorted(r.timestamp for r in sends if r.status == 200)
    start, end = ok[0], ok[-1]
    paused = paused_seconds(sends, start, end)
    windows = pause_windows(sends, start, end)
    outside = [t for t in ok if not any(a <= t <= b for a, b in windows)]
    counts = Counter(r.chat_id for r in sends if r.status == 200)
    statuses = Counter(r.status for r in sends)
    forbidden = {r.chat_id for r in sends if r.status == 403}
    never = [t for t in ids if counts[t] == 0 and t not in forbidden]
    values = [v for _, v in memory]
    quarter = max(1, len(values) // 4)
    return {
        "variant": "kill -9 at half-way + restart" if kill else "uninterrupted",
        "recipients": recipients, "sent": progress.sent, "unreachable_403": progress.unreachable,
        "failed": progress.failed, "interrupted_not_resent": progress.interrupted,
        "reachable_without_message": len(never),
        "duplicates": sum(n - 1 for n in counts.values() if n > 1),
        "requests": dict(sorted(statuses.items())),
        "killed_after_delivered": killed_at,
        "window_s": round(end - start, 1), "paused_s": round(paused, 1),
        "rate_outside_pauses": round(len(outside) / max(1e-9, (end - start) - paused), 1),
        "rate_overall": round(len(ok) / max(1e-9, end - start), 1),
        "rss_mb_first_quarter_max": round(max(values[:quarter]), 1) if values else None,
        "rss_mb_last_quarter_max": round(max(values[-quarter:]), 1) if values else None,
        "rss_mb_max": round(max(values), 1) if values else None,
    }


async def baseline(recipients: int, kill: bool) -> dict:
    """A naive sender: send_message in a loop, sleep on 429, no record of who got it."""
    from telegram import Bot
    from telegram.error import RetryAfter, TelegramError

    ids = list(range(FIRST_ID, FIRST_ID + recipients))
    async with BotApiEmulator(strict_chats=False, flood_control=True, seed=7) as emu:
        faults(emu)
        bot = Bot(emu.token, base_url=emu.base_url)
        await bot.initialize()

        async def send_all() -> None:
            for chat_id in ids:
                while True:
                    try:
                        await bot.send_message(chat_id, TEXT, parse_mode="HTML")
                        break
                    except RetryAfter as exc:
                        await asyncio.sleep(float(getattr(exc, "_retry_after").total_seconds()))
                    except TelegramError:
                        break

        began = time.time()
        if kill:
            task = asyncio.create_task(send_all())
            while sum(1 for t in ids if emu.messages(t)) < recipients // 2:
                await asyncio.sleep(0.01)
            task.cancel()  # the crash; a naive sender starts over
            await asyncio.gather(task, return_exceptions=True)
        await send_all()
        elapsed = time.time() - began
        await bot.shutdown()
        sends = [r for r in emu.requests if r.method == "sendMessage"]
        counts = Counter(r.chat_id for r in sends if r.status == 200)
        statuses = Counter(r.status for r in sends)
        forbidden = {r.chat_id for r in sends if r.status == 403}
    return {"variant": "naive loop" + (" restarted after a crash" if kill else ""), "recipients": recipients,
            "duplicates": sum(n - 1 for n in counts.values() if n > 1), "requests": dict(sorted(statuses.items())),
            "reachable_without_message": sum(1 for t in ids if counts[t] == 0 and t not in forbidden),
            "rate_overall": round(sum(counts.values()) / elapsed, 1), "elapsed_s": round(elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--baseline-recipients", type=int, default=2_000)
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    result = {"tepai": main_run(args.recipients, args.kill),
              "baseline": asyncio.run(baseline(args.baseline_recipients, args.kill))}
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
