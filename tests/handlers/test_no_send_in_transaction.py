"""No Telegram call is made while its handler holds the database: the staff member previewing an
announcement, a specialist being approved, an owner asking for a specialist — each reply goes
out only after the transaction that decided it has committed and given its connection back.

A network call inside a transaction keeps SQLite's write lock (PostgreSQL's row locks) for as
long as Telegram takes to answer, and every other writer waits. The watch below notes which
asyncio task holds a pooled connection, and checks at every Bot API request the bot makes that
the task making it holds none.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import event

from core import texts
from tests.handlers.conftest import OWNER, STAFF, Bot
from tests.handlers.test_broadcast import ANNOUNCEMENT, PEOPLE
from tests.handlers.test_matching import load_pool, submit_survey
from tests.handlers.test_specialists import EXPERT, register
from tests.handlers.test_survey import choose


class TransactionWatch:
    """Bot API calls made by a task that had a database connection checked out."""

    def __init__(self, bot: Bot) -> None:
        self.holders: dict[object, asyncio.Task | None] = {}  # connection record -> the task that took it
        self.calls = 0
        self.violations: list[str] = []
        pool = bot.services.db.engine.sync_engine.pool

        @event.listens_for(pool, "checkout")
        def taken(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
            self.holders[record] = asyncio.current_task()

        @event.listens_for(pool, "checkin")
        def returned(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
            self.holders.pop(record, None)  # given back from a closing task, not always the taker

        request = bot.app.bot._request[1]  # the requests that are not getUpdates
        post = request.post

        async def watched_post(url: str, *args, **kwargs):  # type: ignore[no-untyped-def]
            self.calls += 1
            task = asyncio.current_task()
            if task is not None and task in self.holders.values():
                self.violations.append(url.rsplit("/", 1)[-1])
            return await post(url, *args, **kwargs)

        request.post = watched_post


async def test_composing_and_sending_an_announcement_holds_no_transaction_over_telegram(bot: Bot) -> None:
    for user in PEOPLE:
        await bot.say(user, "/start")
    watch = TransactionWatch(bot)
    assert "请发送公告正文" in (await bot.say(STAFF, "/broadcast")).plain_text
    assert "HTML 格式有误" in (await bot.say(STAFF, "<b>未闭合的标签")).plain_text  # Telegram refused the preview
    assert (await bot.say(STAFF, ANNOUNCEMENT)).plain_text.startswith("2027年度科技特派员征集公告")  # the preview
    await bot.emu.wait_for_message(STAFF, "请选择发送范围")
    summary = await choose(bot, STAFF, "企业用户")
    assert "接收人：4 人" in summary.plain_text
    send_now = next(data for label, data in summary.buttons if label == texts.BROADCAST_SEND_NOW)
    staff_before = len(bot.emu.messages(STAFF))
    await choose(bot, STAFF, texts.BROADCAST_SEND_NOW)
    await bot.emu.wait_for_message(STAFF, "发送完毕", timeout=20, after=staff_before)
    again = bot.emu.user_presses_button(STAFF, summary.message_id, send_now, force=True)  # a second tap, too late
    stale = await bot.emu.wait_for_callback_answer(again["callback_query"]["id"])
    assert stale.text == texts.BROADCAST_STALE
    assert watch.calls > 10 and watch.violations == []


async def test_approving_a_specialist_holds_no_transaction_over_telegram(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await register(bot)
    watch = TransactionWatch(bot)
    staff_before = len(bot.emu.messages(STAFF))
    await choose(bot, EXPERT, texts.REG_CONFIRM)
    notice = await bot.emu.wait_for_message(STAFF, "新的特派员登记", after=staff_before)
    assert (await bot.press(STAFF, notice, "通过")).startswith("已通过")
    own = await bot.say(STAFF, "/help")
    forged = bot.emu.user_presses_button(STAFF, own.message_id, "sp:ok:99999", force=True)  # no such registration
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.STALE_BUTTON
    assert watch.calls > 3 and watch.violations == []


async def test_asking_for_a_specialist_holds_no_transaction_over_telegram(bot: Bot, tmp_path: Path) -> None:
    await load_pool(bot, tmp_path)
    suggestions = await submit_survey(bot)
    watch = TransactionWatch(bot)
    label = suggestions.buttons[0][0]
    assert await bot.press(OWNER, suggestions, label) == texts.REQUEST_SENT
    assert await bot.press(OWNER, suggestions, label) == texts.REQUEST_ALREADY
    await bot.emu.wait_for_message(STAFF, "对接请求", after=0)
    assert (await bot.say(STAFF, "/campaign")).plain_text.startswith("需求调查")
    assert watch.calls >= 3 and watch.violations == []
