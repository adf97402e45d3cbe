"""Specialists register by dialogue; staff approve them into the pool (and the match index)."""

from __future__ import annotations

from sqlalchemy import select

from bot import texts
from knowledge.matching import Demand
from store.models import Specialist
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot
from tests.handlers.test_survey import choose

EXPERT = 2001


async def register(bot: Bot, user: int = EXPERT, phone: str = "13905311234") -> None:
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
    await bot.say(user, "历下、济南市章丘区")  # the vocabulary the imports use
    await bot.say(user, phone)
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


async def test_an_enterprise_nominates_an_expert_it_works_with_and_staff_approve_it(bot: Bot) -> None:
    from store.models import Enterprise
    from tests.handlers.test_survey import fill_until_review, open_campaign

    await open_campaign(bot)
    # Nominating needs a known enterprise: one that has filled the survey.
    assert (await bot.say(OWNER, "/nominate")).plain_text == texts.NOM_NEEDS_ENTERPRISE
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    none_yet = await bot.emu.wait_for_message(OWNER, "暂时没有合适的特派员")
    assert "/nominate" in none_yet.plain_text

    first = await bot.say(OWNER, "/nominate")
    assert "企业自主申报" in first.plain_text and "专家姓名" in first.plain_text
    await bot.say(OWNER, "赵敏")
    await bot.say(OWNER, "齐鲁工业大学机械工程学部")
    await choose(bot, OWNER, "高等院校")
    assert "暂停" in (await bot.say(OWNER, "/cancel")).plain_text  # paused, nothing lost
    assert "职称" in (await bot.say(OWNER, "/nominate")).plain_text
    await bot.say(OWNER, "副教授")
    await choose(bot, OWNER, "先进制造与自动化")
    await bot.say(OWNER, "高速电主轴设计、轴承热分析")
    assert "至少" in (await bot.say(OWNER, "合作")).plain_text
    await bot.say(OWNER, "2024年起合作主轴温升控制项目，已联合申请发明专利1项")
    assert "手机" in (await bot.say(OWNER, "12345")).plain_text
    review = await bot.say(OWNER, "13811112222")
    assert "请核对申报信息" in review.plain_text and "赵敏" in review.plain_text

    # A forged button from the registration form does not touch the nomination.
    forged = bot.emu.user_presses_button(OWNER, review.message_id, "rg:confirm", force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.SURVEY_STALE

    staff_before = len(bot.emu.messages(STAFF))
    done = await choose(bot, OWNER, texts.NOM_CONFIRM)
    assert done.plain_text == texts.NOM_SUBMITTED
    notice = await bot.emu.wait_for_message(STAFF, "企业自主申报", after=staff_before)
    assert "济南智造科技有限公司" in notice.plain_text and "主轴温升" in notice.plain_text
    assert "13811112222" not in notice.plain_text
    listed = await bot.say(STAFF, "/approve")
    assert "待审核" in listed.plain_text

    owner_before = len(bot.emu.messages(OWNER))
    assert (await bot.press(STAFF, notice, "通过")).startswith("已通过")
    told = await bot.emu.wait_for_message(OWNER, "通过科技局审核", after=owner_before)
    assert "赵敏" in told.plain_text
    async with bot.services.db.session() as session:
        stored = await session.scalar(select(Specialist).where(Specialist.name == "赵敏"))
        enterprise = await session.scalar(select(Enterprise))
    assert (stored.status, stored.source, stored.nominated_by, stored.telegram_id) == ("active", "nomination",
                                                                                       enterprise.id, None)
    assert "专利" in stored.nomination_note
    matches = bot.services.matcher.match(Demand(field="先进制造与自动化", description="电主轴发热、轴承温度高"), 3)
    assert "赵敏" in [m.name for m in matches]

    # The expert registers themself later with the same mobile: one record, now with their Telegram id.
    await register(bot, phone="13811112222")
    staff_before = len(bot.emu.messages(STAFF))
    linked = await choose(bot, EXPERT, texts.REG_CONFIRM)
    assert "合并到该档案" in linked.plain_text and "已通过" in linked.plain_text
    assert "已本人登记" in (await bot.emu.wait_for_message(STAFF, "已本人登记", after=staff_before)).plain_text
    async with bot.services.db.session() as session:
        everyone = (await session.scalars(select(Specialist))).all()
    assert len(everyone) == 1 and everyone[0].telegram_id == EXPERT and everyone[0].name == "李明"
    assert everyone[0].source == "nomination" and everyone[0].status == "active"
    assert "李明" in [m.name for m in bot.services.matcher.match(Demand(field="先进制造与自动化",
                                                                       description="金属3D打印钛合金"), 3)]
    assert "/proposals" in (await bot.say(EXPERT, "/help")).plain_text  # the specialist's help now
