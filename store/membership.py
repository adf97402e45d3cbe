"""Who may speak for an enterprise: verified membership, join claims, and the audit trail.

Identity rules (also in README, "Identity rules"):

* A unified social credit code is public (it is printed on the business licence), so knowing
  it proves nothing. `EnterpriseMember` rows are the only trusted link between a person and an
  enterprise, and every place that acts for an enterprise (the survey's current version,
  suggestions, match requests, nominations, contact exchange, broadcasts by district) reads them.
* The first person to enter a code that no enterprise and no roster entry holds founds the
  enterprise (`via="founder"`). Staff see every enterprise's members (/members) and can remove
  one, so an impostor who got there first loses the record, and the real owner's route is staff.
* Anyone else entering a known code (an enterprise with members, or one only on the staff
  roster import) makes a *claim*. The claimant is told it is pending. The enterprise's verified
  members who are reachable in Telegram are asked to approve or refuse it in the chat; staff
  can approve or refuse any claim, can overrule a member's refusal, and are the only route when
  no member is reachable (a roster-only enterprise has none).
* Until approved the claimant sees nothing of the enterprise (no name beyond what they typed,
  no answers, no phone, no suggestions, no project, no contact exchange) and changes nothing:
  their survey answers wait in the claim. On approval they become a new version, recorded as
  theirs, and the other members are told.
* Every change to a shared record keeps who made it: submissions keep `submitted_by`, and each
  membership event and merge is a `RecordChange` row. Verified members are told when someone
  else changes their enterprise's record.

Functions take a session and never commit; the messages owed to other people come back as
`Notice`s for the caller to owe (outbox rows) in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import Marked, fmt, lit
from core.messages import Notice  # a message owed to someone other than the person acting (None: all staff)
from store.clock import beijing_time
from store.models import (
    Campaign, Enterprise, EnterpriseClaim, EnterpriseMember, RecordChange, RosterEnterprise, Submission, User, utcnow,
)

Buttons = list[list[tuple[str, str]]]




def beijing(moment: datetime) -> str:
    return beijing_time(moment)  # the one helper: naive SQLite values are UTC, shown labelled


def who(user: User) -> Marked:
    """How a person is named to others: their Telegram name and username, escaped."""
    name = lit(user.display_name or texts.MEMBER_NO_NAME)
    return Marked(f"{name}（@{lit(user.username)}）") if user.username else name


def _plain(user: User) -> str:
    """A person's name in a button's toast (plain text, kept short)."""
    return (user.display_name or texts.MEMBER_NO_NAME)[:30]


def _toast(text: str) -> str:
    return text if len(text) <= 200 else text[:199] + "…"  # Telegram's limit for a button's answer


def record(session: AsyncSession, record_type: str, record_id: int, actor: User | None, action: str,
           **detail: Any) -> None:
    session.add(RecordChange(record_type=record_type, record_id=record_id, actor_id=actor.id if actor else None,
                             action=action, detail=detail))


# -- reading ---------------------------------------------------------------------------------


async def membership(session: AsyncSession, user: User) -> EnterpriseMember | None:
    return await session.get(EnterpriseMember, user.id)


async def is_member(session: AsyncSession, user: User, enterprise_id: int) -> bool:
    member = await membership(session, user)
    return member is not None and member.enterprise_id == enterprise_id


async def members(session: AsyncSession, enterprise_id: int) -> list[tuple[EnterpriseMember, User]]:
    rows = await session.execute(select(EnterpriseMember, User).join(User, User.id == EnterpriseMember.user_id)
                                 .where(EnterpriseMember.enterprise_id == enterprise_id)
                                 .order_by(EnterpriseMember.linked_at, EnterpriseMember.user_id))
    return [(m, u) for m, u in rows.all()]


async def contact_member(session: AsyncSession, enterprise_id: int, preferred: int | None = None) -> User | None:
    """The verified member to send an enterprise's private messages to (contact exchange): the one
    who submitted, if still a member, else the longest-standing reachable member; never anyone else."""
    verified = await members(session, enterprise_id)
    for _, user in verified:
        if user.id == preferred:
            return user
    return next((u for _, u in verified if u.reachable), None)


async def known(session: AsyncSession, code: str) -> bool:
    """Whether a code belongs to an enterprise someone already holds or the roster lists."""
    if await session.scalar(select(Enterprise.id).where(Enterprise.credit_code == code)) is not None:
        return True
    return await session.get(RosterEnterprise, code) is not None


async def pending_claim(session: AsyncSession, user: User) -> EnterpriseClaim | None:
    return await session.scalar(select(EnterpriseClaim).where(EnterpriseClaim.user_id == user.id,
                                                              EnterpriseClaim.status == "pending")
                                .order_by(EnterpriseClaim.id.desc()).limit(1))


async def claims(session: AsyncSession, enterprise_id: int | None = None) -> list[tuple[EnterpriseClaim, User, Enterprise]]:
    query = (select(EnterpriseClaim, User, Enterprise).join(User, User.id == EnterpriseClaim.user_id)
             .join(Enterprise, Enterprise.id == EnterpriseClaim.enterprise_id)
             .where(EnterpriseClaim.status == "pending").order_by(EnterpriseClaim.created_at))
    if enterprise_id is not None:
        query = query.where(EnterpriseClaim.enterprise_id == enterprise_id)
    return [(c, u, e) for c, u, e in (await session.execute(query.limit(50))).all()]


async def history(session: AsyncSession, enterprise_id: int, limit: int = 8) -> list[tuple[RecordChange, User | None]]:
    rows = await session.execute(select(RecordChange, User).outerjoin(User, User.id == RecordChange.actor_id)
                                 .where(RecordChange.record_type == "enterprise", RecordChange.record_id == enterprise_id)
                                 .order_by(RecordChange.id.desc()).limit(limit))
    return [(c, u) for c, u in rows.all()]


# -- submitting --------------------------------------------------------------------------------


async def _tell_members(session: AsyncSession, enterprise_id: int, text: str, *, besides: set[int]) -> list[Notice]:
    return [Notice(text, user.id) for _, user in await members(session, enterprise_id)
            if user.id not in besides and user.reachable]


async def _join(session: AsyncSession, user: User, enterprise: Enterprise, via: str, approved_by: User | None) -> None:
    """Make `user` a verified member of `enterprise` (leaving the one they spoke for before)."""
    member = await membership(session, user)
    if member is not None and member.enterprise_id != enterprise.id:
        record(session, "enterprise", member.enterprise_id, user, "left", user_id=user.id)
        await session.delete(member)
        await session.flush()
        member = None
    if member is None:
        session.add(EnterpriseMember(user_id=user.id, enterprise_id=enterprise.id, via=via,
                                     approved_by=approved_by.id if approved_by else None))
    record(session, "enterprise", enterprise.id, approved_by or user, "joined", user_id=user.id, via=via)
    await session.flush()


async def save_version(session: AsyncSession, user: User, enterprise: Enterprise, year: int,
                       answers: dict[str, Any]) -> tuple[int, list[Notice]]:
    """A verified member's survey becomes the enterprise's current version, recorded as theirs;
    the other members are told. (version, notices)"""
    enterprise.name, enterprise.district = answers["name"], answers.get("district")
    previous = await session.scalar(select(func.max(Submission.version)).where(
        Submission.enterprise_id == enterprise.id, Submission.campaign_year == year))
    for old in (await session.scalars(select(Submission).where(
            Submission.enterprise_id == enterprise.id, Submission.campaign_year == year, Submission.current))).all():
        old.current = False
    version = (previous or 0) + 1
    session.add(Submission(enterprise_id=enterprise.id, campaign_year=year, version=version, current=True,
                           answers=answers, submitted_by=user.id,
                           consent_at=utcnow() if answers.get("consent") else None))
    record(session, "enterprise", enterprise.id, user, "submitted", year=year, version=version)
    await session.flush()
    note = fmt(texts.MEMBER_CHANGED, who=who(user), enterprise=lit(enterprise.name), year=year, version=version,
                                       at=beijing(utcnow()))
    return version, await _tell_members(session, enterprise.id, note, besides={user.id})


async def found(session: AsyncSession, user: User, code: str, name: str) -> Enterprise:
    """The first person to enter a code nobody holds: a new enterprise, with them as its member."""
    enterprise = Enterprise(credit_code=code, name=name)
    session.add(enterprise)
    await session.flush()
    record(session, "enterprise", enterprise.id, user, "founded", code=code)
    await _join(session, user, enterprise, "founder", None)
    return enterprise


async def enterprise_for_claim(session: AsyncSession, code: str) -> Enterprise | None:
    """The enterprise a code belongs to; a roster-only one gets its record (official name, no member)."""
    enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    if enterprise is not None:
        return enterprise
    roster = await session.get(RosterEnterprise, code)
    if roster is None:
        return None
    enterprise = Enterprise(credit_code=code, name=roster.name, district=roster.district)
    session.add(enterprise)
    await session.flush()
    record(session, "enterprise", enterprise.id, None, "from_roster", code=code)
    return enterprise


def claim_buttons(claim_id: int) -> Buttons:
    return [[(texts.CLAIM_APPROVE_BUTTON, f"jc:ok:{claim_id}"), (texts.CLAIM_REFUSE_BUTTON, f"jc:no:{claim_id}")]]


def _claim_summary(claim: EnterpriseClaim, claimant: User) -> Marked:
    """What the claimant typed, for members and staff to judge: only their own answers."""
    a = claim.answers or {}
    return fmt(texts.CLAIM_SUMMARY, who=who(claimant), name=lit(a.get("name") or "—"),
                                      contact=lit(a.get("contact") or "—"), phone=lit(a.get("phone") or "—"),
                                      at=beijing(claim.created_at))


def claim_text(claim: EnterpriseClaim, claimant: User, enterprise: Enterprise) -> Marked:
    """A pending claim as staff see it in /members and /claims."""
    return fmt(texts.CLAIM_TO_STAFF, enterprise=lit(enterprise.name), code=lit(enterprise.credit_code),
                                       summary=_claim_summary(claim, claimant), route="")


async def request_join(session: AsyncSession, user: User, enterprise: Enterprise, year: int | None,
                       answers: dict[str, Any]) -> tuple[EnterpriseClaim, bool, list[Notice]]:
    """The user's claim to speak for `enterprise`, holding their answers: (claim, members asked, notices).
    A second submission while pending replaces the held answers without asking anyone again."""
    claim = await pending_claim(session, user)
    if claim is not None and claim.enterprise_id != enterprise.id:
        claim.status, claim.decided_at = "withdrawn", utcnow()
        claim = None
    asked = [u for _, u in await members(session, enterprise.id) if u.reachable]
    refused_before = await session.scalar(select(EnterpriseClaim.id).where(
        EnterpriseClaim.user_id == user.id, EnterpriseClaim.enterprise_id == enterprise.id,
        EnterpriseClaim.status == "refused").limit(1))
    if refused_before is not None:  # asking the members again would only pester them: staff check it
        asked = []
    if claim is not None:
        claim.answers = answers
        return claim, bool(asked), []
    claim = EnterpriseClaim(user_id=user.id, enterprise_id=enterprise.id, campaign_year=year, answers=answers,
                            created_at=utcnow())
    session.add(claim)
    await session.flush()
    record(session, "enterprise", enterprise.id, user, "claim", claim_id=claim.id)
    summary = _claim_summary(claim, user)
    notices = [Notice(fmt(texts.CLAIM_TO_MEMBER, enterprise=lit(enterprise.name), summary=summary),
                      member.id, claim_buttons(claim.id)) for member in asked]
    staff_text = fmt(texts.CLAIM_TO_STAFF,
        enterprise=lit(enterprise.name), code=lit(enterprise.credit_code), summary=summary,
        route=texts.CLAIM_ROUTE_MEMBERS.format(count=len(asked)) if asked else texts.CLAIM_ROUTE_STAFF_ONLY)
    notices.append(Notice(staff_text, None, claim_buttons(claim.id)))
    return claim, bool(asked), notices


async def withdraw(session: AsyncSession, user: User) -> EnterpriseClaim | None:
    claim = await pending_claim(session, user)
    if claim is not None:
        claim.status, claim.decided_at = "withdrawn", utcnow()
        record(session, "enterprise", claim.enterprise_id, user, "claim_withdrawn", claim_id=claim.id)
    return claim


# -- deciding ------------------------------------------------------------------------------------


@dataclass
class Decision:
    outcome: str  # approved | refused | stale | not_yours | already
    reply: str = ""  # to the person who pressed
    notices: list[Notice] = field(default_factory=list)
    suggest_to: tuple[int, dict[str, Any]] | None = None  # (person id, answers): a new member's suggestions


async def decide_claim(session: AsyncSession, claim_id: int, actor: User, actor_is_staff: bool,
                       approve: bool) -> Decision:
    """A verified member or staff approve or refuse a claim. Staff may overrule a member's refusal."""
    # Locked (PostgreSQL): two members pressing at once decide it once; the second sees it decided.
    claim = await session.get(EnterpriseClaim, claim_id, with_for_update=True)
    if claim is None:
        return Decision("stale", texts.CLAIM_STALE)
    if not actor_is_staff and not await is_member(session, actor, claim.enterprise_id):
        return Decision("not_yours", texts.CLAIM_NOT_YOURS)
    overrule = actor_is_staff and approve and claim.status == "refused" and claim.decided_as == "member"
    if claim.status != "pending" and not overrule:
        return Decision("already", texts.CLAIM_ALREADY.format(status=texts.CLAIM_STATES.get(claim.status, "")))
    enterprise = await session.get(Enterprise, claim.enterprise_id)
    claimant = await session.get(User, claim.user_id)
    role = "staff" if actor_is_staff else "member"
    claim.status = "approved" if approve else "refused"
    claim.decided_at, claim.decided_by, claim.decided_as = utcnow(), actor.id, role
    record(session, "enterprise", enterprise.id, actor, "claim_approved" if approve else "claim_refused",
           claim_id=claim.id, user_id=claimant.id, by=role)
    notices: list[Notice] = []
    name = lit(enterprise.name)
    if not approve:
        notices.append(Notice(texts.CLAIM_REFUSED_CLAIMANT, claimant.id))
        if role == "member":  # the real owner may be the claimant: staff can still overrule
            notices.append(Notice(fmt(texts.CLAIM_REFUSED_BY_MEMBER_STAFF,
                enterprise=name, code=lit(enterprise.credit_code), summary=_claim_summary(claim, claimant),
                member=who(actor)), None, [[(texts.CLAIM_OVERRULE_BUTTON, f"jc:ok:{claim.id}")]]))
        return Decision("refused", _toast(texts.CLAIM_REFUSED_DONE.format(who=_plain(claimant), enterprise=enterprise.name[:40])),
                        notices)
    await _join(session, claimant, enterprise, role, actor)
    joined = fmt(texts.MEMBER_JOINED, who=who(claimant), enterprise=name, by=texts.CLAIM_BY[role],
                                        at=beijing(utcnow()))
    notices += await _tell_members(session, enterprise.id, joined, besides={claimant.id, actor.id})
    applied = await _apply_held_answers(session, claim, claimant, enterprise)
    if applied is None:
        notices.append(Notice(fmt(texts.CLAIM_APPROVED_CLAIMANT, enterprise=name), claimant.id))
    else:
        version, changed = applied
        notices.append(Notice(fmt(texts.CLAIM_APPROVED_APPLIED, enterprise=name, year=claim.campaign_year,
                                                                  version=version), claimant.id))
        notices += [n for n in changed if n.user_id != actor.id]
    suggest_to = (claimant.id, dict(claim.answers)) if applied and claim.answers.get("consent") else None
    return Decision("approved", _toast(texts.CLAIM_APPROVED_DONE.format(who=_plain(claimant), enterprise=enterprise.name[:40])),
                    notices,
                    suggest_to)


async def _apply_held_answers(session: AsyncSession, claim: EnterpriseClaim, claimant: User,
                              enterprise: Enterprise) -> tuple[int, list[Notice]] | None:
    """The claimant's held survey, now theirs to give: a new version while its campaign is open."""
    if not claim.answers or claim.campaign_year is None:
        return None
    campaign = await session.get(Campaign, claim.campaign_year)
    if campaign is None or campaign.status != "open":
        return None
    return await save_version(session, claimant, enterprise, claim.campaign_year, dict(claim.answers))


async def remove_member(session: AsyncSession, enterprise_id: int, user_id: int, staff: User) -> Decision:
    """Staff take a person off an enterprise (an impostor, someone who left): they and the
    remaining members are told. The versions they submitted stay, recorded as theirs, but a
    current one of theirs is retired (its contact is theirs): the latest version by a remaining
    member becomes current again, if there is one."""
    member = await session.get(EnterpriseMember, user_id)
    if member is None or member.enterprise_id != enterprise_id:
        return Decision("stale", texts.MEMBER_REMOVE_STALE)
    enterprise = await session.get(Enterprise, enterprise_id)
    removed = await session.get(User, user_id)
    await session.delete(member)
    await session.flush()
    retired = await _retire_versions_of(session, enterprise, user_id)
    record(session, "enterprise", enterprise_id, staff, "removed", user_id=user_id, retired=retired)
    await session.flush()
    name = lit(enterprise.name)
    notices = [Notice(fmt(texts.MEMBER_REMOVED_PERSON, enterprise=name), removed.id)]
    notices += await _tell_members(session, enterprise_id, fmt(texts.MEMBER_REMOVED_OTHERS,
        who=who(removed), enterprise=name, at=beijing(utcnow())), besides={staff.id})
    done = texts.MEMBER_REMOVED_DONE.format(who=_plain(removed), enterprise=enterprise.name[:40])
    return Decision("approved", _toast(done + (texts.MEMBER_REMOVED_RETIRED if retired else "")), notices)


async def _retire_versions_of(session: AsyncSession, enterprise: Enterprise, user_id: int) -> list[int]:
    """Current versions a removed person submitted stop being current; (version ids retired)."""
    current = (await session.scalars(select(Submission).where(
        Submission.enterprise_id == enterprise.id, Submission.current, Submission.submitted_by == user_id))).all()
    remaining = {m.user_id for m, _ in await members(session, enterprise.id)}
    retired = []
    for submission in current:
        submission.current = False
        retired.append(submission.id)
        fallback = await session.scalar(select(Submission).where(
            Submission.enterprise_id == enterprise.id, Submission.campaign_year == submission.campaign_year,
            Submission.submitted_by.in_(remaining or {-1})).order_by(Submission.version.desc()).limit(1))
        if fallback is not None:
            fallback.current = True
            enterprise.name, enterprise.district = fallback.answers.get("name", enterprise.name), fallback.answers.get("district")
    return retired
