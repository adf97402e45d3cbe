"""`tepai emulator` + several `tepai chat`: people in different terminals talk to one local bot.

An owner asks in one terminal and is handed to a human; staff, in another, see the hand-off
arrive and reply to it; the owner's terminal shows the reply; an announcement reaches the
other sessions. The emulator and the bot run in-process here (one shared knowledge base),
the clients are the real `tepai chat` client over real loopback HTTP, typing through a
keyboard the test controls; one test runs it all as separate processes.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import queue
import re
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from core import texts
from bot.chat_client import connect
from bot.emulator.clients import PREFIX, SECRET_HEADER
from bot.settings import load_settings
from bot.chat_server import CONNECTION_FILE, SHARED_DIR, People, SharedEmulator
from bot.terminal import PROMPT
from tests.handlers.conftest import make_services
from tests.people import person

WAIT = 120.0  # a guard against a hang, never a speed target


class Keyboard:
    """What a person types: lines arrive when the test types them; close() is Ctrl-D."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str] = queue.Queue()

    def type(self, *lines: str) -> None:
        for line in lines:
            self._lines.put(line + "\n")

    def close(self) -> None:
        self._lines.put("")

    def readline(self) -> str:
        return self._lines.get()


class Terminal:
    """One `tepai chat` client running as a task: its keyboard and its screen."""

    def __init__(self, settings, name: str | None = None, role: str | None = None,  # type: ignore[no-untyped-def]
                 connection: dict | None = None) -> None:
        self.keyboard, self.screen = Keyboard(), io.StringIO()
        self.task = asyncio.create_task(connect(settings, name=name, role=role, stdin=self.keyboard,  # type: ignore[arg-type]
                                                out=self.screen, connection=connection))

    @property
    def text(self) -> str:
        return self.screen.getvalue()

    async def sees(self, needle: str, after: int = 0) -> str:
        """Wait until the screen shows ``needle`` (past position ``after``); the screen so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while needle not in self.text[after:]:
            if self.task.done():
                raise AssertionError(f"the client ended before showing {needle!r}:\n{self.text}")
            if loop.time() > deadline:
                raise AssertionError(f"{needle!r} never appeared:\n{self.text}")
            await asyncio.sleep(0.05)
        return self.text

    async def ready(self) -> None:
        """Wait until the prompt is back: the bot has answered everything typed so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not self.text.endswith(PROMPT):
            if self.task.done() or loop.time() > deadline:
                raise AssertionError(f"the prompt did not come back:\n{self.text}")
            await asyncio.sleep(0.05)

    async def leaves(self, how: str = "/quit") -> int:
        if how == "ctrl-d":
            self.keyboard.close()
        else:
            self.keyboard.type(how)
        code = await asyncio.wait_for(self.task, WAIT)
        return code  # type: ignore[return-value]


def shared_settings(data_dir: Path, database_url: str):  # type: ignore[no-untyped-def]
    return load_settings({"TEPAI_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "TEPAI_FLOOD_LIMIT": "200"})


@pytest.fixture
async def shared(policy_kb, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """`tepai emulator` in-process over the bundled policy; 王科长 made staff as `tepai staff add` does."""
    from store import repositories as repo

    settings = shared_settings(tmp_path / "data", database_url)
    async with SharedEmulator(settings, make_services=lambda s: make_services(s, policy_kb)) as running:
        chief, _ = People(settings.data_dir).resolve("王科长", None)
        async with running.services.db.session() as session, session.begin():
            await repo.add_staff(session, (await person(session, chief)).id, "成果转化处")
        yield running


async def test_staff_in_one_terminal_answer_an_owner_in_another_and_announcements_reach_everyone(shared) -> None:  # type: ignore[no-untyped-def]
    settings = shared.settings
    chief = Terminal(settings, "王科长")
    await chief.sees("您好")
    owner = Terminal(settings, "王总")
    await owner.sees("您好，王总")
    other = Terminal(settings, "李总")
    await other.sees("您好，李总")

    owner.keyboard.type("\x1b]0;pwned\x07\x1b[2J怎么申请公租房？")  # escape sequences aimed at staff's terminal
    await owner.sees(texts.UNANSWERED_LOGGED)

    # The hand-off arrives in the staff terminal while its prompt waits; staff reply to it by number.
    screen = await chief.sees("待答复 #1")
    forward = re.search(r"tepai \[#(\d+)\]\n🙋 待答复 #1", screen)
    assert forward, screen
    assert "王总" in screen and "怎么申请公租房？" in screen
    assert "\x1b" not in chief.text and "\x07" not in chief.text
    chief.keyboard.type(f"@{forward.group(1)} 公租房请向区住建部门咨询。")
    await chief.sees("答复已排入发送队列")
    shown = await owner.sees("公租房请向区住建部门咨询。")
    assert "科技局工作人员答复" in shown and "怎么申请公租房？）" in shown and "\x1b" not in owner.text

    owner.keyboard.type("到2027年特派员覆盖率目标是多少？")
    await owner.sees("[3] 转人工")
    await owner.ready()

    mark = len(other.text)
    composing = len(chief.text)
    chief.keyboard.type("/broadcast", "十二月科技特派员征集开始了")
    await chief.sees("请选择发送范围", after=composing)  # a person reads the choices before picking one
    chief.keyboard.type("1")  # 1: 全部用户
    await chief.sees("确认发送")
    chief.keyboard.type("1")  # 立即发送
    await owner.sees("十二月科技特派员征集开始了")
    assert "十二月科技特派员征集开始了" in (await other.sees("十二月科技特派员征集开始了", after=mark))[mark:]

    # The announcement came in between: the owner's "1" still rates the answer in hand.
    owner.keyboard.type("1")
    await owner.sees("（提示）感谢反馈！")

    assert await owner.leaves("/quit") == 0
    assert await other.leaves("ctrl-d") == 0
    assert await chief.leaves("/quit") == 0
    for terminal in (owner, other, chief):
        assert terminal.text.rstrip().endswith(texts.BYE)
        assert "Traceback" not in terminal.text


async def test_staff_rights_come_from_the_server_side_never_from_a_client(shared) -> None:  # type: ignore[no-untyped-def]
    settings = shared.settings
    claimed = Terminal(settings, role="staff")
    assert await asyncio.wait_for(claimed.task, WAIT) == 2
    assert texts.CHAT_CLIENT_REFUSED["staff_not_grantable"] in claimed.text

    expert = Terminal(settings, role="specialist")  # being a specialist is no privilege: /register is reviewed
    await expert.sees("老师")
    assert await expert.leaves() == 0

    owner = Terminal(settings, "王总")
    await owner.sees("您好，王总")
    owner.keyboard.type("/unanswered")
    await owner.sees(texts.STAFF_ONLY)
    assert await owner.leaves() == 0


async def test_a_client_without_this_data_dirs_secret_is_refused(shared, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Another data dir whose connection file points here holds another secret: no way in.
    elsewhere = shared_settings(tmp_path / "elsewhere", shared.settings.db_url)
    folder = elsewhere.data_dir / SHARED_DIR
    folder.mkdir(parents=True)
    (folder / CONNECTION_FILE).write_text(json.dumps({"url": shared.url, "secret": "x" * 43}), encoding="utf-8")
    stranger = Terminal(elsewhere, "王总")
    assert await asyncio.wait_for(stranger.task, WAIT) == 3
    assert texts.CHAT_CLIENT_REFUSED["unauthorized"] in stranger.text

    async with aiohttp.ClientSession() as http:
        async with http.post(f"{shared.url}{PREFIX}/send", json={"user_id": 42, "text": "/start"}) as resp:
            assert resp.status == 401
        async with http.get(f"{shared.url}{PREFIX}/events", params={"user_id": 42},
                            headers={SECRET_HEADER: "guess"}) as resp:
            assert resp.status == 401
    with shared.emu._lock:
        assert 42 not in shared.emu._chats  # nobody was made to say anything


async def test_bad_input_in_the_client_gets_a_chinese_reply(shared, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    owner = Terminal(shared.settings, "王总")
    await owner.sees("您好，王总")
    owner.keyboard.type("", "@999 你好", "/file /no/such/通知.pdf", "长" * 5000, "🙂🙂🙂", "到2027年特派员覆盖率目标是多少？")
    screen = await owner.sees("[3] 转人工")
    owner.keyboard.type("9")
    screen = await owner.sees("没有这个选项")
    assert texts.CHAT_EMPTY_LINE in screen
    assert texts.CHAT_CLIENT_REFUSED["no_such_message"] in screen
    assert "无法读取文件" in screen
    assert "最多 4096 个字" in screen
    assert "全市 50%的科技型中小企业配备科技特派员" in screen
    assert "Traceback" not in screen and "Error" not in screen
    assert await owner.leaves() == 0

    forged = Terminal(shared.settings, "王\x1b[2J总")  # a name that would rewrite the screens it appears on
    assert await asyncio.wait_for(forged.task, WAIT) == 2
    assert texts.CHAT_CLIENT_REFUSED["bad_name"] in forged.text


async def test_a_client_whose_emulator_stops_says_so_and_ends(shared) -> None:  # type: ignore[no-untyped-def]
    owner = Terminal(shared.settings, "王总")
    await owner.sees("您好，王总")
    await shared.stop()  # Ctrl-C in the emulator's terminal, while the owner's prompt waits
    assert await asyncio.wait_for(owner.task, WAIT) == 0
    assert texts.CHAT_EMULATOR_GONE in owner.text and owner.text.rstrip().endswith(texts.BYE)
    assert not (shared.settings.data_dir / SHARED_DIR / CONNECTION_FILE).exists()


async def test_charts_and_exports_reach_the_staff_terminal_as_files_in_the_data_dir(shared) -> None:  # type: ignore[no-untyped-def]
    from store import repositories as repo
    from store import survey
    from store.models import Enterprise, Submission

    async with shared.services.db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, 10001, "王总")
        enterprise = Enterprise(credit_code="91370100MA3C5QXX00", name="甲公司", district="历下区")
        session.add(enterprise)
        await session.flush()
        session.add(Submission(enterprise_id=enterprise.id, campaign_year=2026, version=1, current=True,
                               submitted_by=user.id, answers={"name": "甲公司", "district": "历下区"}))
    chief = Terminal(shared.settings, "王科长")
    await chief.sees("您好")
    chief.keyboard.type("/stats", "/export 2026 csv")
    screen = await chief.sees("需求摸底-2026.csv")
    screen = await chief.sees("已保存到", after=screen.index("需求摸底-2026.csv"))
    assert await chief.leaves() == 0
    saved = [Path(p) for p in re.findall(r"已保存到：(\S+)", chief.text)]
    assert {p.parent for p in saved} == {(shared.settings.data_dir / "terminal-files").resolve()}
    assert next(p for p in saved if p.suffix == ".png").read_bytes().startswith(b"\x89PNG")
    assert "甲公司" in next(p for p in saved if p.suffix == ".csv").read_text(encoding="utf-8-sig")


async def test_make_run_without_a_token_is_a_chat_others_can_join(policy_kb, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from bot.chat_client import chat_together

    settings = shared_settings(tmp_path / "data", database_url)
    keyboard, screen = Keyboard(), io.StringIO()
    first = asyncio.create_task(chat_together(settings, stdin=keyboard, out=screen,  # type: ignore[arg-type]
                                              make_services=lambda s: make_services(s, policy_kb)))
    keyboard.type("到2027年特派员覆盖率目标是多少？", "1")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while "感谢反馈" not in screen.getvalue() and loop.time() < deadline and not first.done():
        await asyncio.sleep(0.05)
    transcript = screen.getvalue()
    assert "已作为 企业用户（用户 10001）连接" in transcript  # the single-user chat's owner, as before
    assert "全市 50%的科技型中小企业配备科技特派员" in transcript
    assert transcript.count("（提示）感谢反馈！") == 1

    joiner = Terminal(settings, "李总")  # from another terminal, through the connection file
    await joiner.sees("您好，李总")
    assert await joiner.leaves() == 0
    keyboard.type("/quit")
    assert await asyncio.wait_for(first, WAIT) == 0
    assert screen.getvalue().rstrip().endswith(texts.BYE)
    assert not (settings.data_dir / SHARED_DIR / CONNECTION_FILE).exists()


def test_emulator_and_two_chats_as_separate_processes(tmp_path: Path) -> None:
    """`tepai emulator --staff 王科长` in one process; an owner's and the staff's `tepai chat` in
    others, with piped input; Ctrl-C stops the emulator cleanly."""
    import subprocess

    repo_root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TEPAI_DATA_DIR": str(tmp_path / "data"), "TEPAI_EMBEDDING": "use-multilingual"}

    def tepai(*args: str, stdin: str = "/quit\n") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                              timeout=300, env=env, cwd=repo_root)

    server = subprocess.Popen([sys.executable, "-m", "bot", "emulator", "--staff", "王科长"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=repo_root)
    connection = tmp_path / "data" / SHARED_DIR / CONNECTION_FILE
    try:
        deadline = time.monotonic() + 300  # a guard against a hang (first run: model and index)
        while not connection.exists():
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "the emulator never started"
            time.sleep(0.2)
        assert oct(connection.stat().st_mode & 0o777) == "0o600"
        assert json.loads(connection.read_text(encoding="utf-8"))["url"].startswith("http://127.0.0.1:")

        second = tepai("emulator")
        assert second.returncode == 4 and texts.EMULATOR_BUSY in second.stdout

        owner = tepai("chat", "--as", "王总", stdin="怎么申请公租房？\n/quit\n")
        assert owner.returncode == 0, owner.stderr
        assert texts.UNANSWERED_LOGGED in owner.stdout

        chief = tepai("chat", "--as", "王科长", stdin="/unanswered\n")  # the end of input is Ctrl-D
        assert chief.returncode == 0, chief.stderr
        assert "待答复 #1" in chief.stdout and "待答复问题（1）" in chief.stdout
        assert chief.stdout.rstrip().endswith(texts.BYE)

        self_made = tepai("chat", "--as", "staff")
        assert self_made.returncode == 2
        assert texts.CHAT_CLIENT_REFUSED["staff_not_grantable"] in self_made.stdout
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=120)
    assert server.returncode == 0, err
    assert "已启动" in out and texts.EMULATOR_STAFF.format(name="王科长", id=30001) in out
    assert texts.EMULATOR_STOPPED in out and "Traceback" not in out + err
    assert not connection.exists()
