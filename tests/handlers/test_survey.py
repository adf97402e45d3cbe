"""Enterprise owners fill the yearly demand survey by dialogue; staff run campaigns and export."""

from __future__ import annotations

import asyncio
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core import texts
from store.models import Submission
from store.validators import credit_code_check_char
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot, make_services, start_bot, stop_bot
from tests.people import telegram_of

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


async def fill_until_review(bot: Bot, user: int = OWNER, name: str = "济南智造科技有限公司", code: str = CODE,
                            join: bool = False, phone: str = "139 0531 1234") -> None:
    assert "信用代码" in (await bot.say(user, name)).plain_text
    asked = await bot.say(user, code)
    if join:  # the code is someone else's: joining is a request, not a fact
        assert "申请加入" in asked.plain_text
        await choose(bot, user, texts.CLAIM_ASK_JOIN)
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
    await bot.say(user, phone)
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


# -- identity: a credit code is public, so knowing one proves nothing ---------------------------

async def members_of(bot: Bot) -> list[int]:
    from store.models import EnterpriseMember

    async with bot.services.db.session() as session:
        rows = await session.scalars(select(EnterpriseMember.user_id))
        return sorted([await telegram_of(session, user_id) for user_id in rows.all()])


async def current_version(bot: Bot) -> Submission:
    async with bot.services.db.session() as session:
        return await session.scalar(select(Submission).where(Submission.current))


async def test_a_stranger_who_types_the_code_sees_and_changes_nothing_and_the_owner_decides(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    owner_before, staff_before = len(bot.emu.messages(OWNER)), len(bot.emu.messages(STAFF))

    await bot.say(OTHER, "/survey")
    await bot.say(OTHER, "冒名顶替有限公司")
    asked = await bot.say(OTHER, CODE.lower())
    # The code is known, but whose it is stays unsaid.
    assert "申请加入" in asked.plain_text and "济南智造" not in asked.plain_text
    assert "重新输入" in (await choose(bot, OTHER, texts.CLAIM_RETYPE)).plain_text
    await bot.say(OTHER, "/cancel")
    await bot.say(OTHER, "/survey")
    await bot.say(OTHER, CODE)
    await choose(bot, OTHER, texts.CLAIM_ASK_JOIN)
    # The rest of the form is the stranger's own, down to a different phone.
    for step in ("历下区", "否"):
        await choose(bot, OTHER, step)
    await choose(bot, OTHER, "新材料")
    await bot.say(OTHER, "石墨烯涂料")
    await choose(bot, OTHER, "人才引进培养")
    await choose(bot, OTHER, "完成")
    await bot.say(OTHER, "想要一位材料学专家长期合作，解决涂层附着力不足的问题，已试过三种底漆。")
    await bot.say(OTHER, "跳过")
    await bot.say(OTHER, "李四")
    await bot.say(OTHER, "13700001111")
    review = await choose(bot, OTHER, "同意")
    assert "13905311234" not in review.plain_text and "数控机床" not in review.plain_text
    pending = await choose(bot, OTHER, texts.SURVEY_CONFIRM)
    assert pending.plain_text == texts.CLAIM_PENDING_MEMBERS

    # Nothing of the enterprise changed, and the stranger is no member of it.
    current = await current_version(bot)
    assert current.version == 1 and current.answers["name"] == "济南智造科技有限公司"
    assert current.answers["phone"] == "13905311234" and await members_of(bot) == [OWNER]
    # No suggestions for a claim, and /survey shows the claim, never the owner's answers.
    again = await bot.say(OTHER, "/survey")
    assert again.plain_text == texts.CLAIM_STILL_PENDING
    assert all("13905311234" not in m.plain_text and "济南智造" not in m.plain_text for m in bot.emu.messages(OTHER))
    assert not any(texts.SUGGEST_NONE in m.plain_text or "推荐" in m.plain_text for m in bot.emu.messages(OTHER))

    # The owner on file is asked in the chat, with what the stranger typed; staff can act too.
    request = await bot.emu.wait_for_message(OWNER, "申请以", after=owner_before)
    assert "冒名顶替有限公司" in request.plain_text and "13700001111" in request.plain_text
    to_staff = await bot.emu.wait_for_message(STAFF, "企业加入申请", after=staff_before)
    assert "济南智造科技有限公司" in to_staff.plain_text

    other_before, staff_before = len(bot.emu.messages(OTHER)), len(bot.emu.messages(STAFF))
    assert (await bot.press(OWNER, request, "拒绝")).startswith("已拒绝")
    told = await bot.emu.wait_for_message(OTHER, "未获同意", after=other_before)
    assert "济南智造" not in told.plain_text
    overrule = await bot.emu.wait_for_message(STAFF, "拒绝了", after=staff_before)
    assert texts.CLAIM_OVERRULE_BUTTON in [t for t, _ in overrule.buttons]
    # A second press of the same buttons changes nothing.
    assert "已经处理过" in await bot.press(STAFF, to_staff, "拒绝")
    assert await members_of(bot) == [OWNER] and (await current_version(bot)).version == 1

    # Asking again does not pester the owner: a second claim after a refusal goes to staff only.
    owner_before, staff_before = len(bot.emu.messages(OWNER)), len(bot.emu.messages(STAFF))
    await bot.say(OTHER, "/survey")
    await fill_until_review(bot, OTHER, name="冒名顶替有限公司", join=True, phone="13700001111")
    assert (await choose(bot, OTHER, texts.SURVEY_CONFIRM)).plain_text == texts.CLAIM_PENDING_STAFF
    await bot.emu.wait_for_message(STAFF, "企业加入申请", after=staff_before)
    assert not any("申请以" in m.plain_text for m in bot.emu.messages(OWNER)[owner_before:])


async def test_a_colleague_the_owner_approves_joins_and_every_change_says_who_made_it(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)

    owner_before = len(bot.emu.messages(OWNER))
    await bot.say(OTHER, "/survey")
    await fill_until_review(bot, OTHER, name="济南智造科技", join=True, phone="13700001111")
    assert (await choose(bot, OTHER, texts.SURVEY_CONFIRM)).plain_text == texts.CLAIM_PENDING_MEMBERS
    request = await bot.emu.wait_for_message(OWNER, "申请以", after=owner_before)

    # Someone who is neither the owner nor staff cannot decide it, even with the button's data.
    for button in request.buttons:  # approve and refuse alike
        forged = bot.emu.user_presses_button(1003, request.message_id, button[1], force=True)
        assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.CLAIM_NOT_YOURS
    for data in ("jc:ok:x", "jc:ok:99999999", "jc:maybe:1", "jc:ok:1234567890123456789012"):
        update = bot.emu.user_presses_button(OWNER, request.message_id, data, force=True)
        answer = (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text
        assert answer in (texts.STALE_BUTTON, texts.CLAIM_STALE, texts.BUTTON_INVALID), data

    other_before = len(bot.emu.messages(OTHER))
    assert (await bot.press(OWNER, request, "同意")).startswith("已同意")
    approved = await bot.emu.wait_for_message(OTHER, "已确认", after=other_before)
    assert "第 2 版" in approved.plain_text
    await bot.emu.wait_for_message(OTHER, texts.SUGGEST_NONE, after=other_before)  # a member's suggestions
    assert await members_of(bot) == sorted([OWNER, OTHER])

    # Now a member, the colleague revises; the owner is told who changed what.
    owner_before = len(bot.emu.messages(OWNER))
    revise = await bot.say(OTHER, "/survey")
    assert "请核对" in revise.plain_text and "13700001111" in revise.plain_text
    await choose(bot, OTHER, texts.SURVEY_CONFIRM)
    changed = await bot.emu.wait_for_message(OWNER, "更新了", after=owner_before)
    assert "第 3 版" in changed.plain_text and "北京时间" in changed.plain_text

    from store.models import RecordChange

    async with bot.services.db.session() as session:
        versions = [(version, await telegram_of(session, by)) for version, by in (await session.execute(
            select(Submission.version, Submission.submitted_by).order_by(Submission.version))).all()]
        actions = (await session.scalars(select(RecordChange.action).order_by(RecordChange.id))).all()
    assert [tuple(v) for v in versions] == [(1, OWNER), (2, OTHER), (3, OTHER)]
    assert actions[:2] == ["founded", "joined"] and "claim" in actions and "claim_approved" in actions


async def test_a_roster_enterprise_without_members_is_joined_only_through_staff(bot: Bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from store.coverage import import_roster

    roster = tmp_path / "roster.csv"
    roster.write_text(f"统一社会信用代码,企业名称,所在区县\n{CODE},济南智造科技有限公司,历下区\n", encoding="utf-8")
    async with bot.services.db.session() as session, session.begin():
        await import_roster(session, roster)
    await open_campaign(bot)
    staff_before = len(bot.emu.messages(STAFF))
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER, join=True)
    assert (await choose(bot, OWNER, texts.SURVEY_CONFIRM)).plain_text == texts.CLAIM_PENDING_STAFF
    assert await current_version(bot) is None and await members_of(bot) == []
    request = await bot.emu.wait_for_message(STAFF, "企业加入申请", after=staff_before)
    assert "没有可联系的已验证人员" in request.plain_text

    # Staff decide it; nobody else can.
    forged = bot.emu.user_presses_button(OTHER, request.message_id, request.buttons[0][1], force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.CLAIM_NOT_YOURS
    listed = await bot.say(STAFF, "/claims")
    assert "1 条" in listed.plain_text
    owner_before = len(bot.emu.messages(OWNER))
    assert (await bot.press(STAFF, request, "同意")).startswith("已同意")
    assert "第 1 版" in (await bot.emu.wait_for_message(OWNER, "已确认", after=owner_before)).plain_text
    await bot.emu.wait_for_message(OWNER, texts.SUGGEST_NONE, after=owner_before)  # verified: suggestions now
    assert await members_of(bot) == [OWNER] and (await current_version(bot)).answers["phone"] == "13905311234"
    assert texts.CLAIMS_NONE == (await bot.say(STAFF, "/claims")).plain_text


async def test_an_impostor_who_came_first_is_removed_by_staff_and_the_real_owner_gets_in(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OTHER, "/survey")
    await fill_until_review(bot, OTHER, name="济南智造（冒）", phone="13700001111")
    await choose(bot, OTHER, texts.SURVEY_CONFIRM)  # nobody held the code: the impostor founds it

    impostor_before, staff_before = len(bot.emu.messages(OTHER)), len(bot.emu.messages(STAFF))
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER, join=True)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    request = await bot.emu.wait_for_message(OTHER, "申请以", after=impostor_before)
    await bot.emu.wait_for_message(STAFF, "企业加入申请", after=staff_before)
    staff_before, owner_before = len(bot.emu.messages(STAFF)), len(bot.emu.messages(OWNER))
    await bot.press(OTHER, request, "拒绝")  # the impostor keeps the real owner out…
    overrule = await bot.emu.wait_for_message(STAFF, "拒绝了", after=staff_before)
    await bot.emu.wait_for_message(OWNER, "未获同意", after=owner_before)  # the refusal is owed to them too

    # …so the real owner's route is staff: they see who holds the record, and only they may act.
    for command in (f"/members {CODE}", "/claims"):
        assert (await bot.say(OWNER, command)).plain_text == texts.STAFF_ONLY, command
    assert "用法" in (await bot.say(STAFF, "/members")).plain_text
    assert CODE[-1] in (await bot.say(STAFF, f"/members {WRONG}")).plain_text  # the check character it expected
    listing = await bot.say(STAFF, f"/members {CODE}", predicate=lambda m: "已验证人员" in m.plain_text)
    assert "首位填报人" in listing.plain_text and "申请加入" in listing.plain_text
    forged = bot.emu.user_presses_button(OWNER, listing.message_id, listing.buttons[0][1], force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.STAFF_ONLY
    stale = bot.emu.user_presses_button(STAFF, listing.message_id, "mb:rm:1:x", force=True)
    assert (await bot.emu.wait_for_callback_answer(stale["callback_query"]["id"])).text == texts.STALE_BUTTON

    impostor_before = len(bot.emu.messages(OTHER))
    assert texts.MEMBER_REMOVED_RETIRED in await bot.press(STAFF, listing, "移除")
    assert "移除" in (await bot.emu.wait_for_message(OTHER, "移除", after=impostor_before)).plain_text
    # The impostor's version (their name, their phone) no longer stands for the enterprise.
    assert await members_of(bot) == [] and await current_version(bot) is None
    owner_before = len(bot.emu.messages(OWNER))
    assert (await bot.press(STAFF, overrule, "仍然同意")).startswith("已同意")
    assert "第 2 版" in (await bot.emu.wait_for_message(OWNER, "已确认", after=owner_before)).plain_text
    current = await current_version(bot)
    assert await members_of(bot) == [OWNER] and current.answers["phone"] == "13905311234"
    # The impostor's version stays in the history, as theirs; they now see nothing.
    assert (await bot.say(OTHER, "/survey")).plain_text.startswith("📋 开始")


async def test_a_mistyped_code_claim_can_be_withdrawn_keeping_the_other_answers(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    await bot.say(OTHER, "/survey")
    await fill_until_review(bot, OTHER, join=True, phone="13700001111")
    await choose(bot, OTHER, texts.SURVEY_CONFIRM)
    assert (await bot.say(OTHER, "/survey")).plain_text == texts.CLAIM_STILL_PENDING
    pending = bot.emu.last_message(OTHER)
    again = await choose(bot, OTHER, texts.CLAIM_WITHDRAW_BUTTON)
    assert texts.CLAIM_WITHDRAWN in again.plain_text and "信用代码" in again.plain_text
    twice = bot.emu.user_presses_button(OTHER, pending.message_id, "sv:withdraw", force=True)
    assert (await bot.emu.wait_for_callback_answer(twice["callback_query"]["id"])).text == texts.SURVEY_STALE
    other17 = "91370100MA3C5QYY1"
    review = await bot.say(OTHER, other17 + credit_code_check_char(other17))
    assert "请核对" in review.plain_text and "13700001111" in review.plain_text
    done = await choose(bot, OTHER, texts.SURVEY_CONFIRM)
    assert "第 1 版" in done.plain_text
    assert await members_of(bot) == sorted([OWNER, OTHER])


async def test_a_code_founded_by_someone_else_while_filling_in_becomes_a_claim_at_submission(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot, OWNER)  # the code was nobody's when typed
    await bot.say(OTHER, "/survey")
    await fill_until_review(bot, OTHER, phone="13700001111")
    assert "第 1 版" in (await choose(bot, OTHER, texts.SURVEY_CONFIRM)).plain_text
    other_before = len(bot.emu.messages(OTHER))
    assert (await choose(bot, OWNER, texts.SURVEY_CONFIRM)).plain_text == texts.CLAIM_PENDING_MEMBERS
    await bot.emu.wait_for_message(OTHER, "申请以", after=other_before)
    assert (await current_version(bot)).answers["phone"] == "13700001111" and await members_of(bot) == [OTHER]
