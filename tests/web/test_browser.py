"""An owner in a real (headless) Chromium, on the page uvicorn serves, with staff in Telegram.

Selenium blocks, so every browser step runs in a thread while the loop keeps serving the page
and running the bot. Without chromium + chromedriver the test skips locally; in CI (`CI` or
`TEPAI_REQUIRE_BROWSER=1`, set by .ci/run, which installs them) it fails instead.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest

from core import texts
from bot.web.browser import LiveServer, chrome, find_browser
from tests.handlers.conftest import STAFF
from tests.web.conftest import Site

pytestmark = pytest.mark.heavy


def _require_browser() -> None:
    if find_browser() is not None:
        return
    message = "chromium and chromium-driver are needed (apt-get install -y chromium chromium-driver)"
    if os.environ.get("CI") or os.environ.get("TEPAI_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


class Page:
    """The browser, driven from the event loop (each call in a thread)."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def run(self, step: Callable[[Any], Any]) -> Any:
        return await asyncio.to_thread(step, self.driver)

    async def wait(self, condition: Callable[[Any], Any], timeout: float = 30.0) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return await self.run(lambda d: WebDriverWait(d, timeout, poll_frequency=0.2).until(condition))

    async def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        await self.run(lambda d: ActionChains(d).send_keys(*keys).perform())

    async def active(self) -> dict[str, str]:
        return await self.run(lambda d: d.execute_script(
            "const a = document.activeElement; return {id: a.id || '', tag: a.tagName, text: a.textContent || ''};"))

    async def bubbles(self) -> list[str]:
        return await self.run(lambda d: [e.text for e in d.find_elements("css selector", "#log .msg")])

    async def wait_text(self, needle: str, timeout: float = 30.0) -> str:
        def found(d: Any) -> str | bool:
            for element in d.find_elements("css selector", "#log .msg"):
                if needle in element.text:
                    return element.text
            return False

        return await self.wait(found, timeout)

    async def ready(self) -> None:
        await self.wait(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))

    async def type_and_enter(self, text: str) -> None:
        from selenium.webdriver.common.keys import Keys

        await self.run(lambda d: d.find_element("id", "text").send_keys(text, Keys.ENTER))

    async def click_button(self, label: str) -> None:
        """The last enabled button in the conversation labelled `label` (or ending with it: ✅ 选中)."""
        def click(d: Any) -> bool:
            buttons = [e for e in reversed(d.find_elements("css selector", "#log button")) if e.is_enabled()]
            for match in (lambda t: t == label, lambda t: t.endswith(label)):
                for element in buttons:
                    if match(element.text.strip()):
                        element.click()
                        return True
            return False

        await self.wait(click)

    async def count(self, selector: str) -> int:
        return await self.run(lambda d: len(d.find_elements("css selector", selector)))


async def test_owner_in_a_browser_asks_hands_off_gets_staffs_reply_and_fills_the_survey_across_a_reload(
        site: Site) -> None:
    _require_browser()
    from selenium.webdriver.common.keys import Keys

    assert "已开启2026年度需求调查" in (await site.bot.say(STAFF, "/campaign open 2026")).plain_text
    async with LiveServer(site.app) as server:
        page = Page(await asyncio.to_thread(chrome, 390, 844))
        try:
            await page.run(lambda d: d.get(server.url))
            await page.ready()
            assert await page.run(lambda d: d.title) == texts.WEB_TITLE

            # Keyboard only: Tab reaches the input box, Enter sends.
            for _ in range(8):
                if (await page.active())["id"] == "text":
                    break
                await page.keys(Keys.TAB)
            assert (await page.active())["id"] == "text"
            await page.keys("入库的科技型中小企业能享受什么税收政策？", Keys.ENTER)
            await page.wait(lambda d: d.find_elements("css selector", ".cite blockquote"))
            quoted = await page.run(lambda d: [e.text for e in d.find_elements("css selector", ".cite blockquote")])
            sources = await page.run(lambda d: [e.text for e in d.find_elements("css selector", ".cite .source")])
            assert any("研发费用加计扣除" in q for q in quoted)
            assert sources[0].startswith("[1] 《") and "征求意见稿" in " ".join(await page.bubbles())
            assert (await page.active())["id"] == "text"  # focus stays where the next question goes

            # Out of scope: declined honestly, a human offered; Shift+Tab reaches 转人工, Enter presses it.
            staff_before = len(site.bot.emu.messages(STAFF))
            await page.keys("怎么申请公租房？", Keys.ENTER)
            await page.wait_text(texts.NOT_COVERED.splitlines()[0])
            for _ in range(6):
                if (await page.active())["text"] == texts.BUTTON_HANDOFF:
                    break
                await page.keys(Keys.SHIFT, Keys.TAB, Keys.SHIFT)
            assert (await page.active())["text"] == texts.BUTTON_HANDOFF
            await page.keys(Keys.ENTER)
            await page.wait_text(texts.WEB_HANDOFF_WAITING)

            # Staff answer in Telegram by replying to the forward; it shows up in the page, once.
            forwarded = await site.bot.emu.wait_for_message(STAFF, "待答复", after=staff_before)
            await site.bot.say(STAFF, "公租房请咨询市住房保障部门，电话 12345。", reply_to_message_id=forwarded.message_id)
            reply = await page.wait_text("12345")
            assert texts.WEB_STAFF_REPLY in reply and "北京时间" in reply
            polls = int(await page.run(lambda d: d.execute_script("return document.body.dataset.polls")))
            await page.wait(lambda d: int(d.execute_script("return document.body.dataset.polls")) > polls + 1)
            assert sum("12345" in b for b in await page.bubbles()) == 1  # two more polls: still shown once

            # The survey, with its buttons; a reload in the middle resumes at the same question.
            await page.run(lambda d: d.find_element("id", "survey").click())
            await page.wait_text("1/11")
            await page.type_and_enter("济南智造科技有限公司")
            await page.wait_text("2/11")
            from store.validators import credit_code_check_char

            code = "91370100MA3C5QXX1" + credit_code_check_char("91370100MA3C5QXX1")
            await page.type_and_enter(code)
            await page.wait_text("3/11")
            await page.click_button("历下区")
            await page.wait_text("4/11")

            await page.run(lambda d: d.refresh())
            await page.ready()
            resumed = await page.wait_text("继续填写")
            assert "4/11" in resumed
            assert "12345" in " ".join(await page.bubbles())  # the staff reply is still theirs to read
            # Keyboard again: after a press, focus moves to the next question's first button.
            await page.click_button("否")
            await page.wait_text("5/11")
            assert (await page.active())["tag"] == "BUTTON"
            await page.click_button("先进制造与自动化")
            await page.wait_text("6/11")
            await page.type_and_enter("数控机床主轴")
            await page.wait_text("7/11")
            await page.click_button("关键技术研发攻关")
            await page.click_button(texts.SURVEY_DONE_BUTTON)
            await page.wait_text("8/11")
            await page.type_and_enter("主轴高速运转时温升过大导致精度下降，已尝试更换轴承和改进润滑，效果有限。")
            await page.wait_text("9/11")
            await page.type_and_enter("跳过")
            await page.wait_text("请输入联系人姓名")
            await page.type_and_enter("王经理")
            await page.wait_text("手机号（11 位）")
            await page.type_and_enter("139 0531 1234")
            await page.wait_text("11/11")
            await page.click_button(texts.SURVEY_AGREE)
            await page.wait_text("请核对")
            await page.click_button(texts.SURVEY_CONFIRM)
            await page.wait_text("已提交")
            # Nobody in an empty pool, said honestly (the page shows what Telegram would).
            await page.wait(lambda d: texts.SUGGEST_NONE in d.find_element("id", "log").text, timeout=10)
        finally:
            await asyncio.to_thread(page.driver.quit)
