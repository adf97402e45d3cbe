"""Who someone is to tepai: bureau staff, a specialist, or an enterprise user — decided in one place.

Staff are those configured (TEPAI_STAFF_IDS) plus those granted in the database; a specialist
is a person recorded as one, or an active specialist staff imported with their Telegram id (one
from their first /start); everyone else is an enterprise user.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from store import identities as ident
from store import repositories as repo
from store.models import User

STAFF = "staff"
SPECIALIST = "specialist"
ENTERPRISE = "enterprise"


async def is_staff(session: AsyncSession, person_id: int, configured_telegram_ids: Collection[int]) -> bool:
    """Configured staff are named by Telegram id (TEPAI_STAFF_IDS), granted staff by person."""
    if configured_telegram_ids and await ident.telegram_id_of(session, person_id) in configured_telegram_ids:
        return True
    return await repo.is_granted_staff(session, person_id)


async def role_of(session: AsyncSession, person_id: int, configured_telegram_ids: Collection[int]) -> str:
    if await is_staff(session, person_id, configured_telegram_ids):
        return STAFF
    user = await session.get(User, person_id)
    if user is not None and user.role != ENTERPRISE:
        return user.role
    # A specialist staff imported with a Telegram id is one from their first /start.
    if user is not None and await repo.is_active_specialist(session, person_id):
        return SPECIALIST
    return ENTERPRISE
