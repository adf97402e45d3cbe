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


def demand_of(answers: dict) -> Demand:
    return Demand(answers.get("field") or "", answers.get("product") or "", tuple(answers.get("directions") or ()),
                  answers.get("description") or "")


async def propose(session: AsyncSession, matcher: MatchIndex, year: int, min_affinity: float = DEFAULT_MIN_AFFINITY,
                  alternates: int = 3) -> Proposal:
    """Every consenting enterprise's current demand, assigned over the active pool."""
    submissions = [s for s in await current_submissions(session, year) if s.answers.get("consent")]
    pool = (await session.scalars(select(Specialist).where(Specialist.status == "active"))).all()
    capacities = {profile_of(s).id: s.capacity for s in pool}
    names = {profile_of(s).id: f"{s.name}（{s.institution}）" for s in pool}
    candidates: list[Candidate] = []
    demand_names: dict[str, str] = {}
    for submission in submissions:
        demand_id = submission.answers.get("credit_code") or f"E{submission.enterprise_id}"
        demand_names[demand_id] = submission.answers.get("name") or demand_id
        for match in matcher.match(demand_of(submission.answers), CANDIDATES_PER_DEMAND):
            if match.id in capacities:  # the index may briefly hold someone no longer active
                candidates.append(Candidate(demand_id, match.id, match.score))
    result = assign(candidates, capacities, set(), min_affinity, alternates, demands=list(demand_names))
    return Proposal(result, demand_names, names)
