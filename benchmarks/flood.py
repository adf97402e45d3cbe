"""One user pressing a button 300 times while 20 others ask: does the flood slow everyone down?

    .venv/bin/python benchmarks/flood.py [--presses 300] [--users 20]

The real PTB Application over the local Bot API emulator. Three scenarios in one run, each
with fresh users asking the same questions at once:

* ``quiet`` — nobody floods (the baseline);
* ``flood`` — one user fires `--presses` button presses at the same moment, with the flood
  guard at its default limit (20 a minute): presses beyond the limit are answered and dropped;
* ``unguarded`` — the same flood with the limit raised out of reach (how the bot behaved
  before presses counted toward the guard).

Reported: the others' reply latency p50/p95 per scenario, and whether every press was
answered (no spinning button).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))
from bot_load import pct, questions  # noqa: E402
from bot.app import build_application, open_services, start_polling, stop_polling  # noqa: E402
from bot.emulator import BotApiEmulator  # noqa: E402
from bot.settings import load_settings  # noqa: E402


async def scenario(emu: BotApiEmulator, services, first_id: int, users: int, presses: int, limit: int) -> dict:  # type: ignore[no-untyped-def]
    pool = questions()
    services.flood.limit = limit
    flooder = first_id
    after = len(emu.messages(flooder))
    emu.user_sends_text(flooder, pool[0])
    answer = await emu.wait_for_message(flooder, lambda m: bool(m.buttons), timeout=60, after=after)
    data = answer.buttons[0][1]
    ids = [first_id + 1 + n for n in range(users)]
    for uid in ids:
        emu.add_user(uid, first_name=f"用户{uid}")
    press_ids = [emu.user_presses_button(flooder, answer.message_id, data)["callback_query"]["id"]
                 for _ in range(presses)]
    sent_at = {}
    for n, uid in enumerate(ids):
        sent_at[uid] = time.perf_counter()
        emu.user_sends_text(uid, pool[(n + 1) % len(pool)])

    async def wait(uid: int) -> float | None:
        try:
            await emu.wait_for_message(uid, timeout=120, after=0)
        except TimeoutError:
            return None
        return time.perf_counter() - sent_at[uid]

    latencies = [r for r in await asyncio.gather(*(wait(uid) for uid in ids)) if r is not None]
    answered = 0
    for press in press_ids:
        try:
            await emu.wait_for_callback_answer(press, timeout=60)
            answered += 1
        except TimeoutError:
            pass
    return {"answered": len(latencies), "users": users, "p50_ms": statistics.median(latencies) * 1000,
            "p95_ms": pct(latencies, 0.95) * 1000, "presses": presses, "presses_answered": answered}


async def main(presses: int, users: int) -> dict:
    data = Path(tempfile.mkdtemp(prefix="tepai-flood-"))
    async with BotApiEmulator() as emu:
        settings = load_settings({**emu.tepai_environ(), "TEPAI_DATA_DIR": str(data)})
        services = await asyncio.to_thread(open_services, settings)
        app = build_application(settings, services)
        await start_polling(app, timeout=1)
        report = {
            "quiet": await scenario(emu, services, 300_000, users, 0, settings.flood_limit),
            "flood": await scenario(emu, services, 310_000, users, presses, settings.flood_limit),
            "unguarded": await scenario(emu, services, 320_000, users, presses, 1_000_000),
        }
        await stop_polling(app)
        await services.db.close()
    for name, row in report.items():
        print(f"{name:9s}: {row['answered']}/{row['users']} others answered, p50 {row['p50_ms']:.0f} ms, "
              f"p95 {row['p95_ms']:.0f} ms; presses answered {row['presses_answered']}/{row['presses']}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "flood.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=300)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.presses, args.users))
