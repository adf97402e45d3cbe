"""Screenshots of the web chat for the README: `python -m bot.web.screenshots [--out docs/screenshots]`.

Runs the real app (bundled policy, a throw-away data directory) under uvicorn, drives headless
Chromium through a conversation and saves `web-desktop.png` (1280×800) and `web-phone.png`
(390×844). Staff's reply to the hand-off is recorded the way the Telegram handler records one
(store functions, no Telegram here: this is a picture, the browser test covers the real path).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from core import texts

PHONE, DESKTOP = (390, 844), (1280, 800)
QUESTION = "入库的科技型中小企业能享受什么税收政策？"
OUT_OF_SCOPE = "怎么申请公租房？"
STAFF_REPLY = "公租房由市住房保障部门受理，可拨打 12345 咨询；科技型企业人才住房政策可关注市科技局通知。"


def _wait(driver, condition, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(condition)


def _ask(driver, text: str, needle_selector: str, count: int) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.keys import Keys

    driver.find_element("id", "text").send_keys(text, Keys.ENTER)
    _wait(driver, lambda d: len(d.find_elements("css selector", needle_selector)) >= count)


async def _staff_replies(services) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.render import html
    from store import outbox as ob
    from store import repositories as repo
    from store.models import Handoff

    async with services.db.session() as session, session.begin():
        handoff = await session.scalar(select(Handoff).order_by(Handoff.id.desc()))
        await repo.mark_replied(session, handoff, None, STAFF_REPLY)  # staff in the picture are nobody in particular
        body = html(texts.STAFF_REPLY_TO_USER, question=handoff.question[:80], reply=STAFF_REPLY)
        await ob.owe(session, handoff.user_id, body, kind=ob.STAFF_REPLY, ref=f"reply:{handoff.id}")


async def shoot(out: Path, embedding: str | None) -> list[Path]:
    from bot.app import open_services
    from bot.settings import load_settings
    from bot.web.app import build_web_app
    from bot.web.browser import LiveServer, chrome
    from bot.web.config import load_web_config
    from store import survey

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # A staff member to hand off to (their Telegram is not running here: the forward just waits).
        env = {"TEPAI_DATA_DIR": tmp, "TEPAI_STAFF_IDS": "900", **({"TEPAI_EMBEDDING": embedding} if embedding else {})}
        services = await asyncio.to_thread(open_services, load_settings(env))
        async with services.db.session() as session, session.begin():
            await survey.set_campaign(session, 2026, "open")
        app = build_web_app(services, load_web_config(Path(tmp), {}))
        saved = []
        async with LiveServer(app) as server:
            desktop = await asyncio.to_thread(chrome, *DESKTOP)
            try:
                await asyncio.to_thread(desktop.get, server.url)
                await asyncio.to_thread(_wait, desktop, lambda d: d.execute_script("return document.body.dataset.ready"))
                await asyncio.to_thread(_ask, desktop, QUESTION, ".cite", 1)
                await asyncio.to_thread(_ask, desktop, OUT_OF_SCOPE, ".handoff", 2)
                buttons = await asyncio.to_thread(desktop.find_elements, "css selector", ".handoff")
                await asyncio.to_thread(buttons[-1].click)
                await asyncio.to_thread(_wait, desktop, lambda d: texts.WEB_HANDOFF_WAITING in d.find_element("id", "log").text)
                await _staff_replies(services)
                await asyncio.to_thread(_wait, desktop, lambda d: d.find_elements("css selector", ".msg.staff"))
                await asyncio.to_thread(desktop.find_element("id", "survey").click)
                await asyncio.to_thread(_wait, desktop, lambda d: "1/11" in d.find_element("id", "log").text)
                await asyncio.to_thread(_ask, desktop, "济南智造科技有限公司", ".msg.bot", 5)
                time.sleep(0.5)
                path = out / "web-desktop.png"
                await asyncio.to_thread(desktop.save_screenshot, str(path))
                saved.append(path)
            finally:
                await asyncio.to_thread(desktop.quit)
            phone = await asyncio.to_thread(chrome, *PHONE)
            try:
                await asyncio.to_thread(phone.get, server.url)
                await asyncio.to_thread(_wait, phone, lambda d: d.execute_script("return document.body.dataset.ready"))
                await asyncio.to_thread(_ask, phone, QUESTION, ".cite", 1)
                time.sleep(0.5)
                path = out / "web-phone.png"
                await asyncio.to_thread(phone.save_screenshot, str(path))
                saved.append(path)
            finally:
                await asyncio.to_thread(phone.quit)
        await services.db.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="网页对话截图（手机 390×844、桌面 1280×800）")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--embedding", default=None, help="TEPAI_EMBEDDING（默认同 tepai）")
    args = parser.parse_args(argv)
    from bot.web.browser import find_browser

    if find_browser() is None:
        print(texts.WEB_NO_BROWSER, file=sys.stderr)
        return 3
    for path in asyncio.run(shoot(args.out, args.embedding)):
        print(texts.WEB_SCREENSHOT_SAVED.format(path=path))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
