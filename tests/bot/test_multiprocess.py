"""The CLI beside the running bot, as the README invites: one data directory, several processes.

The bot here is the real PTB Application against the emulator, with its knowledge base and
specialist pool in the same data directory (SQLite file or PostgreSQL, embedded Chroma) that
real `tepai` subprocesses write to while it runs.
"""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import texts
from bot.emulator import BotApiEmulator
from bot.services import FloodGuard, Services
from knowledge.answers import Answerer
from knowledge.index import BUNDLED_CORPUS
from knowledge.service import open_knowledge
from store.db import Database
from tests.handlers.conftest import STAFF, Bot, bot_settings, start_bot, stop_bot

REPO = Path(__file__).resolve().parents[2]
POOL = REPO.parent / "shared" / "eval" / "specialists_dev.jsonl"
CODE = "91370100MA3C5QXX18"  # a valid unified social credit code


def cli_env(data_dir: Path, database_url: str) -> dict[str, str]:
    # The bot below serves with USE (cheap to embed 3,000 profiles); the CLI must use the same
    # encoder, or the two would write different collections.
    env = {**os.environ, "TEPAI_DATA_DIR": str(data_dir), "DATABASE_URL": database_url,
           "TEPAI_EMBEDDING": "use-multilingual"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return env


def tepai(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=600,
                          env=env, cwd=REPO)


async def tepai_async(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def emulator():  # type: ignore[no-untyped-def]
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture
async def shared_bot(emulator: BotApiEmulator, use_embeddings, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A bot whose policy index, specialist pool and database are the CLI's too."""
    data = tmp_path / "data"
    # Users here ask back to back for minutes: a load, not a flood (the flood guard has its own tests).
    settings = bot_settings(emulator, data, database_url, TEPAI_FLOOD_LIMIT="1000", TEPAI_EMBEDDING="use-multilingual")
    kb = open_knowledge(settings.knowledge, embeddings=use_embeddings)
    kb.index.update([BUNDLED_CORPUS])  # what the first `tepai run` does
    db = Database.open(settings.db_url)
    await seed_demand(db)
    services = Services(settings, db, kb, Answerer(kb.retriever), FloodGuard(settings.flood_limit))
    running = Bot(emulator, services, await start_bot(emulator, services))
    running.env = cli_env(data, database_url)  # type: ignore[attr-defined]
    yield running
    await stop_bot(running.app)
    await db.close()


async def seed_demand(db: Database) -> None:
    """An open campaign with one enterprise's confirmed demand, for /match."""
    from store import repositories as repo
    from store import survey
    from store.models import Enterprise, Submission

    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, 5, "王总")
        enterprise = Enterprise(credit_code=CODE, name="甲乳业")
        session.add(enterprise)
        await session.flush()
        session.add(Submission(enterprise_id=enterprise.id, campaign_year=2026, version=1, current=True,
                               submitted_by=user.id, answers={
                                   "name": "甲乳业", "credit_code": CODE, "field": "现代农业", "product": "酸奶",
                                   "directions": ["关键技术研发攻关"], "consent": True,
                                   "description": "酸奶放几天就变酸，想延长货架期，优化发酵菌种。"}))


@pytest.mark.heavy
async def test_specialists_imported_by_the_cli_are_matched_by_the_running_bot(shared_bot: Bot) -> None:
    bot = shared_bot
    await bot.say(STAFF, "/start")
    before = await bot.say(STAFF, f"/match {CODE}")
    assert "前 0 位" in before.plain_text  # the pool is empty

    imported = await tepai_async(bot.env, "specialists", "import", str(POOL))  # type: ignore[attr-defined]
    assert imported[0] == 0 and "新增 20" in imported[1], imported[2]

    after = await bot.say(STAFF, f"/match {CODE}")
    assert "前 10 位推荐特派员" in after.plain_text and after.plain_text.count("专长：") == 10
    assert "乳制品" in after.plain_text.split("专长：")[1].split("\n")[0]  # the dairy expert leads

    # Importing again rewrites every profile's vectors; the bot follows that too.
    again = await tepai_async(bot.env, "specialists", "import", str(POOL))  # type: ignore[attr-defined]
    assert again[0] == 0 and "更新 20" in again[1], again[2]
    assert (await bot.say(STAFF, f"/match {CODE}")).plain_text.count("专长：") == 10
    assert not [m for m in bot.emu.messages(STAFF) if m.plain_text == texts.INTERNAL_ERROR_CHAT]


POLICY = """济南市科技特派员服务补助实施细则

第一条 为鼓励科技特派员深入企业开展服务，制定本细则。
第二条 科技特派员每服务一家企业满一个年度，由市科技局给予服务补助，每人每年交通补助标准为3600元。
第三条 服务补助于次年一季度统一拨付，拨付前须经企业确认服务记录。
"""


@pytest.mark.heavy
async def test_a_document_indexed_by_the_cli_is_cited_by_the_running_bot(shared_bot: Bot, tmp_path: Path) -> None:
    bot = shared_bot
    user = 4242
    source = tmp_path / "补助细则.txt"
    source.write_text(POLICY, encoding="utf-8")
    done = await tepai_async(bot.env, "index", str(source))  # type: ignore[attr-defined]
    assert done[0] == 0, done[2]

    answer = await bot.say(user, "科技特派员的交通补助每年多少钱？", timeout=60)
    assert "3600" in answer.plain_text and "服务补助实施细则" in answer.plain_text

    # The document revised in place: its old vectors are deleted by the CLI process, and the
    # bot, holding them in memory, must neither fail nor cite the old figure.
    source.write_text(POLICY.replace("3600元", "4800元"), encoding="utf-8")
    done = await tepai_async(bot.env, "index", str(source))  # type: ignore[attr-defined]
    assert done[0] == 0, done[2]
    revised = await bot.say(user, "科技特派员的交通补助每年多少钱？", timeout=60)
    assert "4800" in revised.plain_text and "3600" not in revised.plain_text
    assert texts.INTERNAL_ERROR_CHAT not in [m.plain_text for m in bot.emu.messages(user)]


FIELDS = ["现代农业", "先进制造与自动化", "新一代信息技术", "生物与新医药", "新材料", "资源与环境"]
SKILLS = ["乳制品加工", "发酵工艺", "果蔬保鲜", "数控机床", "工业机器人", "机器视觉检测", "药物制剂", "高分子材料",
          "污水处理", "土壤修复", "嵌入式系统", "食品安全检测", "农机装备", "精密铸造", "中药提取", "锂电池材料"]


def write_pool(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "name", "institution", "title", "field", "expertise", "capacity", "phone"])
        for n in range(rows):
            skills = "、".join(SKILLS[(n + k * 5) % len(SKILLS)] for k in range(3))
            out.writerow([f"T{n:05d}", f"专家{n}", f"第{n % 40}研究所", "高级工程师", FIELDS[n % len(FIELDS)], skills,
                          1 + n % 3, f"139{n:08d}"])


@pytest.mark.heavy
async def test_the_bot_answers_everyone_while_a_big_import_and_other_cli_writers_run(
        shared_bot: Bot, database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("sqlite"):
        # The contention is SQLite's one write lock; PostgreSQL locks rows, and the import's
        # PostgreSQL path is exercised by the test above.
        pytest.skip("SQLite's single writer lock")
    bot = shared_bot
    env = bot.env  # type: ignore[attr-defined]
    pool = tmp_path / "pool.csv"
    write_pool(pool, 3000)
    first = await tepai_async(env, "specialists", "import", str(POOL))  # X: someone to declare a conflict with
    assert first[0] == 0, first[2]

    importer = asyncio.ensure_future(tepai_async(env, "specialists", "import", str(pool)))
    writers: list[tuple[str, tuple[int, str, str]]] = []
    users = [3001, 3002, 3003]
    questions = ["到2027年特派员覆盖率目标是多少？", "科技特派员可以服务几家企业？", "企业怎么申请科技特派员？"]
    sent = 0

    async def one_user(user: int) -> int:
        count = 0
        while not importer.done():
            await bot.say(user, questions[count % len(questions)], timeout=120)
            count += 1
        return count

    async def cli_writers() -> None:
        round_ = 0
        while not importer.done():
            for args in (("staff", "add", str(7000 + round_)), ("conflicts", "add", CODE, "P01"),
                         ("campaign", "open", "2026"), ("conflicts", "remove", CODE, "P01")):
                writers.append((" ".join(args), await tepai_async(env, *args)))
            round_ += 1

    counts = await asyncio.gather(*(one_user(u) for u in users), cli_writers())
    sent = sum(counts[:-1])
    code, out, err = await importer
    assert code == 0 and "新增 3000" in out, err
    assert sent >= len(users)  # everyone was talking while the import ran
    for user in users:
        replies = [m.plain_text for m in bot.emu.messages(user)]
        assert texts.INTERNAL_ERROR_CHAT not in replies
    failed = [(name, result) for name, result in writers if result[0] != 0]
    assert writers and not failed, failed
    # The bot sees the new specialists on its next request.
    assert (await bot.say(STAFF, f"/match {CODE}")).plain_text.count("专长：") == 10


def test_a_cli_writer_that_cannot_get_the_database_says_so_in_chinese_without_sql_or_phones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    import store.db
    from bot.cli import main
    from store.db import default_url, upgrade

    data = tmp_path / "data"
    monkeypatch.setenv("TEPAI_DATA_DIR", str(data))
    upgrade(default_url(data))
    pool = tmp_path / "pool.csv"
    write_pool(pool, 3)
    # Another process keeps its write transaction open past the wait (shortened here: 30 s).
    monkeypatch.setattr(store.db, "BUSY_TIMEOUT_S", 0.3)
    holder = sqlite3.connect(data / "tepai.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code = main(["specialists", "import", str(pool)])
        staff = main(["staff", "add", "4711"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err
    assert code == 4 and staff == 4
    assert err.count(texts.DB_BUSY) == 2
    assert "13900000001" not in err and "INSERT" not in err and "Traceback" not in err
    assert main(["staff", "add", "4711"]) == 0  # nothing half-done: it simply works once the lock is free
