"""The specialists an enterprise is shown after its survey, and its request for one — for
channels other than Telegram's handlers (handlers/matching.py does the same in Telegram).

The ranking comes from knowledge.matching (`MatchIndex.match`, run by the caller outside any
transaction); here it is checked against the database: only specialists active now, never one
who declined, let an invitation expire or must recuse themselves, never one below the
relevance floor.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import fmt
from core.messages import STAFF, Notice
from knowledge.matching import Match
from store import engagements as eng
from store.models import Enterprise, EnterpriseMember, MatchRequest, Specialist, Submission, User
from store.survey import open_campaign

SUGGESTIONS = 3


async def suggestable(session: AsyncSession, matches: list[Match], credit_code: str | None,
                      top: int = SUGGESTIONS) -> tuple[list[tuple[Match, Specialist]], bool]:
    """(the relevant, unblocked, active specialists best first — at most `top`, whether anyone
    usable was found at all, relevant or not)."""
    by_key = await eng.specialists_by_key(session, [m.id for m in matches], active_only=True)
    enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == credit_code))
    blocked = await eng.blocked_for(session, enterprise.id) if enterprise else {}
    usable = [(m, by_key[m.id]) for m in matches if m.id in by_key and by_key[m.id].id not in blocked]
    return [(m, s) for m, s in usable if m.relevant][:top], bool(usable)


async def request(session: AsyncSession, user: User, specialist_id: int) -> tuple[str, list[Notice]]:
    """The enterprise asks for a suggested specialist: recorded once, with the notice staff are
    owed in the same transaction. 'sent', 'already', 'blocked' or 'stale' (not a member with a
    consenting submission this campaign, or no such active specialist)."""
    member = await session.get(EnterpriseMember, user.id)
    campaign = await open_campaign(session)
    specialist = await session.get(Specialist, specialist_id)
    submission = None
    if member and campaign:
        submission = await session.scalar(select(Submission).where(
            Submission.enterprise_id == member.enterprise_id, Submission.campaign_year == campaign.year,
            Submission.current))
    if specialist is None or specialist.status != "active" or submission is None or not submission.answers.get("consent"):
        return "stale", []
    if specialist.id in await eng.blocked_for(session, member.enterprise_id):
        return "blocked", []
    enterprise = await session.get(Enterprise, member.enterprise_id)
    try:
        async with session.begin_nested():
            session.add(MatchRequest(enterprise_id=member.enterprise_id, campaign_year=campaign.year,
                                     specialist_key=eng.index_key(specialist), requested_by=user.id))
    except IntegrityError:
        return "already", []
    note = fmt(texts.REQUEST_TO_STAFF, enterprise=enterprise.name, specialist=specialist.name, year=campaign.year)
    return "sent", [Notice(note, STAFF, kind="staff_notice")]
