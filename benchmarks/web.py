"""Visitors asking at once through the web chat, over real HTTP.

    .venv/bin/python benchmarks/web.py [--visitors 50] [--rounds 2]

The real app (`bot/web/`, Starlette) under uvicorn on 127.0.0.1, the shipped answerer and
store (SQLite, embedded Chroma), each visitor its own cookie and CSRF token, every question a
POST that records the answer. Reported: every question answered?, latency p50/p95 (request
sent -> JSON answer received), answers per second, and — the baseline, in the same run — the
same questions answered directly by `Answerer` at the same concurrency, with no HTTP, session
or database around it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bot_load import pct, questions  # noqa: E402
from bot.app import open_services  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.web.app import build_web_app  # noqa: E402
from bot.web.browser import LiveServer  # noqa: E402
from bot.web.config import load_web_config  # noqa: E402


async def through_web(url: str, asked: list[list[str]]) -> tuple[list[float], int, float]:
    import httpx

    latencies: list[float] = []
    answered = 0

    async def visitor(own: list[str]) -> None:
        nonlocal answered
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            csrf = (await client.get("api/session")).json()["csrf"]
            for question in own:
                start = time.perf_counter()
                response = await client.post("api/send", json={"text": question}, headers={"X-CSRF-Token": csrf})
                latencies.append(time.perf_counter() - start)
                if response.status_code == 200 and response.json().get("kind") == "answer":
                    answered += 1

    start = time.perf_counter()
    await asyncio.gather(*(visitor(own) for own in asked))
    return latencies, answered, time.perf_counter() - start


async def direct(answerer, asked: list[list[str]]) -> tuple[list[float], float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []

    async def visitor(own: list[str]) -> None:
        for question in own:
            start = time.perf_counter()
            await asyncio.to_thread(answerer.answer, question)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(visitor(own) for own in asked))
    return latencies, time.perf_counter() - start


async def main(visitors: int, rounds: int) -> dict:
    pool = [q for q in questions() if 0 < len(q) <= 500] or ["到2027年特派员覆盖率目标是多少？"]
    asked = [[pool[(v * rounds + r) % len(pool)] for r in range(rounds)] for v in range(visitors)]
    total = visitors * rounds
    with tempfile.TemporaryDirectory() as tmp:
        env = {"TEPAI_DATA_DIR": tmp, "TEPAI_WEB_SESSION_LIMIT": "100000", "TEPAI_WEB_ADDRESS_LIMIT": "100000"}
        if os.environ.get("TEPAI_EMBEDDING"):
            env["TEPAI_EMBEDDING"] = os.environ["TEPAI_EMBEDDING"]
        services = await asyncio.to_thread(open_services, load_settings(env))
        app = build_web_app(services, load_web_config(Path(tmp), env))
        await direct(services.answerer, [[pool[0]]])  # warm caches for both sides alike
        async with LiveServer(app) as server:
            web_lat, answered, web_wall = await through_web(server.url, asked)
        base_lat, base_wall = await direct(services.answerer, asked)
        await services.db.close()
    report = {
        "visitors": visitors, "questions": total, "answered": answered,
        "web": {"p50_s": round(pct(web_lat, 0.5), 3), "p95_s": round(pct(web_lat, 0.95), 3),
                "answers_per_s": round(total / web_wall, 2), "wall_s": round(web_wall, 1)},
        "baseline_direct_answerer": {"p50_s": round(pct(base_lat, 0.5), 3), "p95_s": round(pct(base_lat, 0.95), 3),
                                     "answers_per_s": round(total / base_wall, 2), "wall_s": round(base_wall, 1)},
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "web.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.visitors, args.rounds)), ensure_ascii=False, indent=2))
