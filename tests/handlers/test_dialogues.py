"""One dialogue at a time, through the real bot: a person registering as a specialist who starts
the survey has the registration paused (every answer kept), and each resumes where it stood."""

from __future__ import annotations

from core import texts
from tests.handlers.conftest import OTHER, OWNER, Bot
from tests.handlers.test_survey import WRONG, choose, open_campaign


async def test_starting_the_survey_while_registering_pauses_the_registration_and_both_resume(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/start specialist", first_name="李明")
    await bot.say(OWNER, "李明")
    types = await bot.say(OWNER, "山东大学机械工程学院")
    assert "单位类型" in types.plain_text and types.buttons

    survey = await bot.say(OWNER, "/survey")
    assert "特派员登记已暂停" in survey.plain_text and "企业名称" in survey.plain_text
    # The text goes to the survey now, not to the paused registration.
    assert "信用代码" in (await bot.say(OWNER, "济南智造科技有限公司")).plain_text
    # The paused registration's buttons are stale until it is resumed.
    data = next(d for t, d in types.buttons if t == "高等院校")
    pressed = bot.emu.user_presses_button(OWNER, types.message_id, data, force=True)
    assert (await bot.emu.wait_for_callback_answer(pressed["callback_query"]["id"])).text == texts.SURVEY_STALE

    resumed = await bot.say(OWNER, "/register")
    assert "需求调查已暂停" in resumed.plain_text and "单位类型" in resumed.plain_text
    assert "职称" in (await choose(bot, OWNER, "高等院校")).plain_text
    assert "工作单位" not in (await bot.say(OWNER, "教授")).plain_text  # answered the registration's next question

    back = await bot.say(OWNER, "/survey")
    assert "特派员登记已暂停" in back.plain_text and "信用代码" in back.plain_text
    assert (await bot.say(OWNER, "/cancel")).plain_text == texts.SURVEY_PAUSED
    assert (await bot.say(OWNER, "/cancel")).plain_text == texts.NOTHING_TO_CANCEL


async def test_garbage_and_someone_elses_dialogue_buttons_get_a_clear_reply(bot: Bot) -> None:
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await bot.say(OWNER, "济南智造科技有限公司")
    refused = await bot.say(OWNER, WRONG)  # a wrong check digit is refused, not a traceback
    assert "⚠️" in refused.plain_text and "信用代码" in refused.plain_text
    other = await bot.say(OTHER, "/help")
    for data in ("sv:district:0", "rg:name:0", "nm:confirm", "sv:edit:x", "sv:district:0:0"):
        pressed = bot.emu.user_presses_button(OTHER, other.message_id, data, force=True)
        answer = await bot.emu.wait_for_callback_answer(pressed["callback_query"]["id"])
        assert answer.text == texts.SURVEY_STALE, data
    # Malformed or longer than Telegram allows: refused before any dialogue sees it.
    for data in ("rg:", "sv:" + "9" * 80):
        pressed = bot.emu.user_presses_button(OTHER, other.message_id, data, force=True)
        assert (await bot.emu.wait_for_callback_answer(pressed["callback_query"]["id"])).text == texts.BUTTON_INVALID
    # The owner's survey is untouched by those presses: still at the credit code.
    assert "信用代码" in (await bot.say(OWNER, "/survey")).plain_text


DRAFT_TABLES = ("survey_drafts", "registration_drafts", "nomination_drafts", "broadcasts")


async def test_a_message_finds_its_dialogue_with_one_query_not_a_probe_per_dialogue(bot: Bot) -> None:
    """A policy question reads the draft tables once (one query over all of them), where it used
    to probe each dialogue in a transaction of its own; an answer in the survey likewise."""
    from sqlalchemy import event

    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = bot.services.db.engine.sync_engine
    await open_campaign(bot)
    await bot.say(OWNER, "/start")
    event.listen(engine, "before_cursor_execute", seen)
    try:
        await bot.say(OWNER, "科技特派员专项行动面向哪些企业？")
        lookups = [s for s in statements if any(t in s for t in DRAFT_TABLES)]
        assert len(lookups) == 1 and all(t in lookups[0] for t in DRAFT_TABLES)

        await bot.say(OWNER, "/survey")
        statements.clear()
        assert "信用代码" in (await bot.say(OWNER, "济南智造科技有限公司")).plain_text
        # The other dialogues' tables are read once, in the lookup; the survey's draft is then loaded to be answered.
        for table in ("registration_drafts", "nomination_drafts", "broadcasts"):
            assert sum(table in s for s in statements) == 1, table
    finally:
        event.remove(engine, "before_cursor_execute", seen)


async def test_staff_composing_an_announcement_who_start_the_survey_have_the_draft_paused(bot: Bot) -> None:
    from tests.handlers.conftest import STAFF

    await open_campaign(bot)
    await bot.say(STAFF, "/broadcast")
    assert "请选择发送范围" in (await bot.say(STAFF, "<b>征集公告</b>", predicate=lambda m: "请选择发送范围" in (m.plain_text or ""))).plain_text
    survey = await bot.say(STAFF, "/survey")
    assert "公告编辑已暂停" in survey.plain_text and "企业名称" in survey.plain_text
    assert "信用代码" in (await bot.say(STAFF, "济南智造科技有限公司")).plain_text  # the survey's, not the body
    resumed = await bot.say(STAFF, "/broadcast")
    assert "需求调查已暂停" in resumed.plain_text
    await bot.emu.wait_for_message(STAFF, "请选择发送范围")


async def test_a_composer_button_from_before_the_upgrade_is_stale_and_the_draft_resumes(bot: Bot) -> None:
    """A draft being composed before the upgrade keeps its question (the step names did not
    change); a button sent then (`bs:<id>:…`) is answered as stale, and /broadcast resumes it."""
    from store.models import Broadcast
    from tests.handlers.conftest import STAFF

    await bot.say(OWNER, "/start")
    await bot.say(STAFF, "/start")
    from store import repositories as repo

    async with bot.services.db.session() as session, session.begin():
        staff = await repo.get_user(session, STAFF)
        session.add(Broadcast(created_by=staff.id, text="<b>征集公告</b>", segment="", status="draft", step="district"))
    mine = await bot.say(STAFF, "/help")
    pressed = bot.emu.user_presses_button(STAFF, mine.message_id, "bs:1:d:0", force=True)
    assert (await bot.emu.wait_for_callback_answer(pressed["callback_query"]["id"])).text == texts.BROADCAST_STALE
    assert "继续编辑公告" in (await bot.say(STAFF, "/broadcast")).plain_text
    segment = await bot.emu.wait_for_message(STAFF, "请选择发送范围")
    alert = await bot.press(STAFF, segment, texts.BROADCAST_SEGMENTS["enterprises"])
    assert alert == ""  # taken, not refused as stale
    review = await bot.emu.wait_for_message(STAFF, "接收人：1 人")
    assert texts.BROADCAST_SEND_NOW in [t for t, _ in review.buttons]
