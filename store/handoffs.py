"""Hand-offs to staff, for every channel: what each staff member is told about the question.

The Telegram handlers and the web chat open a hand-off the same way (store/repositories.py
`open_handoff`) and owe this notice in the transaction that opened it (handlers/common.py
`owe_rendered`: rendered for Telegram, where staff work). When the sender delivers a forward it
records the staff message it became (store/outbox.py `_after`), so a staff reply to it routes
back to the asker on whichever channel they wrote from.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import fmt
from core.messages import STAFF, Notice
from store import identities as ident
from store import outbox as ob
from store.models import Handoff, User


async def forward(session: AsyncSession, handoff: Handoff) -> Notice:
    """The question as every staff member is owed it (once per hand-off and staff member)."""
    user = await session.get(User, handoff.user_id)
    telegram_id = await ident.telegram_id_of(session, user)
    if telegram_id is None and await ident.address_for(session, user, ident.WEB) is not None:
        shown: object = texts.WEB_CHANNEL  # staff see where the asker is, never a session id
    else:
        shown = telegram_id or "—"
    text = fmt(texts.HANDOFF_TO_STAFF, id=handoff.id, reason=texts.HANDOFF_REASONS.get(handoff.reason, handoff.reason),
               name=user.display_name or "—", telegram_id=shown, question=handoff.question, score=handoff.best_score)
    return Notice(text, STAFF, kind=ob.HANDOFF, ref=f"handoff:{handoff.id}", key=f"handoff:{handoff.id}")
