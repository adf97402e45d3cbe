"""1+1+1 decisions and who is told what: the invitation a specialist gets, what each side hears
when they accept or decline, and what staff are told when an invitation is declined, expires
or is withdrawn (and the next alternate invited).

Each function works in the caller's transaction and returns `Notice`s for the channel to owe
in that same transaction (the outbox delivers them after the commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import fmt
from core.messages import STAFF, Choice, Notice
from store import engagements as eng
from store import membership
from store.models import Engagement, Enterprise, Specialist

INVITATION = "invitation"
CONTACT = "contact"
STAFF_NOTICE = "staff_notice"
NOTICE = "notice"


def answer_action(engagement_id: int, accept: bool) -> str:
    return f"en:{'a' if accept else 'd'}:{engagement_id}"


async def invitation(session: AsyncSession, engagement: Engagement, batch: str | None = None,
                     report_to: int | None = None) -> Notice | None:
    """The invitation — the demand, never the phone — with 接受 / 婉拒; None if the specialist
    can't be reached (nobody tepai knows, or the enterprise's submission is gone)."""
    specialist = await session.get(Specialist, engagement.specialist_id)
    enterprise = await session.get(Enterprise, engagement.enterprise_id)
    submission = await eng.current_submission(session, engagement)
    if specialist is None or not specialist.user_id or submission is None:
        return None
    a = submission.answers
    text = fmt(texts.PROPOSAL_TO_SPECIALIST, enterprise=enterprise.name, district=a.get("district") or "—",
               field=a.get("field") or "—", product=a.get("product") or "—",
               directions="、".join(a.get("directions") or []) or "—", description=a.get("description") or "—")
    choices = [[Choice(texts.PROPOSAL_ACCEPT, answer_action(engagement.id, True)),
                Choice(texts.PROPOSAL_DECLINE, answer_action(engagement.id, False))]]
    return Notice(text, specialist.user_id, choices, kind=INVITATION, ref=f"engagement:{engagement.id}",
                  key=f"invite:{engagement.id}", batch=batch, report_to=report_to)


async def refusal(session: AsyncSession, template: str, specialist: Specialist, enterprise: Enterprise,
                  successor: Engagement | None) -> list[Notice]:
    """A pair that will not happen (declined, expired, withdrawn): the next alternate, if any, is
    invited, and staff are told who it was and what happens next."""
    notices = []
    name = None
    if successor is not None:
        invited = await invitation(session, successor)
        notices += [invited] if invited is not None else []
        name = (await session.get(Specialist, successor.specialist_id)).name
    note = fmt(template, specialist=specialist.name, enterprise=enterprise.name,
               next=texts.STAFF_NEXT.format(name=name) if successor is not None else texts.STAFF_NO_NEXT)
    return notices + [Notice(note, STAFF, kind=STAFF_NOTICE)]


@dataclass(frozen=True)
class Answered:
    """The specialist's 接受 / 婉拒: `outcome` is accepted, declined, stale, not_yours or already;
    `reply` is what they are told at once (a short alert), `notices` what others are owed."""

    outcome: str
    reply: str | None = None
    notices: list[Notice] = field(default_factory=list)


async def answer(session: AsyncSession, engagement_id: int, person_id: int, accept: bool) -> Answered:
    """Only the addressed specialist answers, once. Accepting makes a project and gives both sides
    each other's contact (the specialist's phone only to a verified member of the enterprise);
    declining blocks the pair and passes the demand to the next alternate."""
    outcome, engagement, successor, project = await eng.answer(session, engagement_id, person_id, accept)
    if outcome == "stale":
        return Answered(outcome, texts.STALE_BUTTON)
    if outcome == "not_yours":
        return Answered(outcome, texts.PROPOSAL_NOT_YOURS)
    if outcome == "already":
        return Answered(outcome, texts.PROPOSAL_ALREADY.format(status=texts.PROPOSAL_STATUS.get(engagement.status, "")))
    specialist = await session.get(Specialist, engagement.specialist_id)
    enterprise = await session.get(Enterprise, engagement.enterprise_id)
    if outcome == "declined":
        return Answered(outcome, None, await refusal(session, texts.STAFF_DECLINED, specialist, enterprise, successor))
    submission = await eng.current_submission(session, engagement)
    owner = await membership.contact_member(session, enterprise.id, submission.submitted_by if submission else None)
    a = submission.answers if submission else {}
    ref = f"engagement:{engagement.id}"
    notices = [Notice(fmt(texts.ACCEPTED_SPECIALIST, contact=a.get("contact") or "—", phone=a.get("phone") or "—",
                          enterprise=enterprise.name, project=project.title),
                      person_id, kind=CONTACT, ref=ref, key=f"contact-specialist:{engagement.id}")]
    if owner is not None:
        notices.append(Notice(fmt(texts.ACCEPTED_ENTERPRISE, name=specialist.name, institution=specialist.institution,
                                  title=f"，{specialist.title}" if specialist.title else "",
                                  phone=specialist.phone or "—", project=project.title),
                              owner.id, kind=CONTACT, ref=ref, key=f"contact:{engagement.id}"))
    return Answered(outcome, None, notices)


async def expire(session: AsyncSession) -> list[Notice]:
    """Invitations delivered 72 hours ago without an answer count as declined: staff are told and
    the next alternate invited. One never delivered never expires."""
    notices: list[Notice] = []
    for old, successor in await eng.expire_overdue(session):
        specialist = await session.get(Specialist, old.specialist_id)
        enterprise = await session.get(Enterprise, old.enterprise_id)
        notices += await refusal(session, texts.STAFF_EXPIRED, specialist, enterprise, successor)
    return notices


async def withdrawals(session: AsyncSession, specialist: Specialist, enterprise: Enterprise,
                      withdrawn: list[tuple[Engagement, Engagement | None]]) -> list[Notice]:
    """A conflict of interest withdrew these invitations: the specialist is told there is nothing
    to answer, staff are told, the next alternate is invited."""
    notices: list[Notice] = []
    for _, successor in withdrawn:
        notices.append(Notice(fmt(texts.PROPOSAL_WITHDRAWN, enterprise=enterprise.name), specialist.user_id))
        notices += await refusal(session, texts.STAFF_WITHDRAWN, specialist, enterprise, successor)
    return notices
