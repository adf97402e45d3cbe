"""Verified membership on SQLite and PostgreSQL: who an enterprise's private messages go to."""

from __future__ import annotations

from store import membership
from store.db import Database
from store.models import Enterprise, User


async def test_the_contact_exchange_goes_to_the_submitter_only_while_still_a_verified_member(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        async with db.session() as session, session.begin():
            founder, colleague, staff = (User(telegram_id=t, display_name=n) for t, n in
                                         ((11, "王经理"), (12, "李会计"), (13, "科技局")))
            session.add_all([founder, colleague, staff])
            await session.flush()
            enterprise = await membership.found(session, founder, "91370100MA3C5QXX1X", "济南智造科技有限公司")
            assert await membership.contact_member(session, enterprise.id, founder.id) is founder
            assert await membership.contact_member(session, enterprise.id, colleague.id) is founder  # not a member
            await membership._join(session, colleague, enterprise, "staff", staff)
            removed = await membership.remove_member(session, enterprise.id, founder.id, staff)
            assert removed.outcome == "approved"
            assert {n.chat_id for n in removed.notices} == {11, 12}
            assert await membership.contact_member(session, enterprise.id, founder.id) is colleague
            again = await membership.remove_member(session, enterprise.id, founder.id, staff)
            assert again.outcome == "stale"
            actions = [c.action for c, _ in await membership.history(session, enterprise.id)]
            assert actions == ["removed", "joined", "joined", "founded"]
            assert await session.get(Enterprise, enterprise.id) is not None
    finally:
        await db.close()
