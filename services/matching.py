"""Who may ask for which specialist, and who is told.

An enterprise sees its suggested specialists (handlers/matching.py shows them) and may ask for
one: only a verified member of an enterprise whose current submission in the open campaign
consents to matching, only for an active specialist who has not declined it or must recuse
themselves, and once. Staff are told with the request itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import fmt
from core.messages import STAFF, Notice
from store import engagements as eng
from store.models import Enterprise, EnterpriseMember, MatchRequest, Specialist, Submission, User
from store.survey import open_campaign


@dataclass(frozen=True)
class Outcome:
    """What the person acting is told (plain, short: a button's alert) and what others are owed.
    `outcome` is sent, already, blocked or stale, for a channel that words it its own way."""

    outcome: str
    reply: str
    notices: list[Notice] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.outcome == "sent"


async def request_specialist(session: AsyncSession, person_id: int, specialist_ref: str) -> Outcome:
    """The enterprise user (the person `person_id`) asks for the specialist `specialist_ref` (the
    database id a suggestion's choice carries, never an import's). In the caller's transaction."""
    user = await session.get(User, person_id)
    member = await session.get(EnterpriseMember, user.id) if user else None
    campaign = await open_campaign(session)
    specialist = (await session.get(Specialist, int(specialist_ref))
                  if specialist_ref.isascii() and specialist_ref.isdigit() and len(specialist_ref) < 10 else None)
    submission = None
    if member and campaign:
        submission = await session.scalar(select(Submission).where(
            Submission.enterprise_id == member.enterprise_id, Submission.campaign_year == campaign.year,
            Submission.current))
    if specialist is None or specialist.status != "active" or submission is None or not submission.answers.get("consent"):
        return Outcome("stale", texts.STALE_BUTTON)
    if specialist.id in await eng.blocked_for(session, member.enterprise_id):
        return Outcome("blocked", texts.REQUEST_BLOCKED)
    try:
        async with session.begin_nested():
            session.add(MatchRequest(enterprise_id=member.enterprise_id, campaign_year=campaign.year,
                                     specialist_key=eng.index_key(specialist), requested_by=user.id))
    except IntegrityError:
        return Outcome("already", texts.REQUEST_ALREADY)
    enterprise = await session.get(Enterprise, member.enterprise_id)
    note = fmt(texts.REQUEST_TO_STAFF, enterprise=enterprise.name, specialist=specialist.name, year=campaign.year)
    return Outcome("sent", texts.REQUEST_SENT, [Notice(note, STAFF, kind="staff_notice")])
