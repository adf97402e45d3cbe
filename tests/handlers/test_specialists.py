"""Specialists register by dialogue; staff approve them into the pool (and the match index)."""

from __future__ import annotations

from sqlalchemy import select

from bot import texts
from knowledge.matching import Demand
from store.models import Specialist
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot
from tests.handlers.test_survey import choose

EXPERT = 2001


async def register(bot: Bot, user: int = EXPERT) -> None:
    first = await bot.say(user, "/start specialist", first_name="李明")
    assert "报名科技特派员" in first.plain_text and "姓名" in first.plain_text
    await bot.say(user, "李明")
    await bot.say(user, "山东大学机械工程学院")
    await choose(bot, user, "高等院校")
    await bot.say(user, "教授")
    await choose(bot, user, "先进制造与自动化")
    assert "至少" in (await bot.say(user, "打印")).plain_text
    await bot.say(user, "增材制造（金属3D打印）、拓扑优化设计")
    await bot.say(user, "跳过")
    await choose(bot, user, "2")
    assert "没有这个区县" in (await bot.say(user, "火星区")).plain_text
    await bot.say(user, "历下区、章丘区")
    await bot.say(user, "13905311234")
    review = bot.emu.last_message(user)
    assert "请核对" in review.plain_text and "章丘区" in review.plain_text and "2" in review.plain_text


async def test_specialist_registers_staff_approves_and_the_pool_finds_them(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await register(bot)
    staff_before = len(bot.emu.messages(STAFF))
    done = await choose(bot, EXPERT, texts.REG_CONFIRM)
    assert done.plain_text == texts.REG_SUBMITTED
    notice = await bot.emu.wait_for_message(STAFF, "新的特派员登记", after=staff_before)
    assert "李明" in notice.plain_text and "13905311234" not in notice.plain_text

    # Nobody but staff can approve, even with the right callback data.
    approve_data = next(d for t, d in notice.buttons if t.startswith("✅"))
    own = await bot.say(OWNER, "/help")
    update = bot.emu.user_presses_button(OWNER, own.message_id, approve_data, force=True)
    assert (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text == texts.STAFF_ONLY
    assert "待审核" in (await bot.say(EXPERT, "/register")).plain_text

    expert_before = len(bot.emu.messages(EXPERT))
    answer = await bot.press(STAFF, notice, "通过")
    assert answer.startswith("已通过")
    approved = await bot.emu.wait_for_message(EXPERT, after=expert_before)
    assert approved.plain_text == texts.APPROVED_SPECIALIST
    update = bot.emu.user_presses_button(STAFF, notice.message_id, approve_data, force=True)
    assert "已经处理过" in (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text

    matches = bot.services.matcher.match(Demand(field="先进制造与自动化", description="想用金属3D打印做钛合金零件"), 3)
    assert matches[0].name == "李明"
    async with bot.services.db.session() as session:
        stored = await session.scalar(select(Specialist))
    assert (stored.status, stored.source, stored.capacity, stored.districts) == ("active", "registration", 2, ["历下区", "章丘区"])


async def test_registration_pauses_and_resumes_and_staff_list_pending(bot: Bot) -> None:
    await bot.say(OTHER, "/start specialist")
    await bot.say(OTHER, "王霞")
    assert (await bot.say(OTHER, "/cancel")).plain_text == texts.REG_PAUSED
    resumed = await bot.say(OTHER, "/register")
    assert "继续填写" in resumed.plain_text and "工作单位" in resumed.plain_text
    assert (await bot.say(STAFF, "/approve")).plain_text == texts.PENDING_NONE
    assert (await bot.say(OWNER, "/approve")).plain_text == texts.STAFF_ONLY
