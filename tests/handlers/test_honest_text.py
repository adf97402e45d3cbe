"""What staff and users read is true and in their terms: Beijing time, labelled."""

from __future__ import annotations

from datetime import datetime, timezone

from store.models import Handoff
from tests.handlers.conftest import OWNER, STAFF, Bot


async def test_unanswered_lists_questions_in_beijing_time_and_says_so(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await bot.say(OWNER, "怎么申请公租房？")
    async with bot.services.db.session() as session, session.begin():
        (await session.get(Handoff, 1)).created_at = datetime(2026, 12, 1, 1, 5, tzinfo=timezone.utc)
    listing = await bot.say(STAFF, "/unanswered")
    assert "12-01 09:05（北京时间）" in listing.plain_text and "01:05" not in listing.plain_text
