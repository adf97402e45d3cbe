"""Who someone is to tepai: bureau staff, a specialist, or an enterprise user — decided in one place.

Staff are those configured (TEPAI_STAFF_IDS) plus those granted in the database; a specialist
is a user recorded as one, or an active specialist staff imported with this Telegram id (one
from their first /start); everyone else is an enterprise user.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from store import repositories as repo

STAFF = "staff"
SPECIALIST = "specialist"
ENTERPRISE = "enterprise"


async def is_staff(session: AsyncSession, telegram_id: int, configured: Collection[int]) -> bool:
    return telegram_id in configured or await repo.is_granted_staff(session, telegram_id)


async def role_of(session: AsyncSession, telegram_id: int, configured: Collection[int]) -> str:
    if await is_staff(session, telegram_id, configured):
        return STAFF
    user = await repo.get_user(session, telegram_id)
    if user is not None and user.role != ENTERPRISE:
        return user.role
    if await repo.is_active_specialist(session, telegram_id):
        return SPECIALIST
    return ENTERPRISE
