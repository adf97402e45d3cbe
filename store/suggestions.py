"""The specialists an enterprise is shown after its survey — for channels other than Telegram's
handlers (handlers/matching.py does the same in Telegram); asking for one is services.matching's rule.

The ranking comes from knowledge.matching (`MatchIndex.match`, run by the caller outside any
transaction); here it is checked against the database: only specialists active now, never one
who declined, let an invitation expire or must recuse themselves, never one below the
relevance floor.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.matching import Match
from store import engagements as eng
from store.models import Enterprise, Specialist

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
