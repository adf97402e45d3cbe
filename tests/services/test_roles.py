"""Who someone is, decided for a person whatever channel they came from: configured staff are
named by Telegram id, granted staff by person, and a web visitor is never staff by accident."""

from __future__ import annotations

from services import roles
from store import identities as ident
from store import repositories as repo
from store.db import Database
from store.models import Specialist
from tests.people import person

CONFIGURED = frozenset({900})


async def test_configured_staff_are_known_by_their_telegram_identity(db: Database) -> None:
    async with db.session() as session, session.begin():
        staff = await person(session, 900)
        owner = await person(session, 11)
        assert await roles.role_of(session, staff.id, CONFIGURED) == roles.STAFF
        assert await roles.role_of(session, owner.id, CONFIGURED) == roles.ENTERPRISE
        assert not await roles.is_staff(session, owner.id, CONFIGURED)


async def test_a_grant_makes_the_person_staff_and_a_web_visitor_with_a_lookalike_id_is_not(db: Database) -> None:
    async with db.session() as session, session.begin():
        granted = await person(session, 12)
        await repo.add_staff(session, granted.id)
        # A web session id that spells a configured Telegram id is still only a web visitor.
        visitor = await ident.person_for(session, ident.WEB, "900")
        assert await roles.is_staff(session, granted.id, CONFIGURED)
        assert await roles.role_of(session, visitor.id, CONFIGURED) == roles.ENTERPRISE


async def test_an_active_specialist_imported_for_a_person_is_one_from_their_first_message(db: Database) -> None:
    async with db.session() as session, session.begin():
        expert = await person(session, 13)
        session.add(Specialist(name="张教授", institution="山东大学", field="新材料", expertise="材料", status="active",
                               user_id=expert.id))
        await session.flush()
        assert await roles.role_of(session, expert.id, CONFIGURED) == roles.SPECIALIST
