"""The survey service without Telegram: reminders and statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from store import repositories as repo
from store import survey
from store.db import Database
from store.models import SurveyDraft, utcnow


async def test_a_draft_idle_for_a_day_is_reminded_once(db: Database) -> None:
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        idle = await repo.touch_user(session, 1, "甲")
        fresh = await repo.touch_user(session, 2, "乙")
        gone = await repo.touch_user(session, 3, "丙")
        for user in (idle, fresh, gone):
            await survey.start(session, user)
        await survey.on_text(session, idle, "济南智造科技有限公司")
        await repo.mark_unreachable(session, 3)
    async with db.session() as session, session.begin():
        await session.execute(update(SurveyDraft).where(SurveyDraft.user_id.in_([idle.id, gone.id]))
                              .values(updated_at=utcnow() - timedelta(hours=25)))
    async with db.session() as session, session.begin():
        due = await survey.drafts_to_remind(session)
        assert [u.id for _, u in due] == [idle.id]
        due[0][0].reminded_at = utcnow()
    async with db.session() as session:
        assert await survey.drafts_to_remind(session) == []


async def test_a_closed_campaign_takes_no_answers(db: Database) -> None:
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, 1, "甲")
        await survey.start(session, user)
        await survey.set_campaign(session, 2026, "closed")
        assert await survey.active_draft(session, user) is None
        assert (await survey.start(session, user)).finished
        assert (await survey.statistics(session, 2026))["in_progress"] == 1


async def test_the_database_itself_holds_at_most_one_open_campaign(db: Database) -> None:
    """Even a writer that skips the check (another process, a hand-made script) cannot open a second."""
    from sqlalchemy.exc import IntegrityError

    from store.models import Campaign

    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            session.add(Campaign(year=2027, status="open"))
    async with db.session() as session, session.begin():
        with pytest.raises(survey.CampaignConflict) as refused:
            await survey.set_campaign(session, 2027, "open")
        assert refused.value.open_year == 2026
        await survey.set_campaign(session, 2026, "closed")
        assert (await survey.set_campaign(session, 2027, "open")).status == "open"
