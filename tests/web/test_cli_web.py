"""`tepai web`: the operator starts the web chat from the shell and stops it with Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core import texts
from bot.web.browser import free_port

REPO = Path(__file__).resolve().parents[2]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_WEB_")}
    return {**env, "TEPAI_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", **extra}


def test_a_short_secret_is_refused_at_start_naming_the_setting(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "web", "--port", "9"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=_env(tmp_path / "data", TEPAI_WEB_SECRET="too-short"))
    assert done.returncode == 3
    assert "TEPAI_WEB_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_tepai_web_serves_the_page_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(data))
    try:
        page = None
        deadline = time.monotonic() + 300  # the first start indexes the bundled policy
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert page is not None, process.stderr.read() if process.poll() is not None else "no answer"
        assert page.status_code == 200 and texts.WEB_PAGE["heading"] in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "server" not in page.headers  # no version banner
        # The generated secret is the operator's alone.
        assert (data / "web-secret").stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert texts.WEB_STARTING.format(host="127.0.0.1", port=port) in out
    assert "Traceback" not in err


async def test_a_hand_off_from_the_web_process_reaches_staff_through_the_bot_process_and_back(  # type: ignore[no-untyped-def]
        emulator, policy_kb, database_url: str, tmp_path: Path) -> None:
    """`tepai web` and the bot as two processes on one database: the web worker owes the forward,
    the bot's sender delivers it, staff reply in Telegram, the web worker's visitor reads it."""
    import asyncio

    from tests.handlers.conftest import STAFF
    from tests.web.conftest import close_site, open_site

    site = await open_site(emulator, policy_kb, database_url, tmp_path / "bot-data")  # the bot, in this process
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=_env(tmp_path / "web-data", DATABASE_URL=database_url, TEPAI_STAFF_IDS=str(STAFF)))
    try:
        await site.bot.say(STAFF, "/start")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as browser:
            for _ in range(600):
                try:
                    state = (await browser.get("/api/session")).json()
                    break
                except httpx.TransportError:
                    assert web.poll() is None, web.stderr.read() if web.stderr else ""
                    await asyncio.sleep(0.5)
            csrf = {"X-CSRF-Token": state["csrf"]}
            declined = (await browser.post("/api/send", json={"text": "怎么申请公租房？"}, headers=csrf)).json()
            assert not declined["answered"]
            staff_before = len(site.bot.emu.messages(STAFF))
            handed = (await browser.post("/api/handoff", json={"qa_id": declined["qa_id"]}, headers=csrf)).json()
            assert handed["text"] == texts.WEB_HANDOFF_WAITING
            forwarded = await site.bot.emu.wait_for_message(STAFF, "待答复", after=staff_before, timeout=30)
            await site.bot.say(STAFF, "请咨询市住房保障部门。", reply_to_message_id=forwarded.message_id)
            for _ in range(90):  # once a second, as a page might: under the poll limit (60 a minute)
                messages = (await browser.get("/api/messages", params={"after": 0})).json()["messages"]
                if messages:
                    break
                await asyncio.sleep(1.0)
            assert [m["from"] for m in messages] == [texts.WEB_STAFF_REPLY] and "住房保障" in messages[0]["text"]
    finally:
        web.send_signal(signal.SIGINT)
        web.communicate(timeout=60)
        await close_site(site)
    assert web.returncode == 0
