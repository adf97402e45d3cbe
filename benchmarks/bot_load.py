"""200 simulated users asking at once through the local Bot API emulator.

    .venv/bin/python benchmarks/bot_load.py [--users 200] [--rounds 1]

The real PTB Application (rate limiter, SQLite store, the shipped answerer) answers
over real HTTP on 127.0.0.1. Reported: every question answered?, reply latency p50/p95
(user sends -> bot's answer arrives), answers per second, and — as the baseline in the
same run — the same questions answered directly by `Answerer` with no Telegram around it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_application, open_services, start_polling, stop_polling  # noqa: E402
from bot.emulator import BotApiEmulator  # noqa: E402
from bot.settings import load_settings  # noqa: E402


def questions() -> list[str]:
    here = ROOT.parent / "shared" / "eval"
    sets = [here / "qa_dev.jsonl", here / "ood_dev.jsonl", ROOT / "benchmarks" / "heldout_qa.jsonl"]
    return [json.loads(line)["q"] for path in sets if path.exists() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))]


async def main(users: int, rounds: int) -> dict:
    data = Path(tempfile.mkdtemp(prefix="tepai-load-"))
    async with BotApiEmulator() as emu:
        settings = load_settings({
            **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "TEPAI_FLOOD_LIMIT": "1000",
        })
        services = await asyncio.to_thread(open_services, settings)
        pool = questions()

        start = time.perf_counter()
        for n in range(users):
            services.answerer.answer(pool[n % len(pool)])
        direct_s = time.perf_counter() - start

        app = build_application(settings, services)
        await start_polling(app, timeout=1)
        latencies: list[float] = []
        missing = 0
        wall = 0.0
        for round_no in range(rounds):
            ids = [100_000 + round_no * users + n for n in range(users)]
            for uid in ids:  # each user has opened the bot before
                emu.add_user(uid, first_name=f"用户{uid}")
            begin = time.perf_counter()
            sent_at = {}
            for n, uid in enumerate(ids):
                sent_at[uid] = time.perf_counter()
                emu.user_sends_text(uid, pool[n % len(pool)])

            async def wait(uid: int) -> float | None:
                try:
                    await emu.wait_for_message(uid, timeout=120, after=0)
                except TimeoutError:
                    return None
                return time.perf_counter() - sent_at[uid]

            results = await asyncio.gather(*(wait(uid) for uid in ids))
            wall += time.perf_counter() - begin
            missing += sum(r is None for r in results)
            latencies += [r for r in results if r is not None]
        await stop_polling(app)
        await services.db.close()

    total = users * rounds
    report = {
        "users": users, "rounds": rounds, "answered": total - missing, "unanswered": missing,
        "reply_p50_ms": statistics.median(latencies) * 1000, "reply_p95_ms": pct(latencies, 0.95) * 1000,
        "answers_per_s": (total - missing) / wall,
        "baseline_direct_answers_per_s": users / direct_s,
        "cpus": os.cpu_count(),
    }
    print(f"{total} questions from {users} users at once ({rounds} round(s)): answered {report['answered']}, "
          f"missing {missing}")
    print(f"reply latency p50 {report['reply_p50_ms']:.0f} ms, p95 {report['reply_p95_ms']:.0f} ms; "
          f"{report['answers_per_s']:.1f} answers/s through Telegram (emulated)")
    print(f"baseline: Answerer alone, no bot: {report['baseline_direct_answers_per_s']:.1f} answers/s")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bot_load.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.rounds))
