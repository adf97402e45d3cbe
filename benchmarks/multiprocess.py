"""The bot answering while a big specialist import and other CLI writers run beside it.

    .venv/bin/python benchmarks/multiprocess.py [--rows 3000] [--users 3] [--baseline REV]

One data directory (SQLite, embedded Chroma). The real PTB Application answers users through
the emulator while `tepai specialists import` (a generated file of --rows specialists) runs as
a real subprocess, and `tepai staff add`, `tepai conflicts add/remove` and `tepai campaign open`
run one after another until it ends. Reported: user messages answered / error replies /
unanswered, the longest time SQLite's write lock could not be taken (a probe tries
`BEGIN IMMEDIATE` every 20 ms without waiting), the import's duration and exit, the CLI
writers' outcomes.

Baseline in the same run: the same scenario against the code at --baseline (default: the
revision before several processes were supported), extracted with `git archive` — today's
behaviour before this change. `--baseline none` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "03aed2a"
CODE = "91370100MA3C5QXX18"
QUESTIONS = ["到2027年特派员覆盖率目标是多少？", "科技特派员可以服务几家企业？", "企业怎么申请科技特派员？"]
FIELDS = ["现代农业", "先进制造与自动化", "新一代信息技术", "生物与新医药", "新材料", "资源与环境"]
SKILLS = ["乳制品加工", "发酵工艺", "果蔬保鲜", "数控机床", "工业机器人", "机器视觉检测", "药物制剂", "高分子材料",
          "污水处理", "土壤修复", "嵌入式系统", "食品安全检测", "农机装备", "精密铸造", "中药提取", "锂电池材料"]


def write_pool(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "name", "institution", "title", "field", "expertise", "capacity", "phone"])
        out.writerow(["P01", "冲突专家", "某研究所", "研究员", "现代农业", "乳制品加工", 1, ""])
        for n in range(rows - 1):
            skills = "、".join(SKILLS[(n + k * 5) % len(SKILLS)] for k in range(3))
            out.writerow([f"T{n:05d}", f"专家{n}", f"第{n % 40}研究所", "高级工程师", FIELDS[n % len(FIELDS)], skills,
                          1 + n % 3, f"139{n:08d}"])


class LockProbe:
    """The longest stretch during which no connection could start a write transaction."""

    def __init__(self, path: Path) -> None:
        self.path, self.longest, self._stop = path, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockProbe:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:  # type: ignore[no-untyped-def]
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        busy_since = None
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                if busy_since is not None:
                    self.longest = max(self.longest, now - busy_since)
                busy_since = None
            except sqlite3.OperationalError:
                busy_since = busy_since or now
            time.sleep(0.02)
        conn.close()


async def tepai(code_dir: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=code_dir,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def scenario(code_dir: Path, rows: int, users: int) -> dict:
    """Runs inside a child interpreter whose imports come from `code_dir`."""
    from core import texts
    from bot.app import build_application, open_services, start_polling, stop_polling
    from bot.emulator import BotApiEmulator
    from bot.settings import load_settings

    data = Path(tempfile.mkdtemp(prefix="tepai-multi-"))
    pool = data.parent / f"{data.name}-pool.csv"
    write_pool(pool, rows)
    env = {**os.environ, "TEPAI_DATA_DIR": str(data)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.pop("DATABASE_URL", None)
    async with BotApiEmulator() as emu:
        settings = load_settings({**emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "TEPAI_FLOOD_LIMIT": "1000",
                                  "TEPAI_STAFF_IDS": "900"})
        services = await asyncio.to_thread(open_services, settings)
        await seed(services.db)
        app = build_application(settings, services)
        await start_polling(app, timeout=1)
        outcome = {"sent": 0, "answered": 0, "error_replies": 0, "unanswered": 0}
        writers: list[dict] = []
        with LockProbe(data / "tepai.db") as probe:
            started = time.perf_counter()
            importer = asyncio.ensure_future(tepai(code_dir, env, "specialists", "import", str(pool)))

            async def user(uid: int) -> None:
                n = 0
                while not importer.done():
                    after = len(emu.messages(uid))
                    emu.user_sends_text(uid, QUESTIONS[n % len(QUESTIONS)])
                    outcome["sent"] += 1
                    n += 1
                    try:
                        reply = await emu.wait_for_message(uid, timeout=120, after=after)
                    except (asyncio.TimeoutError, TimeoutError):
                        outcome["unanswered"] += 1
                        continue
                    if reply.plain_text == texts.INTERNAL_ERROR_CHAT:
                        outcome["error_replies"] += 1
                    else:
                        outcome["answered"] += 1

            async def cli_writers() -> None:
                await asyncio.sleep(3)  # the import has read its file and started on the rows
                round_ = 0
                while not importer.done():
                    for args in (("staff", "add", str(7000 + round_)), ("conflicts", "add", CODE, "P01"),
                                 ("campaign", "open", "2026"), ("conflicts", "remove", CODE, "P01")):
                        code, _, err = await tepai(code_dir, env, *args)
                        writers.append({"command": " ".join(args[:2]), "exit": code,
                                        "database_is_locked": "database is locked" in err,
                                        "stderr": err.strip().splitlines()[-1][:160] if err.strip() else ""})
                    round_ += 1

            await asyncio.gather(*(user(3001 + u) for u in range(users)), cli_writers())
            import_code, import_out, import_err = await importer
            import_s = time.perf_counter() - started
        await stop_polling(app)
        await services.db.close()
    failures = [w for w in writers if w["exit"] != 0]
    return {
        "messages": outcome,
        "import": {"rows": rows, "exit": import_code, "seconds": round(import_s, 1),
                   "summary": import_out.strip()[-120:], "database_is_locked": "database is locked" in import_err},
        "longest_write_lock_unavailable_s": round(probe.longest, 2),
        "cli_writers": {"runs": len(writers), "failed": len(failures),
                        "database_is_locked": sum(w["database_is_locked"] for w in writers),
                        "failures": failures[:5]},
    }


async def seed(db) -> None:  # type: ignore[no-untyped-def]
    """An enterprise and a specialist (P01, also in the pool file) to declare a conflict between."""
    from store.models import Enterprise, Specialist

    async with db.session() as session, session.begin():
        session.add(Enterprise(credit_code=CODE, name="甲乳业"))
        session.add(Specialist(external_id="P01", name="冲突专家", institution="某研究所", field="现代农业",
                               expertise="乳制品加工", status="active", source="import"))


def run_tree(code_dir: Path, rows: int, users: int) -> dict:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "multiprocess.py"), "--scenario", str(code_dir),
         "--rows", str(rows), "--users", str(users)],
        cwd=code_dir, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(code_dir)})
    if done.returncode != 0:
        raise SystemExit(f"scenario in {code_dir} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--users", type=int, default=3)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="git revision, or 'none'")
    parser.add_argument("--scenario", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario is not None:
        sys.path.insert(0, str(args.scenario))
        print(json.dumps(asyncio.run(scenario(args.scenario, args.rows, args.users)), ensure_ascii=False))
        return
    report = {"shipped": run_tree(ROOT, args.rows, args.users)}
    if args.baseline != "none":
        with tempfile.TemporaryDirectory(prefix="tepai-baseline-") as tree:
            archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", tree], input=archive.stdout, check=True)
            # The eval files live beside the repository; the baseline tree needs nothing else.
            report["baseline"] = {"revision": args.baseline, **run_tree(Path(tree), args.rows, args.users)}
    print(json.dumps(report, ensure_ascii=False, indent=1))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "multiprocess.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
