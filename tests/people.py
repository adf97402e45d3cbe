"""People in tests, named by their Telegram ids as the bot's users know each other."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from store import identities as ident
from store.models import Delivery, User, utcnow

# Load a delivery's address with it: `chat(row)` reads the Telegram chat it went to.
WITH_CHAT = selectinload(Delivery.identity)


def telegram_user(telegram_id: int, **fields: object) -> User:
    """A new (unsaved) person who has written to the bot from this Telegram id."""
    return ident.person(ident.TELEGRAM, telegram_id, seen=utcnow(), **fields)


async def person(session, telegram_id: int) -> User:  # type: ignore[no-untyped-def]
    """The person behind a Telegram id (one who never wrote is made, as staff naming them would)."""
    return await ident.person_for(session, ident.TELEGRAM, telegram_id)


def chat(delivery: Delivery) -> int:
    return int(delivery.identity.external_id)


async def telegram_of(session, user_id: int | None) -> int | None:  # type: ignore[no-untyped-def]
    """The Telegram id of a person (None for nobody)."""
    return await ident.telegram_id_of(session, user_id) if user_id is not None else None
