"""From an approved assignment to projects: proposals, answers, alternates, expiry (72 h)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from knowledge.assignment import Assignment
from store.validators import ValidationError, unified_credit_code
from store.models import BlockedPair, Engagement, Enterprise, MatchRequest, Project, Specialist, Submission, utcnow

ANSWER_WINDOW = timedelta(hours=72)
OPEN = ("proposed", "accepted")


_OWN_KEY = re.compile(r"S([1-9][0-9]{0,8})")


def index_key(specialist: Specialist) -> str:
    """The specialist's id in the match index: the import's external id, or S<id> without one."""
    return specialist.external_id or f"S{specialist.id}"



@dataclass
class Proposal:
    assignment: Assignment
    demand_names: dict[str, str]  # demand id -> enterprise name
    specialist_names: dict[str, str]  # specialist id -> "name（institution）"
    demand_enterprise: dict[str, int]  # demand id -> enterprise id
    # demand id -> the specialist it asked for (index key) that this proposal could not give it, and why
    unmet_requests: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def requests_met(self) -> int:
        return sum(p.requested for p in self.assignment.pairs)


async def specialists_by_key(session: AsyncSession, keys: Iterable[str], active_only: bool = False,
                             ) -> dict[str, Specialist]:
    """Match-index keys → specialists. An external id is only ever read as an external id:
    `S001` is the import's S001, never internal specialist 1 (S<id> names only a specialist
    who has no external id)."""
    wanted = set(keys)
    if not wanted:
        return {}
    numbers = [int(m.group(1)) for k in wanted if (m := _OWN_KEY.fullmatch(k))]
    query = select(Specialist).where(or_(Specialist.external_id.in_(wanted),
                                         and_(Specialist.id.in_(numbers), Specialist.external_id.is_(None))))
    if active_only:
        query = query.where(Specialist.status == "active")
    return {index_key(s): s for s in (await session.scalars(query)).all() if index_key(s) in wanted}


async def key_to_id(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Specialist.id, Specialist.external_id))
    return {(ext or f"S{sid}"): sid for sid, ext in rows.all()}


def drafts_digest(drafts: Iterable[Engagement]) -> str:
    """What a proposal says, in 10 hex characters: an approval button carries it, so it can
    only approve the proposal its presser saw (a newer, different one makes it stale)."""
    content = sorted((d.enterprise_id, d.specialist_id, tuple(d.alternates or ())) for d in drafts)
    return hashlib.sha256(repr(content).encode()).hexdigest()[:10]


async def drafts_of(session: AsyncSession, year: int) -> list[Engagement]:
    return list((await session.scalars(select(Engagement).where(
        Engagement.campaign_year == year, Engagement.status == "draft").order_by(Engagement.id))).all())


async def save_drafts(session: AsyncSession, year: int, proposal: Proposal) -> list[Engagement]:
    """Replace the campaign's unapproved proposal with this one."""
    await session.execute(delete(Engagement).where(Engagement.campaign_year == year, Engagement.status == "draft"))
    ids = await key_to_id(session)
    drafts = []
    for pair in proposal.assignment.pairs:
        enterprise_id = proposal.demand_enterprise[pair.demand_id]
        drafts.append(Engagement(campaign_year=year, enterprise_id=enterprise_id, specialist_id=ids[pair.specialist_id],
                                 affinity=pair.affinity, alternates=[ids[a] for a in pair.alternates if a in ids],
                                 status="draft"))
    session.add_all(drafts)
    await session.flush()
    return drafts


async def approve_drafts(session: AsyncSession, year: int, digest: str | None = None,
                         ) -> tuple[str, list[Engagement]]:
    """("approved", pairs) — or ("stale", the current drafts) when `digest` is not the
    proposal waiting now, or ("none", []) when nothing waits. `digest=None` approves
    whatever waits (the CLI, which shows no proposal first)."""
    drafts = await drafts_of(session, year)
    if not drafts:
        return "none", []
    if digest is not None and digest != drafts_digest(drafts):
        return "stale", drafts
    for engagement in drafts:
        engagement.status, engagement.proposed_at = "proposed", utcnow()
    return "approved", drafts


async def blocked_for(session: AsyncSession, enterprise_id: int) -> dict[int, str]:
    """Specialists who must not be proposed to this enterprise: specialist id → reason."""
    rows = await session.execute(select(BlockedPair.specialist_id, BlockedPair.reason)
                                 .where(BlockedPair.enterprise_id == enterprise_id))
    return dict(rows.all())


async def requested_by(session: AsyncSession, year: int) -> dict[int, list[str]]:
    """Enterprise id → the specialists (index keys) it asked for this campaign, first asked first."""
    rows = await session.execute(select(MatchRequest.enterprise_id, MatchRequest.specialist_key)
                                 .where(MatchRequest.campaign_year == year).order_by(MatchRequest.id))
    out: dict[int, list[str]] = {}
    for enterprise_id, key in rows.all():
        out.setdefault(enterprise_id, []).append(key)
    return out


async def busy_enterprises(session: AsyncSession, year: int) -> set[int]:
    """Enterprises already served or waiting for an answer this campaign."""
    rows = await session.scalars(select(Engagement.enterprise_id).where(Engagement.campaign_year == year,
                                                                        Engagement.status.in_(OPEN)))
    return set(rows.all())


async def blocked_keys(session: AsyncSession) -> set[tuple[int, int]]:
    return {(e, s) for e, s in (await session.execute(select(BlockedPair.enterprise_id, BlockedPair.specialist_id))).all()}


async def load_used(session: AsyncSession, year: int, specialist_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(Engagement).where(
        Engagement.campaign_year == year, Engagement.specialist_id == specialist_id, Engagement.status.in_(OPEN))) or 0)


async def _next_alternate(session: AsyncSession, engagement: Engagement) -> Engagement | None:
    """Propose the next usable alternate for the same enterprise (not blocked, capacity left)."""
    blocked = await blocked_keys(session)
    for specialist_id in engagement.alternates:
        specialist = await session.get(Specialist, specialist_id)
        if specialist is None or specialist.status != "active" or (engagement.enterprise_id, specialist_id) in blocked:
            continue
        if await load_used(session, engagement.campaign_year, specialist_id) >= specialist.capacity:
            continue
        rest = [a for a in engagement.alternates if a != specialist_id]
        successor = Engagement(campaign_year=engagement.campaign_year, enterprise_id=engagement.enterprise_id,
                               specialist_id=specialist_id, affinity=0.0, alternates=rest, status="proposed",
                               proposed_at=utcnow())
        session.add(successor)
        await session.flush()
        return successor
    return None


async def answer(session: AsyncSession, engagement_id: int, user_id: int, accept: bool,
                 ) -> tuple[str, Engagement | None, Engagement | None, Project | None]:
    """(outcome, engagement, successor, project). Only the addressed specialist may answer, once."""
    engagement = await session.get(Engagement, engagement_id)
    if engagement is None or engagement.status == "draft":
        return "stale", None, None, None
    specialist = await session.get(Specialist, engagement.specialist_id)
    if specialist is None or specialist.user_id != user_id:
        return "not_yours", None, None, None
    if engagement.status != "proposed":
        return "already", engagement, None, None
    engagement.decided_at = utcnow()
    if accept:
        engagement.status = "accepted"
        submission = await current_submission(session, engagement)
        product = (submission.answers.get("product") if submission else "") or ""
        enterprise = await session.get(Enterprise, engagement.enterprise_id)
        project = Project(engagement_id=engagement.id, enterprise_id=engagement.enterprise_id,
                          specialist_id=specialist.id, title=f"{enterprise.name} × {specialist.name}：{product}"[:200])
        session.add(project)
        await session.flush()
        return "accepted", engagement, None, project
    engagement.status = "declined"
    session.add(BlockedPair(enterprise_id=engagement.enterprise_id, specialist_id=specialist.id, reason="declined"))
    await session.flush()
    return "declined", engagement, await _next_alternate(session, engagement), None


async def expire_overdue(session: AsyncSession, window: timedelta = ANSWER_WINDOW) -> list[tuple[Engagement, Engagement | None]]:
    """Proposals unanswered for `window` since the specialist actually received them: expired, the
    next alternate proposed. One never delivered (still queued, unreachable) never expires."""
    cutoff = utcnow() - window
    overdue = (await session.scalars(select(Engagement).where(Engagement.status == "proposed",
                                                              Engagement.delivered_at < cutoff))).all()
    results = []
    for engagement in overdue:
        engagement.status, engagement.decided_at = "expired", utcnow()
        session.add(BlockedPair(enterprise_id=engagement.enterprise_id, specialist_id=engagement.specialist_id,
                                reason="expired"))
        await session.flush()
        results.append((engagement, await _next_alternate(session, engagement)))
    return results


async def current_submission(session: AsyncSession, engagement: Engagement) -> Submission | None:
    return await session.scalar(select(Submission).where(
        Submission.enterprise_id == engagement.enterprise_id, Submission.campaign_year == engagement.campaign_year,
        Submission.current))


# -- conflicts of interest staff enter -------------------------------------------------------


async def find_specialist(session: AsyncSession, ref: str) -> Specialist | None:
    """A specialist by the number staff see (`#12`) or by the id the match index and imports
    use (the external id, e.g. `S001`; `S12` for one without an external id). An external id
    is never read as an internal number."""
    ref = ref.strip()
    if ref.startswith("#"):
        number = ref[1:]
        return await session.get(Specialist, int(number)) if number.isdigit() and len(number) < 10 else None
    return (await specialists_by_key(session, [ref])).get(ref)


async def resolve_pair(session: AsyncSession, code_text: str, ref: str,
                       ) -> tuple[Enterprise | None, Specialist | None, str | None]:
    """An enterprise by credit code and a specialist by reference, as staff type them:
    (enterprise, specialist, None), or an error message naming what was not found."""
    try:
        code = unified_credit_code(code_text)
    except ValidationError as exc:
        return None, None, exc.message
    enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    if enterprise is None:
        return None, None, texts.CONFLICT_UNKNOWN_ENTERPRISE.format(code=code)
    specialist = await find_specialist(session, ref)
    if specialist is None:
        return enterprise, None, texts.CONFLICT_UNKNOWN_SPECIALIST.format(ref=ref)
    return enterprise, specialist, None


async def add_conflict(session: AsyncSession, enterprise_id: int, specialist_id: int, withdraw: bool = True,
                       ) -> tuple[BlockedPair | None, list[tuple[Engagement, Engagement | None]]]:
    """Block the pair for good: (the block that already existed or None, withdrawn invitations
    with their successors). An unapproved draft of the pair is dropped; an invitation still waiting
    for the specialist's answer is withdrawn and the next alternate invited. An accepted pair
    (a running project) is left to staff. `withdraw=False` leaves a waiting invitation alone
    (for callers that cannot message the specialist)."""
    existing = await session.get(BlockedPair, (enterprise_id, specialist_id))
    if existing is None:
        session.add(BlockedPair(enterprise_id=enterprise_id, specialist_id=specialist_id, reason="conflict"))
    await session.execute(delete(Engagement).where(Engagement.enterprise_id == enterprise_id,
                                                   Engagement.specialist_id == specialist_id,
                                                   Engagement.status == "draft"))
    waiting = (await session.scalars(select(Engagement).where(Engagement.enterprise_id == enterprise_id,
                                                              Engagement.specialist_id == specialist_id,
                                                              Engagement.status == "proposed"))).all() if withdraw else []
    withdrawn = []
    for engagement in waiting:
        engagement.status, engagement.decided_at = "withdrawn", utcnow()
        await session.flush()
        withdrawn.append((engagement, await _next_alternate(session, engagement)))
    await session.flush()
    return existing, withdrawn


async def remove_conflict(session: AsyncSession, enterprise_id: int, specialist_id: int) -> bool:
    """Only a conflict staff entered can be removed; a specialist's own decline stands."""
    result = await session.execute(delete(BlockedPair).where(BlockedPair.enterprise_id == enterprise_id,
                                                             BlockedPair.specialist_id == specialist_id,
                                                             BlockedPair.reason == "conflict"))
    return bool(result.rowcount)


async def conflicts(session: AsyncSession, limit: int = 200) -> list[tuple[BlockedPair, Enterprise, Specialist]]:
    rows = await session.execute(select(BlockedPair, Enterprise, Specialist)
                                 .join(Enterprise, Enterprise.id == BlockedPair.enterprise_id)
                                 .join(Specialist, Specialist.id == BlockedPair.specialist_id)
                                 .where(BlockedPair.reason == "conflict")
                                 .order_by(BlockedPair.created_at).limit(limit))
    return [(b, e, s) for b, e, s in rows.all()]


async def pending_for(session: AsyncSession, user_id: int) -> list[Engagement]:
    """Invitations waiting for this specialist's answer, oldest first."""
    return list((await session.scalars(select(Engagement).join(Specialist, Specialist.id == Engagement.specialist_id)
                                       .where(Specialist.user_id == user_id, Engagement.status == "proposed")
                                       .order_by(Engagement.proposed_at))).all())
