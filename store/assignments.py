"""A campaign's assignment proposal: demands from confirmed surveys, candidates from the matcher."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.assignment import Candidate, assign
from knowledge.matching import RELEVANCE_FLOOR, Demand, MatchIndex
from store.engagements import Proposal, blocked_keys, busy_enterprises, load_used, requested_by, specialists_by_key
from store.models import Specialist
from store.specialists import profile_of
from store.survey import current_submissions

CANDIDATES_PER_DEMAND = 50
DEFAULT_MIN_AFFINITY = RELEVANCE_FLOOR  # the same floor the suggestions use


def demand_of(answers: dict) -> Demand:
    return Demand(answers.get("field") or "", answers.get("product") or "", tuple(answers.get("directions") or ()),
                  answers.get("description") or "")


async def propose(session: AsyncSession, matcher: MatchIndex, year: int, min_affinity: float = DEFAULT_MIN_AFFINITY,
                  alternates: int = 3) -> Proposal:
    """Every consenting enterprise's current demand not yet served or waiting, over the active pool.

    Capacity already taken this campaign (proposed or accepted pairs) is subtracted; pairs
    a specialist declined or let expire, and conflicts staff entered, are blocked. A
    specialist the enterprise asked for (请求对接) is a strong preference (see
    knowledge/assignment.py); a request that cannot be met is reported with its reason.
    """

    busy = await busy_enterprises(session, year)
    submissions = [s for s in await current_submissions(session, year)
                   if s.answers.get("consent") and s.enterprise_id not in busy]
    pool = (await session.scalars(select(Specialist).where(Specialist.status == "active"))).all()
    capacities: dict[str, int] = {}
    db_id: dict[str, int] = {}
    for specialist in pool:
        left = specialist.capacity - await load_used(session, year, specialist.id)
        if left > 0:
            capacities[profile_of(specialist).id] = left
            db_id[profile_of(specialist).id] = specialist.id
    names = {profile_of(s).id: f"{s.name}（{s.institution}）" for s in pool}
    blocked_db = await blocked_keys(session)
    requests = await requested_by(session, year)
    known = await specialists_by_key(session, {k for keys in requests.values() for k in keys})
    names.update({k: f"{s.name}（{s.institution}）" for k, s in known.items()})
    candidates: list[Candidate] = []
    blocked: set[tuple[str, str]] = set()
    preferred: set[tuple[str, str]] = set()
    unmet: dict[str, tuple[str, str]] = {}
    demand_names: dict[str, str] = {}
    demand_enterprise: dict[str, int] = {}
    for submission in submissions:
        demand_id = submission.answers.get("credit_code") or f"E{submission.enterprise_id}"
        demand_names[demand_id] = submission.answers.get("name") or demand_id
        demand_enterprise[demand_id] = submission.enterprise_id
        scored: dict[str, float] = {}
        for match in matcher.match(demand_of(submission.answers), CANDIDATES_PER_DEMAND):
            if match.id in capacities and match.relevant:  # the index may briefly hold someone no longer active
                scored[match.id] = match.score
        asked = requests.get(submission.enterprise_id, [])
        for key in asked:
            specialist = known.get(key)
            reason = ("inactive" if specialist is None or specialist.status != "active" else
                      "blocked" if (submission.enterprise_id, specialist.id) in blocked_db else
                      "capacity" if key not in capacities else None)
            if reason:
                unmet.setdefault(demand_id, (key, reason))
                continue
            preferred.add((demand_id, key))
            # Asked for from the suggestions, so relevant when asked; if the index no longer
            # ranks them in the top candidates, the floor stands in for their affinity.
            scored.setdefault(key, min_affinity)
        for key, score in scored.items():
            candidates.append(Candidate(demand_id, key, score))
            if (submission.enterprise_id, db_id[key]) in blocked_db:
                blocked.add((demand_id, key))
    result = assign(candidates, capacities, blocked, min_affinity, alternates, demands=list(demand_names),
                    preferred=preferred)
    # Asked, possible, and still not given: serving another demand needed that slot.
    asked_for = {d: k for d, k in sorted(preferred)}
    given = {p.demand_id for p in result.pairs if p.requested}
    for demand_id, key in asked_for.items():
        if demand_id not in given:
            unmet.setdefault(demand_id, (key, "capacity"))
    return Proposal(result, demand_names, names, demand_enterprise, unmet)
