"""What the bot owes other people, through the running bot: staff hear how invitations ended,
an invitation nobody received never expires into a block, and a staff reply's fate is reported."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select, update

from core import texts
from store.models import BlockedPair, Delivery, Engagement, utcnow
from store.specialists import import_file, sync_index
from tests.handlers.conftest import OWNER, STAFF, Bot
from tests.handlers.test_survey import choose, fill_until_review, open_campaign

NEVER_OPENED = 3101  # imported with a Telegram id, but has never opened the bot
POOL = [{"id": "Z1", "name": "钱进", "institution": "山东大学机械工程学院", "title": "教授",
         "field": "先进制造与自动化", "expertise": "机床主轴热变形控制、数控机床精度补偿", "phone": "13700000009",
         "telegram_id": NEVER_OPENED}]


async def surveyed_enterprise_and_an_unopened_specialist(bot: Bot, tmp_path: Path) -> None:
    source = tmp_path / "pool.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in POOL), encoding="utf-8")
    async with bot.services.db.session() as session, session.begin():
        _, touched = await import_file(session, source)
        sync_index(bot.services.matcher, touched)
    await bot.say(STAFF, "/start")
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    await bot.emu.wait_for_message(OWNER, "推荐以下科技特派员")


async def delivered(bot: Bot) -> None:
    """The invitation's delivery is recorded a moment after Telegram has it."""
    for _ in range(100):
        async with bot.services.db.session() as session:
            if (await session.scalar(select(Engagement))).delivered_at is not None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the delivery was never recorded")


async def expire(bot: Bot) -> None:
    from handlers.engagements import expire_proposals

    await expire_proposals(SimpleNamespace(application=bot.app, bot=bot.app.bot))


async def test_an_invitation_nobody_received_is_reported_to_staff_and_never_expires_into_a_block(
        bot: Bot, tmp_path: Path) -> None:
    await surveyed_enterprise_and_an_unopened_specialist(bot, tmp_path)
    proposal = await bot.say(STAFF, "/assign")
    assert "匹配 1 个" in proposal.plain_text
    staff_before = len(bot.emu.messages(STAFF))
    await bot.press(STAFF, proposal, texts.ASSIGN_APPROVE_BUTTON)
    assert "1 份对接邀请已排入发送队列" in (await bot.emu.wait_for_message(STAFF, "排入", after=staff_before)).plain_text
    report = await bot.emu.wait_for_message(STAFF, "本次对接邀请已发送完毕", after=staff_before)
    assert "已送达 0" in report.plain_text and "无法送达 1" in report.plain_text and "/proposals" in report.plain_text

    # Four days later the specialist still has not seen it: no expiry, no block, nobody else invited.
    async with bot.services.db.session() as session, session.begin():
        await session.execute(update(Engagement).values(proposed_at=utcnow() - timedelta(hours=96)))
    await expire(bot)
    async with bot.services.db.session() as session:
        engagement = await session.scalar(select(Engagement))
        blocks = (await session.scalars(select(BlockedPair))).all()
    assert engagement.status == "proposed" and engagement.delivered_at is None and blocks == []

    # They open the bot at last: the invitation arrives, and its 72 hours start now.
    await bot.say(NEVER_OPENED, "/start")
    invitation = await bot.emu.wait_for_message(NEVER_OPENED, "新的对接邀请")
    assert [t for t, _ in invitation.buttons] == [texts.PROPOSAL_ACCEPT, texts.PROPOSAL_DECLINE]
    await delivered(bot)
    await expire(bot)
    async with bot.services.db.session() as session:
        assert (await session.scalar(select(Engagement))).status == "proposed"
    async with bot.services.db.session() as session, session.begin():
        await session.execute(update(Engagement).values(delivered_at=utcnow() - timedelta(hours=73)))
    await expire(bot)
    async with bot.services.db.session() as session:
        assert (await session.scalar(select(Engagement))).status == "expired"


async def test_a_staff_reply_the_asker_cannot_receive_is_reported_to_that_staff_member(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await bot.say(OWNER, "/start")
    answer = await bot.say(OWNER, "入库的科技型中小企业能享受什么税收政策？")
    staff_before = len(bot.emu.messages(STAFF))
    assert texts.HANDOFF_ACCEPTED == await bot.press(OWNER, answer, "转人工")
    forwarded = await bot.emu.wait_for_message(STAFF, "待答复", after=staff_before)

    # Replied to at once: the forward's delivery may still be settling; the reply still finds its asker.
    bot.emu.inject("sendMessage", chat_id=OWNER, error=403, times=1)  # the asker blocked the bot meanwhile
    confirmation = await bot.say(STAFF, "请关注税务部门的申报时间。", reply_to_message_id=forwarded.message_id)
    assert "将转达给提问人" in confirmation.plain_text
    async with bot.services.db.session() as session:
        row = await session.scalar(select(Delivery).where(Delivery.kind == "handoff"))
    assert row.status == "sent" and row.message_id == forwarded.message_id  # the forward knows its message
    notice = await bot.emu.wait_for_message(STAFF, "⚠️", after=staff_before)
    assert "工作人员答复" in notice.plain_text and "停用机器人" in notice.plain_text
