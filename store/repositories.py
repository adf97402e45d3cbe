"""Repository functions: each takes a session and never commits (the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store import identities as ident
from store.models import ROLES, Handoff, HandoffForward, QaRecord, StaffGrant, User, utcnow

# -- users ---------------------------------------------------------------------------
# A person is reached through identities (store/identities.py); a channel's edge turns the id it
# has into a person here, once per update, and passes the person on.


async def get_user(session: AsyncSession, external_id: int | str, channel: str = ident.TELEGRAM) -> User | None:
    """The person behind a channel's id (a Telegram user id unless `channel` says otherwise)."""
    return await ident.person_for(session, channel, external_id, create=False)


async def touch_user(
    session: AsyncSession, external_id: int | str, display_name: str = "", username: str | None = None,
    language: str | None = None, channel: str = ident.TELEGRAM,
) -> User:
    """Someone wrote from this address: create the person on first contact; refresh name and
    last-seen; a message means reachable."""
    user, _ = await ident.seen(session, channel, external_id)
    now = utcnow()
    user.display_name = display_name[:200] or user.display_name
    user.username = username or user.username
    user.language = language or user.language
    user.last_seen = now
    if not user.reachable:
        user.reachable, user.blocked_at = True, None
    return user


async def is_active_specialist(session: AsyncSession, user_id: int) -> bool:
    from store.models import Specialist

    return await session.scalar(select(Specialist.id).where(Specialist.user_id == user_id,
                                                            Specialist.status == "active").limit(1)) is not None


async def set_role(session: AsyncSession, user_id: int, role: str) -> User | None:
    if role not in ROLES:
        raise ValueError(role)
    user = await session.get(User, user_id)
    if user is not None:
        user.role = role
    return user


async def mark_unreachable(session: AsyncSession, external_id: int | str, channel: str = ident.TELEGRAM) -> None:
    """The channel says this address refuses messages (Telegram: the person blocked the bot)."""
    user = await get_user(session, external_id, channel)
    if user is not None and user.reachable:
        user.reachable, user.blocked_at = False, utcnow()


# -- staff ---------------------------------------------------------------------------


async def add_staff(session: AsyncSession, user_id: int, note: str | None = None) -> bool:
    """True if newly added."""
    if await session.get(StaffGrant, user_id) is not None:
        return False
    session.add(StaffGrant(user_id=user_id, note=note))
    await session.flush()
    return True


async def remove_staff(session: AsyncSession, user_id: int) -> bool:
    grant = await session.get(StaffGrant, user_id)
    if grant is None:
        return False
    await session.delete(grant)
    await session.flush()
    return True


async def list_staff(session: AsyncSession) -> Sequence[StaffGrant]:
    return (await session.scalars(select(StaffGrant).order_by(StaffGrant.added_at))).all()


async def is_granted_staff(session: AsyncSession, user_id: int) -> bool:
    return await session.get(StaffGrant, user_id) is not None


# -- questions -----------------------------------------------------------------------


async def record_answer(
    session: AsyncSession, user: User, question: str, answered: bool, confidence: float, best_score: float,
    citations: list[dict], draft: bool,
) -> QaRecord:
    record = QaRecord(user_id=user.id, question=question, answered=answered, confidence=confidence,
                      best_score=best_score, citations=citations, draft=draft)
    session.add(record)
    await session.flush()
    return record


async def set_feedback(
    session: AsyncSession, qa_id: int, user_id: int, value: str,
) -> tuple[QaRecord, str | None] | None:
    """Store 👍/👎 on the asker's own answer: (record, the feedback it had before); None if not theirs."""
    record = await get_qa(session, qa_id, user_id)
    if record is None:
        return None
    previous = record.feedback
    record.feedback, record.feedback_at = value, utcnow()
    return record, previous


async def get_qa(session: AsyncSession, qa_id: int, user_id: int) -> QaRecord | None:
    return await session.scalar(select(QaRecord).where(QaRecord.id == qa_id, QaRecord.user_id == user_id))


# -- hand-offs to staff -----------------------------------------------------------------


async def open_handoff(
    session: AsyncSession, user: User, question: str, reason: str, best_score: float, qa_id: int | None,
) -> tuple[Handoff, bool]:
    """(handoff, created). One hand-off per answer: a second 转人工 press reuses it."""
    if qa_id is not None:
        existing = await session.scalar(select(Handoff).where(Handoff.qa_id == qa_id))
        if existing is not None:
            if reason == "requested" and existing.reason != "requested":
                existing.reason = "requested"
            return existing, False
    handoff = Handoff(user_id=user.id, question=question, reason=reason, best_score=best_score, qa_id=qa_id)
    session.add(handoff)
    await session.flush()
    return handoff, True


async def add_forward(session: AsyncSession, handoff_id: int, staff_chat_id: int, message_id: int) -> None:
    session.add(HandoffForward(handoff_id=handoff_id, staff_chat_id=staff_chat_id, message_id=message_id))


async def handoff_for_message(session: AsyncSession, staff_chat_id: int, message_id: int) -> Handoff | None:
    """The hand-off a staff member is replying to (by the forwarded message)."""
    return await session.scalar(
        select(Handoff)
        .join(HandoffForward)
        .where(HandoffForward.staff_chat_id == staff_chat_id, HandoffForward.message_id == message_id)
        .options(selectinload(Handoff.user))
    )


async def mark_replied(session: AsyncSession, handoff: Handoff, staff_id: int | None, text: str) -> None:
    """`staff_id`: the person who answered."""
    handoff.status, handoff.replied_by, handoff.replied_at, handoff.reply_text = "replied", staff_id, utcnow(), text


async def list_handoffs(
    session: AsyncSession, status: str | None = "open", limit: int | None = 20, since: datetime | None = None,
) -> Sequence[Handoff]:
    query = select(Handoff).options(selectinload(Handoff.user).selectinload(User.identities)) \
        .order_by(Handoff.created_at.desc())
    if status:
        query = query.where(Handoff.status == status)
    if since:
        query = query.where(Handoff.created_at >= since)
    if limit:
        query = query.limit(limit)
    return (await session.scalars(query)).all()


async def count_handoffs(session: AsyncSession, status: str = "open") -> int:
    return int(await session.scalar(select(func.count()).select_from(Handoff).where(Handoff.status == status)) or 0)
