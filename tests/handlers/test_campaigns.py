"""Campaign states are truthful: closed is not "not started", one campaign at a time, and opening
one offers staff an announcement to every enterprise that they confirm."""

from __future__ import annotations

import pytest

from core import texts
from bot.cli import main
from store import repositories as repo
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot
from tests.handlers.test_survey import CODE, choose


async def staff(bot: Bot, command: str, replies: int = 1) -> str:
    """A staff /campaign command, and the `replies` messages the bot answers it with."""
    after = len(bot.emu.messages(STAFF))
    await bot.say(STAFF, command)
    if replies > 1:
        await bot.emu.wait_for_message(STAFF, lambda m: len(bot.emu.messages(STAFF)) >= after + replies, after=after)
    return "\n".join(m.plain_text or "" for m in bot.emu.messages(STAFF)[after:after + replies])


async def test_after_close_the_survey_says_it_ended_not_that_it_has_not_started(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    assert (await bot.say(OWNER, "/survey")).plain_text == texts.SURVEY_NO_CAMPAIGN  # truly not started
    await staff(bot, "/campaign open 2026", replies=4)  # OWNER is a user now: the offer comes too
    await staff(bot, "/campaign close 2026")
    closed = await bot.say(OWNER, "/survey")
    assert closed.plain_text == texts.SURVEY_CAMPAIGN_CLOSED.format(year=2026)
    assert "尚未开始" not in closed.plain_text


async def test_a_second_campaign_cannot_open_while_one_is_open(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await staff(bot, "/campaign open 2026", replies=2)
    assert await staff(bot, "/campaign open 2027") == texts.CAMPAIGN_ALREADY_OPEN.format(open=2026, year=2027)
    status = await staff(bot, "/campaign")
    assert "2026 年：进行中" in status and "2027" not in status
    await staff(bot, "/campaign close 2026")
    assert "已开启2027年度需求调查" in await staff(bot, "/campaign open 2027", replies=2)


def test_the_cli_refuses_a_second_open_campaign_with_the_reason(
        database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["campaign", "open", "2026"]) == 0
    assert "tepai broadcast --segment enterprises" in capsys.readouterr().out
    assert main(["campaign", "open", "2027"]) == 2
    assert capsys.readouterr().err.strip() == texts.CAMPAIGN_ALREADY_OPEN_CLI.format(open=2026, year=2027)
    assert main(["campaign", "open", "2026"]) == 0  # the open one again: nothing changes


async def test_opening_a_campaign_offers_an_announcement_staff_confirm_and_enterprises_receive(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await bot.say(OWNER, "/start")
    await bot.say(OTHER, "/start")
    after = len(bot.emu.messages(STAFF))
    await bot.say(STAFF, "/campaign open 2026")
    summary = await bot.emu.wait_for_message(STAFF, lambda m: bool(m.buttons), after=after)
    shown = [m.plain_text for m in bot.emu.messages(STAFF)[after:]]
    assert shown[1] == texts.CAMPAIGN_NOTIFY_OFFER
    assert "2026年度企业科技特派员需求摸底调查开始了" in shown[2]  # the preview, as enterprises will see it
    assert "接收人：2 人" in summary.plain_text and "企业用户" in summary.plain_text
    owner_before, other_before = len(bot.emu.messages(OWNER)), len(bot.emu.messages(OTHER))
    await bot.press(STAFF, summary, texts.BROADCAST_SEND_NOW)
    notice = await bot.emu.wait_for_message(OWNER, "需求摸底调查开始了", after=owner_before, timeout=20)
    assert "/survey" in notice.plain_text
    await bot.emu.wait_for_message(OTHER, "需求摸底调查开始了", after=other_before, timeout=20)
    assert all("需求摸底调查开始了" not in m.plain_text for m in bot.emu.messages(STAFF)[after + 3:])


async def test_declining_the_announcement_sends_nothing(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await bot.say(OWNER, "/start")
    after = len(bot.emu.messages(STAFF))
    await bot.say(STAFF, "/campaign open 2026")
    summary = await bot.emu.wait_for_message(STAFF, lambda m: bool(m.buttons), after=after)
    owner_before = len(bot.emu.messages(OWNER))
    await bot.press(STAFF, summary, texts.BROADCAST_DISCARD)
    await bot.emu.wait_until_idle(quiet=0.5)
    assert len(bot.emu.messages(OWNER)) == owner_before


async def test_an_answer_typed_as_the_campaign_closes_is_told_so_not_forwarded_to_staff(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await staff(bot, "/campaign open 2026", replies=2)
    await bot.say(OWNER, "/survey")
    await bot.say(OWNER, "济南智造科技有限公司")
    await bot.say(OWNER, CODE)
    await choose(bot, OWNER, "历下区")
    await staff(bot, "/campaign close 2026")
    staff_before = len(bot.emu.messages(STAFF))
    told = await bot.say(OWNER, "13905311234")
    assert told.plain_text == texts.SURVEY_CLOSED_WHILE_FILLING.format(year=2026)
    await bot.emu.wait_until_idle(quiet=0.5)
    assert len(bot.emu.messages(STAFF)) == staff_before  # no "question" handed to staff
    async with bot.services.db.session() as session:
        assert await repo.count_handoffs(session) == 0
    answer = await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")  # afterwards: questions again
    assert "高等院校" in answer.plain_text
