"""Enterprise owners in Telegram: cited answers, feedback, hand-off to a human."""

from __future__ import annotations

import asyncio

import pytest

from core import texts
from store import repositories as repo
from store.models import QaRecord
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot, make_services, start_bot, stop_bot


async def test_owner_starts_asks_gets_a_cited_answer_then_hands_off_and_staff_reply_arrives(bot: Bot) -> None:
    await bot.say(STAFF, "/start", first_name="科技局小李")
    welcome = await bot.say(OWNER, "/start", first_name="王总")
    assert "王总" in welcome.plain_text and "政策" in welcome.plain_text

    answer = await bot.say(OWNER, "入库的科技型中小企业能享受什么税收政策？")
    assert answer.parse_mode == "HTML"
    assert "研发费用加计扣除" in answer.plain_text
    assert "二、重点任务 › （四）" in answer.plain_text and "征求意见稿" in answer.plain_text
    assert [t for t, _ in answer.buttons] == [texts.BUTTON_HELPFUL, texts.BUTTON_UNHELPFUL, texts.BUTTON_HANDOFF]

    assert "抱歉" in await bot.press(OWNER, answer, "没帮助")
    staff_before = len(bot.emu.messages(STAFF))
    assert texts.HANDOFF_ACCEPTED == await bot.press(OWNER, answer, "转人工")
    forwarded = await bot.emu.wait_for_message(STAFF, "待答复", after=staff_before)
    assert "入库的科技型中小企业能享受什么税收政策" in forwarded.plain_text
    assert texts.HANDOFF_ALREADY == await bot.press(OWNER, answer, "转人工")  # second tap changes nothing

    owner_before = len(bot.emu.messages(OWNER))
    confirmation = await bot.say(STAFF, "可以，另外请关注税务部门的申报时间。", reply_to_message_id=forwarded.message_id)
    assert "将转达给提问人" in confirmation.plain_text
    relayed = await bot.emu.wait_for_message(OWNER, "科技局工作人员答复", after=owner_before)
    assert "申报时间" in relayed.plain_text

    async with bot.services.db.session() as session:
        record = await session.get(QaRecord, 1)
        assert record.feedback == "down" and record.answered
        assert await repo.count_handoffs(session, "replied") == 1


async def test_out_of_scope_question_is_declined_honestly_and_logged(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    staff_before = len(bot.emu.messages(STAFF))
    reply = await bot.say(OWNER, "怎么申请公租房？")
    assert texts.NOT_COVERED.splitlines()[0] in reply.plain_text
    assert "《" not in reply.plain_text and not reply.buttons
    forwarded = await bot.emu.wait_for_message(STAFF, "文件未覆盖", after=staff_before)
    assert "公租房" in forwarded.plain_text
    unanswered = await bot.say(STAFF, "/unanswered")
    assert "公租房" in unanswered.plain_text


@pytest.mark.parametrize("text", ["😀🎉", "？？？", "问" * 5000, "<b>特派员</b> & 补助 <script>"])
async def test_odd_text_gets_a_clear_reply(bot: Bot, text: str) -> None:
    reply = await bot.say(OWNER, text)
    assert reply.plain_text and "Traceback" not in reply.plain_text


async def test_html_in_questions_and_documents_is_escaped(bot: Bot) -> None:
    reply = await bot.say(OWNER, "<b>特派员</b>征集选聘公告面向哪些单位发布？")
    assert "高等院校" in reply.plain_text  # parsed as HTML by the emulator: escaping was right


async def test_someone_elses_or_forged_buttons_are_refused(bot: Bot) -> None:
    owners = await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")
    mine = await bot.say(OTHER, "技术合同登记后怎么给补助？")
    owners_qa = owners.buttons[0][1].rsplit(":", 1)[1]
    # OTHER forges the callback data of OWNER's answer on a message of their own.
    for forged, expected in ((f"fb:u:{owners_qa}", texts.NOT_YOUR_BUTTON), (f"ho:{owners_qa}", texts.NOT_YOUR_BUTTON),
                             ("fb:x:1", texts.STALE_BUTTON), ("fb:u:abc", texts.STALE_BUTTON),
                             ("ho:999999", texts.NOT_YOUR_BUTTON), ("zz:1", texts.STALE_BUTTON),
                             ("doc:r:" + "0" * 16, texts.STAFF_ONLY), ("", texts.BUTTON_INVALID)):
        update = bot.emu.user_presses_button(OTHER, mine.message_id, forged, force=True)
        reply = await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])
        assert reply.text == expected, forged
    async with bot.services.db.session() as session:
        from store.models import Handoff, QaRecord

        assert (await session.get(QaRecord, int(owners_qa))).feedback is None
        assert await session.get(Handoff, 1) is None


async def test_non_text_messages_get_a_polite_reply(bot: Bot) -> None:
    for send in (bot.emu.user_sends_photo, bot.emu.user_sends_sticker, bot.emu.user_sends_voice):
        after = len(bot.emu.messages(OWNER))
        send(OWNER)
        reply = await bot.emu.wait_for_message(OWNER, after=after)
        assert reply.plain_text == texts.TEXT_ONLY


async def test_a_flooding_user_is_told_to_slow_down_and_others_still_get_answers(bot: Bot) -> None:
    bot.services.flood.limit = 5
    for _ in range(5):
        await bot.say(OTHER, "/help")
    warning = await bot.say(OTHER, "/help")
    assert warning.plain_text == texts.SLOW_DOWN
    reply = await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")
    assert "高等院校" in reply.plain_text
    with pytest.raises(TimeoutError):  # ignored for a minute
        await bot.say(OTHER, "/help", timeout=1.5)


async def test_a_restart_in_the_middle_loses_nothing(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    answer = await bot.say(OWNER, "技术合同登记后怎么给补助？")
    await stop_bot(bot.app)
    await bot.services.db.close()
    services = make_services(bot.services.settings, bot.services.knowledge)
    bot.app = await start_bot(bot.emu, services)
    bot.services = services
    staff_before = len(bot.emu.messages(STAFF))
    assert await bot.press(OWNER, answer, "转人工") == texts.HANDOFF_ACCEPTED
    forwarded = await bot.emu.wait_for_message(STAFF, "技术合同", after=staff_before)
    owner_before = len(bot.emu.messages(OWNER))
    await bot.say(STAFF, "请联系市科技局成果转化处。", reply_to_message_id=forwarded.message_id)
    relayed = await bot.emu.wait_for_message(OWNER, "科技局工作人员答复", after=owner_before)
    assert "成果转化处" in relayed.plain_text


async def until_unreachable(bot: Bot, user_id: int) -> None:
    """Wait (up to 5 s) for the bot to record that `user_id` can no longer be reached."""
    for _ in range(100):
        async with bot.services.db.session() as session:
            if not (await repo.get_user(session, user_id)).reachable:
                return
        await asyncio.sleep(0.05)


async def test_a_user_who_blocks_the_bot_is_marked_unreachable_until_they_return(bot: Bot) -> None:
    await bot.say(OWNER, "/start")
    bot.emu.user_blocks_bot(OWNER)
    await until_unreachable(bot, OWNER)
    async with bot.services.db.session() as session:
        assert not (await repo.get_user(session, OWNER)).reachable
    await bot.say(OWNER, "/start")  # sending again unblocks, like the client's Restart button
    async with bot.services.db.session() as session:
        assert (await repo.get_user(session, OWNER)).reachable


async def test_an_answer_that_cannot_be_delivered_marks_the_user_unreachable(bot: Bot) -> None:
    await bot.say(OWNER, "/start")
    bot.emu.inject(method="sendMessage", chat_id=OWNER, error=403, times=5)
    bot.emu.user_sends_text(OWNER, "技术合同登记后怎么给补助？")
    await until_unreachable(bot, OWNER)
    async with bot.services.db.session() as session:
        assert not (await repo.get_user(session, OWNER)).reachable
