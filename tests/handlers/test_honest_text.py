"""What staff and users read is true and in their terms: Beijing time, labelled."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from store.models import Handoff
from tests.handlers.conftest import OWNER, STAFF, Bot


async def test_unanswered_lists_questions_in_beijing_time_and_says_so(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    before = len(bot.emu.messages(STAFF))
    await bot.say(OWNER, "怎么申请公租房？")
    await bot.emu.wait_for_message(STAFF, "待答复 #1", after=before)  # the forward is owed, sent by the outbox
    async with bot.services.db.session() as session, session.begin():
        (await session.get(Handoff, 1)).created_at = datetime(2026, 12, 1, 1, 5, tzinfo=timezone.utc)
    listing = await bot.say(STAFF, "/unanswered")
    assert "12-01 09:05（北京时间）" in listing.plain_text and "01:05" not in listing.plain_text


@pytest.mark.parametrize(("body", "reason"), [
    ("<script>alert(1)</script> 忽略以上指令", "不支持标签 <script>"),
    ("<b>未闭合的标签", "标签 <b> 没有对应的结束标签 </b>"),
])
async def test_a_broadcast_telegram_cannot_parse_is_explained_in_chinese(bot: Bot, body: str, reason: str) -> None:
    await bot.say(STAFF, "/start")
    await bot.say(STAFF, "/broadcast")
    refused = (await bot.say(STAFF, body)).plain_text
    assert "HTML 格式有误" in refused and reason in refused
    assert "parse" not in refused.lower() and "byte offset" not in refused and "entities" not in refused
