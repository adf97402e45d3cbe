"""A campaign's assignment proposal: demands from confirmed surveys, candidates from the matcher."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.assignment import Assignment, Candidate, assign
from knowledge.matching import Demand, MatchIndex
from store.models import Specialist
from store.specialists import profile_of
from store.survey import current_submissions

CANDIDATES_PER_DEMAND = 50
DEFAULT_MIN_AFFINITY = 0.3


@dataclass
class Proposal:
    assignment: Assignment
    demand_names: dict[str, str]  # demand id -> enterprise name
    specialist_names: dict[str, str]  # specialist id -> "name（institution）"
    demand_enterprise: dict[str, int]  # demand id -> enterprise id


def demand_of(answers: dict) -> Demand:
    return Demand(answers.get("field") or "", answers.get("product") or "", tuple(answers.get("directions") or ()),
                  answers.get("description") or "")


async def propose(session: AsyncSession, matcher: MatchIndex, year: int, min_affinity: float = DEFAULT_MIN_AFFINITY,
                  alternates: int = 3) -> Proposal:
    """Every consenting enterprise's current demand not yet served or waiting, over the active pool.

    Capacity already taken this campaign (proposed or accepted pairs) is subtracted; pairs
    a specialist declined or let expire, and conflicts staff entered, are blocked.
    """
    from store.engagements import blocked_keys, busy_enterprises, load_used

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
    candidates: list[Candidate] = []
    blocked: set[tuple[str, str]] = set()
    demand_names: dict[str, str] = {}
    demand_enterprise: dict[str, int] = {}
    for submission in submissions:
        demand_id = submission.answers.get("credit_code") or f"E{submission.enterprise_id}"
        demand_names[demand_id] = submission.answers.get("name") or demand_id
        demand_enterprise[demand_id] = submission.enterprise_id
        for match in matcher.match(demand_of(submission.answers), CANDIDATES_PER_DEMAND):
            if match.id in capacities:  # the index may briefly hold someone no longer active
                candidates.append(Candidate(demand_id, match.id, match.score))
                if (submission.enterprise_id, db_id[match.id]) in blocked_db:
                    blocked.add((demand_id, match.id))
    result = assign(candidates, capacities, blocked, min_affinity, alternates, demands=list(demand_names))
    return Proposal(result, demand_names, names, demand_enterprise)
