"""People and the addresses they reach tepai from.

A person is one `User` row; each channel they use adds an `Identity` (channel, external id):
a Telegram user id, a web visitor's signed session, … Everything in the store refers to the
person; only a channel's edge turns its own id into a person (`person_for`, once per update)
and a person back into an address when a message goes out (`address_for`).

External ids are kept as text: Telegram's are integers, a web session's are not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Identity, User, utcnow

TELEGRAM = "telegram"
WEB = "web"
TERMINAL = "terminal"
CHANNELS = (TELEGRAM, WEB, TERMINAL)


def external(external_id: int | str) -> str:
    """The stored form of a channel's id (Telegram's 12345 and "12345" are one person)."""
    text = str(external_id).strip()
    if not text or len(text) > 128:
        raise ValueError("an external id is 1-128 characters")
    return text


def person(channel: str, external_id: int | str, *, seen: datetime | None = None, **fields: object) -> User:
    """A new, unsaved person with one identity (`session.add` saves both). `seen`: when they last
    wrote from it — None for an address staff gave us."""
    user = User(**fields)
    user.identities = [Identity(channel=channel, external_id=external(external_id), created_at=utcnow(), last_seen=seen)]
    return user


async def identity_for(session: AsyncSession, channel: str, external_id: int | str) -> Identity | None:
    return await session.scalar(select(Identity).where(Identity.channel == channel,
                                                       Identity.external_id == external(external_id)))


async def person_for(session: AsyncSession, channel: str, external_id: int | str, create: bool = True) -> User | None:
    """The person behind a channel's id; with `create`, a new person (never heard from, not yet a
    bot user) if nobody has it. Two first contacts at once make one person: the loser of the
    race reads the winner's."""
    query = select(User).join(Identity, Identity.user_id == User.id).where(
        Identity.channel == channel, Identity.external_id == external(external_id))
    found = await session.scalar(query)
    if found is not None or not create:
        return found
    now = utcnow()
    user = person(channel, external_id, first_seen=now, last_seen=now)
    try:
        async with session.begin_nested():
            session.add(user)
        return user
    except IntegrityError:
        found = await session.scalar(query)
        if found is None:
            raise
        return found


async def person_ids_for(session: AsyncSession, channel: str, external_ids: Iterable[int | str],
                         create: bool = True) -> list[int]:
    """Person ids for several addresses (e.g. TEPAI_STAFF_IDS), each once, in the given order."""
    ids: list[int] = []
    for external_id in external_ids:
        found = await person_for(session, channel, external_id, create=create)
        if found is not None and found.id not in ids:
            ids.append(found.id)
    return ids


async def identities_of(session: AsyncSession, person: User | int) -> list[Identity]:
    """A person's identities, the most recently used first (never-used ones last)."""
    user_id = person if isinstance(person, int) else person.id
    rows = (await session.scalars(select(Identity).where(Identity.user_id == user_id).order_by(Identity.id))).all()
    return sorted(rows, key=lambda i: (i.last_seen is not None, i.last_seen, i.id),
                  reverse=True)


async def address_for(session: AsyncSession, person: User | int, channel: str | None = None) -> Identity | None:
    """Where to reach the person: their identity on `channel`, or (None) on the channel they
    wrote from last. None if they have no such identity."""
    for identity in await identities_of(session, person):
        if channel is None or identity.channel == channel:
            return identity
    return None


async def telegram_id_of(session: AsyncSession, person: User | int) -> int | None:
    """The person's Telegram user id, for the places that show it to staff or to Telegram."""
    identity = await address_for(session, person, TELEGRAM)
    return int(identity.external_id) if identity is not None else None


def shown_id(user: User) -> str:
    """How staff see who someone is in lists and exports: the Telegram id they know, else the
    channel's id. `user.identities` must be loaded (selectinload)."""
    ordered = sorted(user.identities, key=lambda i: (i.channel != TELEGRAM, i.id))
    if not ordered:
        return f"#{user.id}"
    first = ordered[0]
    return first.external_id if first.channel == TELEGRAM else f"{first.channel}:{first.external_id}"


async def seen(session: AsyncSession, channel: str, external_id: int | str) -> tuple[User, Identity]:
    """A message arrived from this address: its person (created on first contact), with the
    identity's last-seen refreshed."""
    found = await _person_and_identity(session, channel, external_id)
    if found is None:  # first contact; later messages cost this one query
        await person_for(session, channel, external_id)
        found = await _person_and_identity(session, channel, external_id)
    user, identity = found
    identity.last_seen = utcnow()
    return user, identity


async def _person_and_identity(session: AsyncSession, channel: str, external_id: int | str):  # type: ignore[no-untyped-def]
    return (await session.execute(select(User, Identity).join(Identity, Identity.user_id == User.id).where(
        Identity.channel == channel, Identity.external_id == external(external_id)))).first()
