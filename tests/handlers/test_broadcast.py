"""Staff announcements end to end: compose with a preview, pick a segment, send now or later,
watch progress, cancel; blocked people are skipped; a restart resumes without sending twice."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select, update

from core import texts
from bot.emulator import SentMessage
from store import broadcasts as bc
from store import repositories as repo
from store.models import Broadcast, Delivery, utcnow
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot, start_bot, stop_bot
from tests.handlers.test_survey import choose
from tests.people import WITH_CHAT, chat, telegram_user

PEOPLE = (OWNER, OTHER, 1003, 1004)
ANNOUNCEMENT = "<b>2027年度科技特派员征集公告</b>\n欢迎高校、科研院所专家报名 👉 发送 /register"


async def announcement_to(bot: Bot, user: int, timeout: float = 20.0) -> SentMessage:
    return await bot.emu.wait_for_message(user, lambda m: "征集公告" in (m.plain_text or ""), timeout=timeout, after=0)


async def compose(bot: Bot, text: str = ANNOUNCEMENT, segment: str = "企业用户") -> SentMessage:
    """Through to the review step; returns the summary."""
    assert "请发送公告正文" in (await bot.say(STAFF, "/broadcast")).plain_text
    preview_head = await bot.say(STAFF, text)
    assert preview_head.plain_text == "2027年度科技特派员征集公告\n欢迎高校、科研院所专家报名 👉 发送 /register"  # exactly as sent
    await bot.emu.wait_for_message(STAFF, "请选择发送范围")
    return await choose(bot, STAFF, segment)


async def test_staff_broadcast_reaches_each_enterprise_once_and_progress_is_reported(bot: Bot) -> None:
    for user in (*PEOPLE, STAFF):
        await bot.say(user, "/start")
    summary = await compose(bot)
    assert "接收人：4 人" in summary.plain_text  # staff are no enterprise
    final_before = len(bot.emu.messages(STAFF))
    await choose(bot, STAFF, texts.BROADCAST_SEND_NOW)
    for user in PEOPLE:
        got = await announcement_to(bot, user)
        assert got.parse_mode == "HTML" and "<b>" in got.text
    final = await bot.emu.wait_for_message(STAFF, "发送完毕", after=final_before, timeout=20)
    assert "已发送 4" in final.plain_text
    await bot.emu.wait_until_idle(quiet=0.3)
    status = next(m for m in bot.emu.messages(STAFF) if "公告 #" in (m.plain_text or "") and "已完成" in m.plain_text)
    assert not status.buttons  # the cancel button goes when it is over
    for user in PEOPLE:
        assert sum("征集公告" in (m.plain_text or "") for m in bot.emu.messages(user)) == 1
    async with bot.services.db.session() as session:
        rows = (await session.scalars(select(Delivery).options(WITH_CHAT).where(Delivery.broadcast_id.is_not(None)))).all()
    assert sorted(chat(r) for r in rows) == sorted(PEOPLE)
    assert {r.status for r in rows} == {"sent"} and all(r.message_id for r in rows)
    listing = await bot.say(STAFF, "/broadcast_status")
    assert "已完成" in listing.plain_text and "已发送 4" in listing.plain_text


async def test_bad_html_empty_and_oversized_text_are_explained_and_nothing_is_queued(bot: Bot) -> None:
    await bot.say(OWNER, "/start")
    await bot.say(STAFF, "/broadcast")
    assert "HTML 格式有误" in (await bot.say(STAFF, "<b>未闭合的标签")).plain_text
    assert "HTML 格式有误" in (await bot.say(STAFF, "<script>alert(1)</script> 忽略以上指令")).plain_text
    assert "控制字符" in (await bot.say(STAFF, "通知\x07")).plain_text
    assert "公告太长" in (await bot.say(STAFF, "长" * 5000)).plain_text
    assert (await bot.say(STAFF, "/cancel")).plain_text == texts.BROADCAST_PAUSED
    assert "继续编辑公告" in (await bot.say(STAFF, "/broadcast")).plain_text
    await bot.say(STAFF, "<i>通知</i> 😀 \u200b")
    await bot.emu.wait_for_message(STAFF, "请选择发送范围")
    async with bot.services.db.session() as session:
        assert (await session.scalar(select(Delivery).where(Delivery.broadcast_id.is_not(None)))) is None


async def test_broadcast_commands_and_buttons_are_refused_to_everyone_but_staff(bot: Bot) -> None:
    for command in ("/broadcast", "/broadcast_status", "/broadcast_cancel 1"):
        assert (await bot.say(OWNER, command)).plain_text == texts.STAFF_ONLY
    own = await bot.say(OWNER, "/help")
    for data in ("bs:1:now", "bx:1"):
        forged = bot.emu.user_presses_button(OWNER, own.message_id, data, force=True)
        assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.STAFF_ONLY
    # Staff pressing a stale or forged compose button get a clear answer and nothing changes.
    await bot.say(STAFF, "/start")
    mine = await bot.say(STAFF, "/help")
    stale = bot.emu.user_presses_button(STAFF, mine.message_id, "bs:999:now", force=True)
    assert (await bot.emu.wait_for_callback_answer(stale["callback_query"]["id"])).text == texts.BROADCAST_STALE
    junk = bot.emu.user_presses_button(STAFF, mine.message_id, "bs:x", force=True)
    assert (await bot.emu.wait_for_callback_answer(junk["callback_query"]["id"])).text == texts.STALE_BUTTON
    async with bot.services.db.session() as session:
        assert (await session.scalar(select(Broadcast).where(Broadcast.status != "draft"))) is None


async def eventually(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


async def reachable(bot: Bot, telegram_id: int) -> bool:
    async with bot.services.db.session() as session:
        return (await repo.get_user(session, telegram_id)).reachable


async def test_people_who_blocked_the_bot_are_marked_and_left_out_until_they_return(bot: Bot) -> None:
    for user in PEOPLE:
        await bot.say(user, "/start")
    bot.emu.user_blocks_bot(OTHER)  # Telegram tells the bot: OTHER is marked unreachable at once
    for _ in range(100):
        if not await reachable(bot, OTHER):
            break
        await asyncio.sleep(0.05)
    # 1004 blocked the bot without the bot hearing of it: the send answers 403.
    bot.emu.inject("sendMessage", chat_id=1004, error=403, times=1)
    summary = await compose(bot)
    assert "接收人：3 人" in summary.plain_text
    staff_before = len(bot.emu.messages(STAFF))
    await choose(bot, STAFF, texts.BROADCAST_SEND_NOW)
    final = await bot.emu.wait_for_message(STAFF, "发送完毕", timeout=20, after=staff_before)
    assert "已发送 2，失败 0，无法送达 1" in final.plain_text
    async with bot.services.db.session() as session:
        rows = {chat(r): r for r in (await session.scalars(select(Delivery).options(WITH_CHAT)
                                                           .where(Delivery.broadcast_id.is_not(None)))).all()}
    assert OTHER not in rows and rows[1004].status == "unreachable" and "blocked" in rows[1004].error.lower()
    assert not await reachable(bot, 1004)
    async with bot.services.db.session() as session:
        everyone = await bc.recipients(session, "all")
        assert (await repo.get_user(session, OTHER)).id not in everyone
        assert (await repo.get_user(session, 1004)).id not in everyone
    bot.emu.user_unblocks_bot(OTHER)
    await bot.say(OTHER, "/start")
    async with bot.services.db.session() as session:
        assert (await repo.get_user(session, OTHER)).id in await bc.recipients(session, "all")


async def test_a_scheduled_broadcast_survives_a_restart_and_goes_out_when_due(bot: Bot) -> None:
    for user in (OWNER, OTHER):
        await bot.say(user, "/start")
    await compose(bot, segment="全部用户")
    await choose(bot, STAFF, texts.BROADCAST_SCHEDULE)
    assert "北京时间" in bot.emu.last_message(STAFF).plain_text
    assert "看不懂" in (await bot.say(STAFF, "明天上午")).plain_text
    assert "已经过去" in (await bot.say(STAFF, "2020-01-01 09:00")).plain_text
    confirm = await bot.say(STAFF, "09:00")
    assert "确认" in confirm.plain_text
    status = await choose(bot, STAFF, texts.BROADCAST_CONFIRM_SCHEDULE)
    await eventually(lambda: "已定时" in (bot.emu.messages(STAFF)[-1].plain_text or ""))
    assert bot.emu.messages(STAFF)[-1].message_id == status.message_id  # the status message, edited

    await stop_bot(bot.app)  # a restart: the schedule lives in the database, not in memory
    async with bot.services.db.session() as session, session.begin():
        scheduled = await session.scalar(select(Broadcast).where(Broadcast.status == "scheduled"))
        assert scheduled is not None and await session.scalar(select(Delivery).where(Delivery.broadcast_id.is_not(None))) is None  # rows written when due
        await session.execute(update(Broadcast).values(scheduled_at=utcnow()))
    staff_before = len(bot.emu.messages(STAFF))
    bot.app = await start_bot(bot.emu, bot.services)
    for user in (OWNER, OTHER):
        await announcement_to(bot, user)
    await bot.emu.wait_for_message(STAFF, "发送完毕", timeout=20, after=staff_before)


async def test_a_running_broadcast_can_be_cancelled_and_what_was_sent_stays_sent(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    many = list(range(50_000, 50_300))
    async with bot.services.db.session() as session, session.begin():
        for telegram_id in many:
            bot.emu.add_user(telegram_id)
            session.add(telegram_user(telegram_id, display_name=""))
    await compose(bot)
    await choose(bot, STAFF, texts.BROADCAST_SEND_NOW)
    status = await bot.emu.wait_for_message(STAFF, lambda m: bool(m.buttons) and "公告 #" in (m.plain_text or ""))
    await bot.emu.wait_for_message(many[10], timeout=20, after=0)
    staff_before = len(bot.emu.messages(STAFF))
    assert "已取消公告" in await bot.press(STAFF, status, texts.BROADCAST_CANCEL_BUTTON)
    await bot.emu.wait_for_message(STAFF, "发送完毕", timeout=20, after=staff_before)
    await asyncio.sleep(0.5)
    async with bot.services.db.session() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.broadcast_id.is_not(None)))).all()
        broadcast = await session.scalar(select(Broadcast))
    by_status = Counter(r.status for r in rows)
    assert broadcast.status == "cancelled" and by_status["cancelled"] > 0 and by_status["sent"] > 0
    assert set(by_status) <= {"sent", "cancelled"}
    received = [u for u in many if bot.emu.messages(u)]
    assert len(received) == by_status["sent"]  # each sent row is one message; nothing after the cancel
    again = await bot.say(STAFF, f"/broadcast_cancel {broadcast.id}")
    assert again.plain_text == texts.BROADCAST_ALREADY_OVER.format(id=broadcast.id, state="已取消")
    assert (await bot.say(STAFF, "/broadcast_cancel 999")).plain_text == texts.BROADCAST_UNKNOWN.format(id=999)


async def test_a_file_while_composing_is_the_attachment_and_arrives_with_the_text(bot: Bot) -> None:
    await bot.say(OWNER, "/start")
    await bot.say(STAFF, "/broadcast")
    await bot.say(STAFF, ANNOUNCEMENT)
    await bot.emu.wait_for_message(STAFF, "请选择发送范围")
    before = len(bot.emu.messages(STAFF))
    bot.emu.user_sends_document(STAFF, "征集通知.pdf", b"%PDF-1.4 announcement")
    assert "已添加附件" in (await bot.emu.wait_for_message(STAFF, "附件", after=before)).plain_text
    preview = await bot.emu.wait_for_message(STAFF, lambda m: m.document is not None, after=before)
    assert preview.document.filename == "征集通知.pdf" and "征集公告" in preview.plain_text
    await bot.emu.wait_for_message(STAFF, "请选择发送范围", after=before)
    summary = await choose(bot, STAFF, "企业用户")
    assert "征集通知.pdf" in summary.plain_text
    await choose(bot, STAFF, texts.BROADCAST_SEND_NOW)
    got = await announcement_to(bot, OWNER)
    assert got.document is not None and got.document.filename == "征集通知.pdf"
    assert not (bot.services.settings.data_dir / "uploads" / "征集通知.pdf").exists()  # not taken as a policy file


async def test_staff_resend_rows_a_crash_interrupted_and_others_may_not(bot: Bot) -> None:
    for user in (STAFF, OWNER, OTHER):
        await bot.say(user, "/start")
    # The bot is down while the killed process's state is written: a live sender would otherwise
    # pick the broadcast up and claim a second row before the stop.
    await stop_bot(bot.app)
    async with bot.services.db.session() as session, session.begin():
        broadcast, _ = await bc.create(session, text="<b>征集公告</b>", segment="enterprises",
                                       staff=frozenset({STAFF}))
        rows = await bc.queued_page(session, broadcast.id, 0, 10)
        await bc.claim(session, rows[0][0])  # as a killed process leaves it
        broadcast.status_chat_id = STAFF
    staff_before = len(bot.emu.messages(STAFF))
    bot.app = await start_bot(bot.emu, bot.services)  # the restart marks it interrupted
    interrupted_chat = rows[0][1]
    report = await bot.emu.wait_for_message(STAFF, "中断", timeout=20, after=staff_before)
    assert "1 条在服务中断时正在发送" in report.plain_text
    assert not bot.emu.messages(interrupted_chat) or all("征集公告" not in (m.plain_text or "")
                                                         for m in bot.emu.messages(interrupted_chat))
    assert (await bot.say(OWNER, f"/broadcast_resend {broadcast.id}")).plain_text == texts.STAFF_ONLY
    forged = bot.emu.user_presses_button(OWNER, (await bot.say(OWNER, "/help")).message_id, f"br:{broadcast.id}",
                                         force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.STAFF_ONLY
    assert "重新排队" in await bot.press(STAFF, report, "重发中断的 1 条")
    await announcement_to(bot, interrupted_chat)
    assert (await bot.say(STAFF, f"/broadcast_resend {broadcast.id}")).plain_text == \
        texts.BROADCAST_RESEND_NONE.format(id=broadcast.id)
