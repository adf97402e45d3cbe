"""People and their channel identities, on SQLite and PostgreSQL: one person however many ways
they reach tepai, and messages addressed to the person go where they are."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from store import broadcasts as bc
from store import identities as ident
from store import outbox as ob
from store import repositories as repo
from store.db import Database
from store.models import Delivery, Identity, User, utcnow


@pytest.fixture
async def db(database_url: str):  # type: ignore[no-untyped-def]
    database = Database.open(database_url)
    yield database
    await database.close()


async def test_a_telegram_user_is_one_person_from_the_first_message_on(db: Database) -> None:
    async with db.session() as session, session.begin():
        assert await ident.person_for(session, ident.TELEGRAM, 5001, create=False) is None
        first = await repo.touch_user(session, 5001, "王总")
    async with db.session() as session, session.begin():
        again = await ident.person_for(session, ident.TELEGRAM, "5001")  # the same id, as text
        assert again.id == first.id
        assert [(i.channel, i.external_id) for i in await ident.identities_of(session, first)] == [("telegram", "5001")]
        assert await ident.telegram_id_of(session, first.id) == 5001
        assert await session.scalar(select(User.id).where(User.id != first.id)) is None


async def test_two_first_messages_at_once_make_one_person(db: Database) -> None:
    async def first_contact() -> int:
        async with db.session() as session, session.begin():
            return (await repo.touch_user(session, 5002, "李经理")).id

    ids = await asyncio.gather(*(first_contact() for _ in range(4)), return_exceptions=True)
    people = {i for i in ids if isinstance(i, int)}
    assert len(people) == 1
    async with db.session() as session:
        assert len((await session.scalars(select(Identity).where(Identity.external_id == "5002"))).all()) == 1


async def test_someone_staff_named_is_addressable_but_no_bot_user_until_they_write(db: Database) -> None:
    async with db.session() as session, session.begin():
        named = await ident.person_for(session, ident.TELEGRAM, 5003)  # e.g. `tepai staff add 5003`
        assert await ob.owe(session, named, "通知", kind=ob.NOTICE) is not None
        assert await bc.recipients(session, "all") == []  # never wrote: no announcements
    async with db.session() as session, session.begin():
        wrote = await repo.touch_user(session, 5003, "张三")
        assert wrote.id == named.id
        assert await bc.recipients(session, "all") == [named.id]


async def test_a_person_on_telegram_and_the_web_is_reached_where_they_wrote_last(db: Database) -> None:
    async with db.session() as session, session.begin():
        person = await repo.touch_user(session, 5004, "赵总")
        identity = Identity(user_id=person.id, channel=ident.WEB, external_id="visitor-7f3a",
                            created_at=utcnow(), last_seen=utcnow() + timedelta(seconds=5))
        session.add(identity)
    async with db.session() as session, session.begin():
        assert (await ident.address_for(session, person)).channel == ident.WEB
        assert (await ident.address_for(session, person, ident.TELEGRAM)).external_id == "5004"
        assert await ident.person_for(session, ident.WEB, "visitor-7f3a") is not None
        reply = await ob.owe(session, person.id, "答复", kind=ob.STAFF_REPLY)
        assert reply.identity_id == identity.id
        # The Telegram sender leaves a web row alone: it is not a Telegram chat.
        assert await ob.queued_direct(session, set(), 10) == []
        # Staff notices go to Telegram, where staff work.
        staff = await ob.owe_staff(session, [5004], "新问题")
        assert [(await session.get(Identity, d.identity_id)).channel for d in staff] == [ident.TELEGRAM]


async def test_one_announcement_per_person_however_many_telegram_accounts_they_have(db: Database) -> None:
    async with db.session() as session, session.begin():
        person = await repo.touch_user(session, 5005, "孙总")
        session.add(Identity(user_id=person.id, channel=ident.TELEGRAM, external_id="5006", created_at=utcnow(),
                             last_seen=utcnow() + timedelta(seconds=5)))
    async with db.session() as session, session.begin():
        broadcast, count = await bc.create(session, text="申报通知", segment="all")
        assert count == 1
    async with db.session() as session:
        rows = (await session.execute(select(Delivery.user_id, Identity.external_id)
                                      .join(Identity, Identity.id == Delivery.identity_id)
                                      .where(Delivery.broadcast_id == broadcast.id))).all()
        assert rows == [(person.id, "5006")]  # the account they wrote from last


async def test_an_external_id_must_be_something(db: Database) -> None:
    async with db.session() as session:
        for bad in ("", "   ", "x" * 129):
            with pytest.raises(ValueError):
                await ident.person_for(session, ident.WEB, bad)
