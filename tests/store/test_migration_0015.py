"""Migration 0015 on SQLite and PostgreSQL: a database from before people had identities comes
through with every row meaning what it meant — each Telegram id a person's identity, staff
grants, deliveries and specialists pointing at the same people."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import MetaData, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from store import broadcasts as bc
from store import identities as ident
from store.db import Database, sync_url, upgrade

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)

# Telegram ids: three people who wrote to the bot, and three tepai only heard of from staff.
OWNER, EXPERT, CLERK = 1001, 1002, 1003
GRANTED_ONLY, IMPORTED_ONLY, ENV_STAFF = 2001, 3001, 4001


def _tables(engine):  # type: ignore[no-untyped-def]
    meta = MetaData()
    meta.reflect(engine)
    return meta.tables


def _seed_0014(url: str) -> dict[str, int]:
    """What a 0014 database holds: users, their answers and a hand-off, staff grants (one for an
    id that never wrote), specialists (one imported with an id that never wrote), a broadcast's
    rows and owed messages with their report addresses."""
    engine = create_engine(sync_url(url))
    t = _tables(engine)
    ids: dict[str, int] = {}
    with engine.begin() as c:
        for key, tid, name, role, reachable, seen in (
                ("owner", OWNER, "王总", "enterprise", True, T0), ("expert", EXPERT, "李教授", "specialist", True,
                                                                   T0 + timedelta(hours=1)),
                ("clerk", CLERK, "科技局张三", "enterprise", False, T0 + timedelta(hours=2))):
            ids[key] = c.execute(insert(t["users"]).values(
                telegram_id=tid, display_name=name, username=None, language="zh-hans", role=role, reachable=reachable,
                blocked_at=None if reachable else seen, first_seen=T0 - timedelta(days=3), last_seen=seen)
                .returning(t["users"].c.id)).scalar_one()
        ids["qa"] = c.execute(insert(t["qa_records"]).values(
            user_id=ids["owner"], question="研发费用加计扣除比例？", answered=False, confidence=0.1, best_score=0.1,
            citations=[], draft=False, created_at=T0).returning(t["qa_records"].c.id)).scalar_one()
        ids["handoff"] = c.execute(insert(t["handoffs"]).values(
            user_id=ids["owner"], qa_id=ids["qa"], question="研发费用加计扣除比例？", reason="unanswered", best_score=0.1,
            status="open", created_at=T0).returning(t["handoffs"].c.id)).scalar_one()
        c.execute(insert(t["staff_grants"]), [
            {"telegram_id": CLERK, "added_at": T0, "note": "科技局 张三"},
            {"telegram_id": GRANTED_ONLY, "added_at": T0 + timedelta(minutes=5), "note": "新同事"}])
        for key, tid, status in (("registered", EXPERT, "active"), ("imported", IMPORTED_ONLY, "active"),
                                 ("no_telegram", None, "pending")):
            ids[key] = c.execute(insert(t["specialists"]).values(
                external_id=f"S-{key}", name=key, institution="山东大学", field="电子信息", expertise="传感器",
                capacity=1, telegram_id=tid, districts=[], status=status, source="import", created_at=T0,
                updated_at=T0).returning(t["specialists"].c.id)).scalar_one()
        ids["broadcast"] = c.execute(insert(t["broadcasts"]).values(
            created_by=CLERK, text="申报通知", segment="all", status="sending", created_at=T0)
            .returning(t["broadcasts"].c.id)).scalar_one()
        rows = [
            ("to_owner", dict(broadcast_id=ids["broadcast"], telegram_id=OWNER, status="sent", message_id=77,
                              kind="broadcast")),
            ("to_expert", dict(broadcast_id=ids["broadcast"], telegram_id=EXPERT, status="queued", kind="broadcast")),
            # a hand-off forward to an env staff chat that never wrote; failures reported to the clerk
            ("forward", dict(broadcast_id=None, telegram_id=ENV_STAFF, status="queued", kind="handoff",
                             text="新问题", parse_mode="HTML", ref=f"handoff:{ids['handoff']}",
                             key=f"handoff:{ids['handoff']}:{ENV_STAFF}", report_to=CLERK)),
            # an invitation to the imported specialist, its batch reported to the env staff chat
            ("invitation", dict(broadcast_id=None, telegram_id=IMPORTED_ONLY, status="failed", error="interrupted",
                                kind="invitation", text="邀请", buttons=[[["接受", "en:a:1"]]], batch="assign:2026:1",
                                report_to=ENV_STAFF)),
        ]
        for key, values in rows:
            ids[key] = c.execute(insert(t["deliveries"]).values(attempts=1, updated_at=T0, created_at=T0, **values)
                                 .returning(t["deliveries"].c.id)).scalar_one()
    engine.dispose()
    return ids


async def test_every_row_keeps_its_meaning_through_0015(database_url: str) -> None:
    upgrade(database_url, "0014")
    before = _seed_0014(database_url)
    upgrade(database_url)

    engine = create_engine(sync_url(database_url))
    t = _tables(engine)
    with engine.connect() as c:
        identities = {row.external_id: row for row in c.execute(select(t["identities"])).all()}
        users = {row.id: row for row in c.execute(select(t["users"])).all()}
        person = {int(external_id): row.user_id for external_id, row in identities.items()}
        grants = {row.user_id: row for row in c.execute(select(t["staff_grants"])).all()}
        specialists = {row.id: row for row in c.execute(select(t["specialists"])).all()}
        deliveries = {row.id: row for row in c.execute(select(t["deliveries"])).all()}
        handoff = c.execute(select(t["handoffs"])).one()
    engine.dispose()

    # Every Telegram id is one identity, each on the Telegram channel; people who wrote keep their row and id.
    assert set(person) == {OWNER, EXPERT, CLERK, GRANTED_ONLY, IMPORTED_ONLY, ENV_STAFF}
    assert {row.channel for row in identities.values()} == {ident.TELEGRAM}
    assert (person[OWNER], person[EXPERT], person[CLERK]) == (before["owner"], before["expert"], before["clerk"])
    assert users[before["owner"]].display_name == "王总" and users[before["expert"]].role == "specialist"
    assert not users[before["clerk"]].reachable
    # Heard from when last seen; those only staff named were never heard from, and get a bare person.
    for tid, key in ((OWNER, "owner"), (EXPERT, "expert"), (CLERK, "clerk")):
        assert _utc(identities[str(tid)].last_seen) == _utc(users[before[key]].last_seen)
    for tid in (GRANTED_ONLY, IMPORTED_ONLY, ENV_STAFF):
        assert identities[str(tid)].last_seen is None
        assert users[person[tid]].display_name == "" and users[person[tid]].role == "enterprise"
    assert len(users) == 6
    assert handoff.user_id == before["owner"]

    # Staff rights belong to the same people, with who noted them and when.
    assert set(grants) == {person[CLERK], person[GRANTED_ONLY]}
    assert grants[person[CLERK]].note == "科技局 张三" and _utc(grants[person[CLERK]].added_at) == T0
    assert grants[person[GRANTED_ONLY]].note == "新同事"

    # Specialists are linked to the person their Telegram id was.
    assert specialists[before["registered"]].user_id == person[EXPERT]
    assert specialists[before["imported"]].user_id == person[IMPORTED_ONLY]
    assert specialists[before["no_telegram"]].user_id is None

    # Deliveries: the same rows, to the same person at the same Telegram chat, reporting to the same person.
    def addressed(key: str) -> tuple[int, str]:
        row = deliveries[before[key]]
        chat = next(i.external_id for i in identities.values() if i.id == row.identity_id)
        return row.user_id, chat

    assert addressed("to_owner") == (person[OWNER], str(OWNER))
    assert addressed("to_expert") == (person[EXPERT], str(EXPERT))
    assert addressed("forward") == (person[ENV_STAFF], str(ENV_STAFF))
    assert addressed("invitation") == (person[IMPORTED_ONLY], str(IMPORTED_ONLY))
    assert deliveries[before["forward"]].report_to == person[CLERK]
    assert deliveries[before["invitation"]].report_to == person[ENV_STAFF]
    assert deliveries[before["to_owner"]].report_to is None
    assert (deliveries[before["to_owner"]].status, deliveries[before["to_owner"]].message_id) == ("sent", 77)
    assert deliveries[before["invitation"]].error == "interrupted"
    assert deliveries[before["invitation"]].buttons == [[["接受", "en:a:1"]]]
    assert deliveries[before["forward"]].key == f"handoff:{before['handoff']}:{ENV_STAFF}"

    db = Database.open(database_url)
    try:
        async with db.session() as session:
            # The Telegram sender finds the queued rows at the chats they were owed to.
            assert await bc.queued_page(session, before["broadcast"], 0, 50) == [(before["to_expert"], EXPERT)]
            from store import outbox as ob

            assert await ob.queued_direct(session, set(), 50) == [(before["forward"], ENV_STAFF, None)]
            # An announcement still reaches exactly those who wrote to the bot and can be reached:
            # nobody only staff named (the clerk blocked the bot).
            assert sorted(await bc.recipients(session, "all")) == sorted([person[OWNER], person[EXPERT]])
        # Still one delivery per person per broadcast.
        with pytest.raises(IntegrityError):
            async with db.session() as session, session.begin():
                from store.models import Delivery

                session.add(Delivery(broadcast_id=before["broadcast"], user_id=person[OWNER],
                                     identity_id=identities[str(OWNER)].id, status="queued", attempts=0))
    finally:
        await db.close()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _rows_0014(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(sync_url(url))
    t = _tables(engine)
    columns = {"users": ("id", "telegram_id", "display_name", "role", "reachable"),
               "staff_grants": ("telegram_id", "note"), "specialists": ("id", "telegram_id", "status"),
               "deliveries": ("id", "broadcast_id", "telegram_id", "report_to", "status", "key")}
    with engine.connect() as c:
        rows = {name: sorted(tuple(r) for r in c.execute(select(*(t[name].c[k] for k in keys))).all())
                for name, keys in columns.items()}
    engine.dispose()
    return rows


async def test_downgrading_0015_gives_back_the_database_it_upgraded(database_url: str) -> None:
    from store.db import downgrade

    upgrade(database_url, "0014")
    _seed_0014(database_url)
    before = _rows_0014(database_url)
    upgrade(database_url)
    downgrade(database_url, "0014")
    assert _rows_0014(database_url) == before  # the people only staff named are no users again
    upgrade(database_url)  # and up once more
