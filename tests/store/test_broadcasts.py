"""Broadcast segments, times and delivery rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from store import broadcasts as bc
from store import identities as ident
from store import survey
from store.db import Database
from store.models import (
    Broadcast, Delivery, Engagement, Enterprise, EnterpriseMember, Specialist, StaffGrant, Submission, User,
)
from store.validators import ValidationError


async def seed(db: Database) -> None:
    """Users 1–6: 1,2 members of 甲 (历下区, 电子信息, submitted, matched); 3 member of 乙 (章丘区,
    新材料, submitted, not matched); 4 an enterprise user who never surveyed; 5 a specialist;
    6 blocked the bot; 7 staff (granted)."""
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        users = {}
        for n in range(1, 8):
            users[n] = ident.person(ident.TELEGRAM, n, seen=bc.utcnow(), display_name=f"u{n}", reachable=n != 6,
                                    role="specialist" if n == 5 else "enterprise")
            session.add(users[n])
        await session.flush()
        session.add(StaffGrant(user_id=users[7].id))
        jia, yi = Enterprise(credit_code="A" * 18, name="甲", district="历下区"), Enterprise(credit_code="B" * 18,
                                                                                         name="乙", district="章丘区")
        session.add_all([jia, yi])
        await session.flush()
        for n, enterprise in ((1, jia), (2, jia), (3, yi), (6, jia)):
            session.add(EnterpriseMember(user_id=users[n].id, enterprise_id=enterprise.id))
        for enterprise, field in ((jia, "电子信息"), (yi, "新材料")):
            session.add(Submission(enterprise_id=enterprise.id, campaign_year=2026, answers={"field": field},
                                   submitted_by=users[1].id))
        specialist = Specialist(name="李", institution="山大", field="电子信息", expertise="传感器", user_id=users[5].id,
                                status="active")
        session.add(specialist)
        await session.flush()
        session.add(Engagement(campaign_year=2026, enterprise_id=jia.id, specialist_id=specialist.id, status="proposed"))


async def telegram_ids(session, people: list[int]) -> list[int]:  # type: ignore[no-untyped-def]
    """Recipients are people; the seed names them by their Telegram ids."""
    return sorted([await ident.telegram_id_of(session, p) for p in people])


@pytest.mark.parametrize(("segment", "expected"), [
    ("all", [1, 2, 3, 4, 5, 7]),
    ("enterprises", [1, 2, 3, 4]),
    ("specialists", [5]),
    ("district:历下区", [1, 2]),
    ("field:新材料", [3]),
    ("unsubmitted", [4]),
    ("matched", [1, 2]),
    ("unmatched", [3]),
])
async def test_each_segment_reaches_its_people_once_and_never_the_blocked(db: Database, segment: str,
                                                                          expected: list[int]) -> None:
    await seed(db)
    async with db.session() as session:
        assert await telegram_ids(session, await bc.recipients(session, bc.parse_segment(segment), 2026)) == expected


async def test_staff_from_the_settings_are_no_enterprise(db: Database) -> None:
    await seed(db)
    async with db.session() as session:
        assert await telegram_ids(session, await bc.recipients(session, "enterprises", 2026, staff=frozenset({4}))) \
            == [1, 2, 3]


def test_segments_parse_in_english_or_chinese_and_bad_ones_are_explained() -> None:
    assert bc.parse_segment("ENTERPRISES") == "enterprises"
    assert bc.parse_segment("科技特派员") == "specialists"
    assert bc.parse_segment("区县：历下区") == "district:历下区"
    assert bc.parse_segment("章丘区") == "district:章丘区"
    assert bc.parse_segment("field: 电子信息") == "field:电子信息"
    for bad in ("", "district:火星区", "everyone!!", "<script>"):
        with pytest.raises(ValidationError):
            bc.parse_segment(bad)


def test_times_are_beijing_and_in_the_future() -> None:
    now = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
    assert bc.parse_time("2026-12-01 09:00", now) == datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)
    assert bc.parse_time("12-01 09:30", now) == datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)
    assert bc.parse_time("11:00", now) == datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # later today
    assert bc.parse_time("09：00", now) == datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)  # tomorrow
    for bad in ("明天", "2026-11-25 09:00", "2028-01-01 09:00", "", "25:00"):
        with pytest.raises(ValidationError):
            bc.parse_time(bad, now)


def test_text_limits() -> None:
    assert bc.check_text("  <b>通知</b>  ", with_document=False) == "<b>通知</b>"
    with pytest.raises(ValidationError):
        bc.check_text(" \n ", with_document=False)
    with pytest.raises(ValidationError):
        bc.check_text("字" * 1025, with_document=True)
    for control in ("a\x00b", "响铃\x07", "退格\x08", "\x1b[31m红"):
        with pytest.raises(ValidationError):
            bc.check_text(control, with_document=False)
    assert bc.check_text("第一行\n\t第二行 😀", with_document=False) == "第一行\n\t第二行 😀"
    assert bc.check_text("字" * 4096, with_document=False)


async def test_rows_are_written_together_and_a_campaign_segment_needs_a_campaign(db: Database) -> None:
    await seed(db)
    async with db.session() as session, session.begin():
        broadcast, count = await bc.create(session, text="通知", segment="all")
    assert count == 6 and broadcast.status == "queued"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 6
    async with db.session() as session, session.begin():
        later, count = await bc.create(session, text="通知", segment="matched",
                                       scheduled_at=datetime.now(timezone.utc) + timedelta(hours=1))
    assert later.status == "scheduled" and count == 2
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)
                                    .where(Delivery.broadcast_id == later.id)) == 0  # written when due


async def test_claims_are_exclusive_and_a_crash_never_resends(db: Database) -> None:
    await seed(db)
    async with db.session() as session, session.begin():
        broadcast, _ = await bc.create(session, text="通知", segment="enterprises")
    async with db.session() as session, session.begin():
        rows = await bc.queued_page(session, broadcast.id, 0, 10)
        assert await bc.claim(session, rows[0][0]) == 1
        assert await bc.claim(session, rows[0][0]) is None  # a second sender cannot take it
        await bc.claim(session, rows[1][0])
        await bc.settle(session, rows[1][0], "sent", message_id=42)
    async with db.session() as session, session.begin():
        assert await bc.recover(session) == 1  # rows[0] was mid-send
    async with db.session() as session:
        statuses = dict((await session.execute(select(Delivery.id, Delivery.status))).all())
        progress = await bc.progress(session, await session.get(Broadcast, broadcast.id))
    assert statuses[rows[0][0]] == "failed" and statuses[rows[1][0]] == "sent"
    assert (progress.sent, progress.failed, progress.interrupted, progress.remaining) == (1, 1, 1, 2)


async def test_cancel_stops_what_is_queued_and_keeps_what_was_sent(db: Database) -> None:
    await seed(db)
    async with db.session() as session, session.begin():
        broadcast, _ = await bc.create(session, text="通知", segment="all")
        first = (await bc.queued_page(session, broadcast.id, 0, 1))[0][0]
        await bc.claim(session, first)
        await bc.settle(session, first, "sent", message_id=1)
    async with db.session() as session, session.begin():
        _, changed, stopped = await bc.cancel(session, broadcast.id)
        assert changed and stopped == 5
    async with db.session() as session, session.begin():
        again, changed, stopped = await bc.cancel(session, broadcast.id)
        assert not changed and stopped == 0 and again.status == "cancelled"
        progress = await bc.progress(session, again)
    assert (progress.sent, progress.cancelled, progress.remaining) == (1, 5, 0)


async def test_a_due_scheduled_broadcast_is_queued_with_its_rows(db: Database) -> None:
    await seed(db)
    async with db.session() as session, session.begin():
        broadcast, _ = await bc.create(session, text="通知", segment="specialists",
                                       scheduled_at=datetime.now(timezone.utc) + timedelta(minutes=5))
    async with db.session() as session, session.begin():
        assert await bc.next_due(session) is None
    async with db.session() as session, session.begin():
        due = await bc.next_due(session, now=datetime.now(timezone.utc) + timedelta(minutes=6))
        assert due is not None and due.id == broadcast.id and due.status == "queued"
    async with db.session() as session:
        assert [t for _, t in await bc.queued_page(session, broadcast.id, 0, 10)] == [5]


async def test_staff_may_resend_what_a_crash_caught_mid_send(db: Database) -> None:
    await seed(db)
    async with db.session() as session, session.begin():
        broadcast, _ = await bc.create(session, text="通知", segment="specialists")
        (row,) = await bc.queued_page(session, broadcast.id, 0, 10)
        await bc.claim(session, row[0])
    async with db.session() as session, session.begin():
        await bc.recover(session)
        assert (await bc.finish(session, broadcast.id)).status == "done"
    async with db.session() as session, session.begin():
        again, count = await bc.resend_interrupted(session, broadcast.id)
        assert count == 1 and again.status == "queued"
    async with db.session() as session, session.begin():
        assert (await bc.resend_interrupted(session, broadcast.id))[1] == 0  # nothing left to resend
        assert [t for _, t in await bc.queued_page(session, broadcast.id, 0, 10)] == [5]
