"""Enterprise owners fill the yearly demand survey by dialogue; staff run campaigns and export."""

from __future__ import annotations

import asyncio
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot import texts
from store.models import Submission
from store.validators import credit_code_check_char
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot, make_services, start_bot, stop_bot

CODE17 = "91370100MA3C5QXX1"
CODE = CODE17 + credit_code_check_char(CODE17)
WRONG = CODE17 + ("0" if CODE[-1] != "0" else "1")


async def choose(bot: Bot, user: int, label: str) -> object:
    """Press the button labelled `label` on the latest bot message; return the next question."""
    message = bot.emu.last_message(user)
    data = next(d for text, d in message.buttons if text == label or text.endswith(label))
    after = len(bot.emu.messages(user))
    update = bot.emu.user_presses_button(user, message.message_id, data)
    await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])
    return await bot.emu.wait_for_message(user, lambda m: m.message_id > message.message_id, after=after)


async def open_campaign(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    assert "已开启2026年度需求调查" in (await bot.say(STAFF, "/campaign open 2026")).plain_text


async def fill_until_review(bot: Bot, user: int = OWNER) -> None:
    assert "信用代码" in (await bot.say(user, "济南智造科技有限公司")).plain_text
    await bot.say(user, CODE)
    await choose(bot, user, "历下区")
    await choose(bot, user, "是")
    assert "入库编号" in bot.emu.last_message(user).plain_text
    await bot.say(user, "跳过")
    await choose(bot, user, "先进制造与自动化")
    await bot.say(user, "数控机床主轴")
    await choose(bot, user, "关键技术研发攻关")
    await choose(bot, user, "人才引进培养")
    await choose(bot, user, "完成")
    await bot.say(user, "主轴高速运转时温升过大导致精度下降，已尝试更换轴承和改进润滑，效果有限。")
    await bot.say(user, "跳过")
    await bot.say(user, "王经理")
    await bot.say(user, "139 0531 1234")
    review = await choose(bot, user, "同意")
    assert "请核对" in review.plain_text


async def test_owner_completes_the_survey_edits_at_review_and_staff_export_it(bot: Bot) -> None:
    await open_campaign(bot)
    welcome = await bot.say(OWNER, "/start")
    assert texts.SURVEY_START_BUTTON in [t for t, _ in welcome.buttons]
    first = await choose(bot, OWNER, texts.SURVEY_START_BUTTON)
    assert "企业名称" in first.plain_text and "11 项" in first.plain_text
    await fill_until_review(bot)
    review = bot.emu.last_message(OWNER)
    for shown in ("济南智造科技有限公司", CODE, "历下区", "关键技术研发攻关、人才引进培养", "13905311234", "同意"):
        assert shown in review.plain_text
    edit = await choose(bot, OWNER, "修改：主导产品")
    assert "主导产品" in edit.plain_text
    back = await bot.say(OWNER, "高速电主轴")
    assert "请核对" in back.plain_text and "高速电主轴" in back.plain_text
    done = await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    assert "已提交2026年度需求调查（第 1 版）" in done.plain_text
    assert texts.SUGGEST_NONE in (await bot.emu.wait_for_message(OWNER, texts.SUGGEST_NONE, after=0)).plain_text

    # After the survey, text is a policy question again.
    assert "高等院校" in (await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")).plain_text

    stats = await bot.say(STAFF, "/survey_stats")
    assert "已提交企业：1" in stats.plain_text and "历下区：1" in stats.plain_text and "人才引进培养：1" in stats.plain_text
    after = len(bot.emu.messages(STAFF))
    bot.emu.user_sends_text(STAFF, "/export 2026")
    document = await bot.emu.wait_for_message(STAFF, lambda m: m.document is not None, after=after)
    rows = list(load_workbook(io.BytesIO(document.document.data)).active.values)
    assert rows[0][:3] == ("企业名称", "统一社会信用代码", "所在区县（功能区）")
    assert len(rows) == 2 and rows[1][0] == "济南智造科技有限公司" and rows[1][6] == "高速电主轴"
    assert rows[1][11] == "13905311234" and rows[1][12] == "同意"


async def test_each_field_rejects_bad_input_with_the_reason_and_keeps_earlier_answers(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    assert "至少" in (await bot.say(OWNER, "甲")).plain_text or "2" in bot.emu.last_message(OWNER).plain_text
    assert "信用代码" in (await bot.say(OWNER, "济南智造科技有限公司")).plain_text
    wrong = await bot.say(OWNER, WRONG)
    assert f"校验码应为 {CODE[-1]}" in wrong.plain_text and "统一社会信用代码" in wrong.plain_text
    assert "18" in (await bot.say(OWNER, "12345")).plain_text
    await bot.say(OWNER, CODE)
    assert texts.SURVEY_BUTTONS_ONLY in (await bot.say(OWNER, "历下")).plain_text
    await choose(bot, OWNER, "其他")
    # Typed districts use the vocabulary the imports use: a short form is fine, a made-up one is not.
    refused = await bot.say(OWNER, "不存在区")
    assert "不是济南市的区县或功能区" in refused.plain_text and "天桥区" in refused.plain_text
    await bot.say(OWNER, "济南市天桥")
    await choose(bot, OWNER, "否")
    await choose(bot, OWNER, "现代农业")
    await bot.say(OWNER, "有机蔬菜")
    assert texts.SURVEY_NEED_DIRECTION in (await choose(bot, OWNER, "完成")).plain_text
    await choose(bot, OWNER, "其他")
    await bot.say(OWNER, "品牌建设")
    await choose(bot, OWNER, "完成")
    short = await bot.say(OWNER, "想提高产量。")
    assert "至少 20" in short.plain_text
    assert "最多 1000" in (await bot.say(OWNER, "长" * 1200)).plain_text
    await bot.say(OWNER, "大棚蔬菜病虫害多，农药用量大，想找专家指导绿色防控技术和品种改良。")
    await bot.say(OWNER, "农业大学植保专业")
    await bot.say(OWNER, "李四")
    assert "11" in (await bot.say(OWNER, "1390531")).plain_text
    assert "手机" in (await bot.say(OWNER, "23905311234")).plain_text
    await bot.say(OWNER, "+86 139-0531-1234")
    review = await choose(bot, OWNER, "不同意")
    for kept in ("济南智造科技有限公司", "天桥区", "品牌建设", "李四", "13905311234", "不同意"):
        assert kept in review.plain_text
    done = await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    assert "未同意" in done.plain_text


async def test_a_restart_mid_survey_continues_at_the_same_question(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await bot.say(OWNER, "济南智造科技有限公司")
    await bot.say(OWNER, CODE)
    paused = await bot.say(OWNER, "/cancel")
    assert paused.plain_text == texts.SURVEY_PAUSED
    assert "高等院校" in (await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")).plain_text
    await stop_bot(bot.app)
    await bot.services.db.close()
    bot.services = make_services(bot.services.settings, bot.services.knowledge)
    bot.app = await start_bot(bot.emu, bot.services)
    resumed = await bot.say(OWNER, "/survey")
    assert "继续填写" in resumed.plain_text and "所在区县" in resumed.plain_text
    next_question = await choose(bot, OWNER, "历下区")
    assert "入库" in next_question.plain_text


async def test_a_second_user_of_the_same_enterprise_links_after_confirming_and_resubmits(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)

    await bot.say(OTHER, "/survey")
    await bot.say(OTHER, "济南智造科技")
    confirm = await bot.say(OTHER, CODE.lower())
    assert "济南智造科技有限公司" in confirm.plain_text and "确认" in confirm.plain_text
    assert "重新输入" in (await choose(bot, OTHER, "否")).plain_text
    await bot.say(OTHER, CODE)
    district = await choose(bot, OTHER, "是")
    assert "所在区县" in district.plain_text

    # Resubmitting from the owner's side starts from the submitted answers.
    revise = await bot.say(OWNER, "/survey")
    assert "重新填写" in revise.plain_text and "请核对" in revise.plain_text
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    async with bot.services.db.session() as session:
        versions = (await session.scalars(select(Submission).order_by(Submission.version))).all()
    assert [(s.version, s.current) for s in versions] == [(1, False), (2, True)]


async def test_stale_and_forged_survey_buttons_change_nothing(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await bot.say(OWNER, "济南智造科技有限公司")
    await bot.say(OWNER, CODE)
    district_question = bot.emu.last_message(OWNER)
    await choose(bot, OWNER, "历下区")
    for data in ("sv:district:1", "sv:district:999", "sv:confirm", "sv:edit:phone", "sv:registered:x"):
        update = bot.emu.user_presses_button(OWNER, district_question.message_id, data, force=True)
        answer = await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])
        assert answer.text == texts.SURVEY_STALE, data
    review_text = (await choose(bot, OWNER, "否")).plain_text
    assert "产业领域" in review_text


async def test_survey_staff_actions_are_refused_to_others_and_no_campaign_is_explained(bot: Bot) -> None:
    assert texts.SURVEY_NO_CAMPAIGN == (await bot.say(OWNER, "/survey")).plain_text
    for command in ("/campaign open 2026", "/survey_stats", "/export", "/export 2026 csv", "/campaign"):
        assert (await bot.say(OWNER, command)).plain_text == texts.STAFF_ONLY, command
    assert texts.SURVEY_NO_CAMPAIGN == (await bot.say(OWNER, "/survey")).plain_text
    assert texts.CAMPAIGN_BAD == (await bot.say(STAFF, "/campaign open next-year")).plain_text


async def test_the_reminder_job_messages_idle_owners(bot: Bot) -> None:
    from datetime import timedelta

    from sqlalchemy import update as sql_update

    from handlers.survey import remind_idle_drafts
    from store.models import SurveyDraft, utcnow

    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await bot.say(OWNER, "济南智造科技有限公司")
    async with bot.services.db.session() as session, session.begin():
        await session.execute(sql_update(SurveyDraft).values(updated_at=utcnow() - timedelta(hours=30)))

    from types import SimpleNamespace

    job_context = SimpleNamespace(application=bot.app, bot=bot.app.bot)  # what JobQueue hands the callback
    after = len(bot.emu.messages(OWNER))
    await remind_idle_drafts(job_context)
    reminder = await bot.emu.wait_for_message(OWNER, after=after)
    assert "还没有填完" in reminder.plain_text
    await remind_idle_drafts(job_context)  # only once
    await asyncio.sleep(0.3)
    assert len(bot.emu.messages(OWNER)) == after + 1
