"""Migration 0016 on SQLite and PostgreSQL: who composed a broadcast and who answered a
hand-off become people; an id tepai knew only from those columns gets a person; and back."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, insert, select

from store.db import downgrade, sync_url, upgrade

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
CLERK, OWNER, FORMER_STAFF = 900, 1001, 950  # the clerk and the owner wrote; the former colleague never did


def _tables(url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(sync_url(url))
    meta = MetaData()
    meta.reflect(engine)
    return engine, meta.tables


def _seed_0015(url: str) -> dict[str, int]:
    engine, t = _tables(url)
    ids: dict[str, int] = {}
    with engine.begin() as c:
        for key, tid, name in (("clerk", CLERK, "科技局张三"), ("owner", OWNER, "王总")):
            ids[key] = c.execute(insert(t["users"]).values(
                display_name=name, language="zh-hans", role="enterprise", reachable=True, first_seen=T0, last_seen=T0)
                .returning(t["users"].c.id)).scalar_one()
            c.execute(insert(t["identities"]).values(user_id=ids[key], channel="telegram", external_id=str(tid),
                                                     created_at=T0, last_seen=T0))
        for key, by in (("by_clerk", CLERK), ("by_former", FORMER_STAFF), ("from_cli", None)):
            ids[key] = c.execute(insert(t["broadcasts"]).values(
                created_by=by, text="申报通知", segment="all", status="done", created_at=T0)
                .returning(t["broadcasts"].c.id)).scalar_one()
        for key, by, status in (("replied", CLERK, "replied"), ("replied_former", FORMER_STAFF, "replied"),
                                ("open", None, "open")):
            ids[key] = c.execute(insert(t["handoffs"]).values(
                user_id=ids["owner"], question="公租房怎么申请？", reason="unanswered", best_score=0.1, status=status,
                replied_by=by, reply_text="请咨询住房保障部门。" if by else None, created_at=T0)
                .returning(t["handoffs"].c.id)).scalar_one()
    engine.dispose()
    return ids


def _read(url: str):  # type: ignore[no-untyped-def]
    engine, t = _tables(url)
    with engine.connect() as c:
        people = {int(row.external_id): row.user_id for row in c.execute(select(t["identities"])).all()}
        made = {row.id: row for row in c.execute(select(t["users"])).all()}
        broadcasts = {row.id: row.created_by for row in c.execute(select(t["broadcasts"])).all()}
        handoffs = {row.id: (row.replied_by, row.user_id) for row in c.execute(select(t["handoffs"])).all()}
    engine.dispose()
    return people, made, broadcasts, handoffs


async def test_staff_acts_point_at_people_after_0016_and_back_at_telegram_ids_after_downgrade(
        database_url: str) -> None:
    upgrade(database_url, "0015")
    ids = _seed_0015(database_url)
    upgrade(database_url)

    people, users, broadcasts, handoffs = _read(database_url)
    assert people[CLERK] == ids["clerk"] and people[OWNER] == ids["owner"]
    # The colleague who never wrote is now a person, never heard from, with that Telegram identity.
    assert FORMER_STAFF in people and people[FORMER_STAFF] not in (ids["clerk"], ids["owner"])
    assert users[people[FORMER_STAFF]].display_name == ""
    assert broadcasts == {ids["by_clerk"]: ids["clerk"], ids["by_former"]: people[FORMER_STAFF], ids["from_cli"]: None}
    assert handoffs == {ids["replied"]: (ids["clerk"], ids["owner"]),
                        ids["replied_former"]: (people[FORMER_STAFF], ids["owner"]),
                        ids["open"]: (None, ids["owner"])}
    upgrade(database_url)  # a second start changes nothing

    downgrade(database_url, "0015")
    _, _, broadcasts, handoffs = _read(database_url)
    assert broadcasts == {ids["by_clerk"]: CLERK, ids["by_former"]: FORMER_STAFF, ids["from_cli"]: None}
    assert handoffs == {ids["replied"]: (CLERK, ids["owner"]), ids["replied_former"]: (FORMER_STAFF, ids["owner"]),
                        ids["open"]: (None, ids["owner"])}
