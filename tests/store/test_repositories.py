"""The store on SQLite and PostgreSQL: migrations, users, staff, answers, hand-offs."""

from __future__ import annotations

from sqlalchemy import inspect

from store import identities as ident
from store import repositories as repo
from store.db import Database, sync_url, upgrade


async def test_migrations_create_the_schema_and_are_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)  # a second start changes nothing
    from sqlalchemy import create_engine

    engine = create_engine(sync_url(database_url))
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"users", "staff_grants", "qa_records", "handoffs", "handoff_forwards", "alembic_version"} <= tables


async def test_first_contact_creates_a_user_and_later_ones_refresh_it(db: Database) -> None:
    async with db.session() as session, session.begin():
        user = await repo.touch_user(session, 1001, "王总", "wang", "zh-hans")
        assert user.id and user.role == "enterprise" and user.reachable
    async with db.session() as session, session.begin():
        await repo.mark_unreachable(session, 1001)
    async with db.session() as session, session.begin():
        assert not (await repo.get_user(session, 1001)).reachable
        again = await repo.touch_user(session, 1001, "王经理")
        assert again.id == user.id and again.reachable and again.display_name == "王经理"
        assert again.username == "wang" and again.last_seen >= user.first_seen


async def test_staff_grants(db: Database) -> None:
    async with db.session() as session, session.begin():
        person = await ident.person_for(session, ident.TELEGRAM, 42)  # named by staff, never wrote
        assert await repo.add_staff(session, person.id, "科技局 张三")
        assert not await repo.add_staff(session, person.id)
    async with db.session() as session, session.begin():
        assert await repo.is_granted_staff(session, person.id)
        assert [g.user_id for g in await repo.list_staff(session)] == [person.id]
        assert await repo.remove_staff(session, person.id) and not await repo.remove_staff(session, person.id)
    async with db.session() as session:
        assert not await repo.is_granted_staff(session, person.id)


async def test_feedback_is_stored_only_on_the_askers_own_answer(db: Database) -> None:
    async with db.session() as session, session.begin():
        owner = await repo.touch_user(session, 7, "企业甲")
        other = await repo.touch_user(session, 8, "企业乙")
        record = await repo.record_answer(session, owner, "补助？", True, 0.8, 0.7,
                                          [{"doc": "方案", "section": "一、", "text": "条款", "score": 0.7}], True)
    async with db.session() as session, session.begin():
        assert await repo.set_feedback(session, record.id, other.id, "down") is None
        updated, previous = await repo.set_feedback(session, record.id, owner.id, "down")
        assert updated.feedback == "down" and previous is None
    async with db.session() as session:
        stored = await repo.get_qa(session, record.id, owner.id)
        assert stored.feedback == "down" and stored.citations[0]["text"] == "条款" and stored.draft


async def test_handoff_is_found_from_the_forwarded_message_and_reused(db: Database) -> None:
    async with db.session() as session, session.begin():
        asker = await repo.touch_user(session, 7, "企业甲")
        record = await repo.record_answer(session, asker, "公租房？", False, 0.1, 0.1, [], False)
        handoff, created = await repo.open_handoff(session, asker, "公租房？", "unanswered", 0.1, record.id)
        assert created
        await repo.add_forward(session, handoff.id, staff_chat_id=900, message_id=55)
        again, created_again = await repo.open_handoff(session, asker, "公租房？", "requested", 0.1, record.id)
        assert not created_again and again.id == handoff.id and again.reason == "requested"
    async with db.session() as session, session.begin():
        found = await repo.handoff_for_message(session, 900, 55)
        assert found is not None and found.user.id == asker.id
        assert await repo.handoff_for_message(session, 900, 56) is None
        assert await repo.count_handoffs(session) == 1
        staff = await ident.person_for(session, ident.TELEGRAM, 900)
        await repo.mark_replied(session, found, staff.id, "请拨打12345咨询。")
    async with db.session() as session:
        assert await repo.count_handoffs(session) == 0
        replied = await repo.list_handoffs(session, status="replied")
        assert replied[0].reply_text == "请拨打12345咨询。" and replied[0].user.display_name == "企业甲"
        assert await ident.telegram_id_of(session, replied[0].replied_by) == 900  # who answered: a person


async def test_the_migrations_build_exactly_the_models_schema(database_url: str) -> None:
    """Every model change comes with its migration: autogenerate finds nothing left to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from store.models import Base

    upgrade(database_url)
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diffs == []


async def test_a_moment_reads_back_as_the_same_instant_aware_in_utc(db: Database) -> None:
    """SQLite keeps no time zone: a moment given in Beijing time must not come back as Beijing
    wall-clock time read as UTC, nor naive (comparing that with now() raises)."""
    from datetime import datetime, timedelta, timezone

    from store.clock import BEIJING
    from store.models import User, utcnow

    nine_in_beijing = datetime(2026, 3, 2, 9, 0, tzinfo=BEIJING)
    async with db.session() as session, session.begin():
        user = await repo.touch_user(session, 1002, "李总")
        user.blocked_at = nine_in_beijing
        user_id = user.id
    async with db.session() as session:
        back = await session.get(User, user_id)
        assert back.blocked_at == nine_in_beijing and back.blocked_at.utcoffset() == timedelta(0)
        assert back.blocked_at.hour == 1 and back.last_seen.tzinfo is not None
        assert back.first_seen <= utcnow()
        assert back.blocked_at.astimezone(timezone.utc) == datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
