"""Hand-offs to staff, for every channel: the forward owed to each staff member's Telegram.

The Telegram handlers and the web chat open a hand-off the same way (store/repositories.py
`open_handoff`) and owe its forward here, in the transaction that opened it. When the sender
delivers a forward it records the staff message it became (store/outbox.py `_after`), so a
staff reply to it routes back to the asker on whichever channel they wrote from.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.render import esc
from store import identities as ident
from store import outbox as ob
from store.models import Handoff, User


async def owe_forward(session: AsyncSession, staff_ids: Iterable[int], handoff: Handoff) -> bool:
    """Owe every staff member the question (once per hand-off and staff member). False if there is
    no staff to tell."""
    user = await session.get(User, handoff.user_id)
    telegram_id = await ident.telegram_id_of(session, user)
    if telegram_id is None and await ident.address_for(session, user, ident.WEB) is not None:
        shown: object = texts.WEB_CHANNEL  # staff see where the asker is, never a session id
    else:
        shown = telegram_id or "—"
    text = texts.HANDOFF_TO_STAFF.format(
        id=handoff.id, reason=texts.HANDOFF_REASONS.get(handoff.reason, handoff.reason),
        name=esc(user.display_name or "—"), telegram_id=shown,
        question=esc(handoff.question), score=handoff.best_score,
    )
    owed = await ob.owe_staff(session, staff_ids, text, kind=ob.HANDOFF, ref=f"handoff:{handoff.id}",
                              key=f"handoff:{handoff.id}")
    return bool(owed)
