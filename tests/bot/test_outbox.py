"""Messages the bot owes other people: durable rows, one sender at a time, nobody's rows stolen."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select
from telegram.ext import ExtBot

from bot.broadcaster import Broadcaster
from bot.emulator import BotApiEmulator
from bot.ratelimit import PacedRateLimiter
from store import broadcasts as bc
from store import outbox as ob
from store.db import Database
from store.models import Delivery
from tests.people import WITH_CHAT, chat, person, telegram_user


async def until(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def rows(db: Database) -> list[Delivery]:
    async with db.session() as session:
        return list((await session.scalars(select(Delivery).options(WITH_CHAT).order_by(Delivery.id))).all())


async def test_a_message_is_owed_only_if_the_decision_commits_and_only_once_per_key(db: Database) -> None:
    async with db.session() as session:
        async with session.begin():
            await ob.owe(session, await person(session, 501), "这条随决定一起回滚", kind=ob.NOTICE)
            await session.rollback()
    async with db.session() as session, session.begin():
        first = await ob.owe(session, await person(session, 502), "邀请", kind=ob.INVITATION, key="invite:1",
                             buttons=[[("接受", "en:a:1"), ("婉拒", "en:d:1")]])
    async with db.session() as session, session.begin():
        again = await ob.owe(session, await person(session, 502), "邀请", kind=ob.INVITATION, key="invite:1")
    stored = await rows(db)
    assert [(chat(r), r.status) for r in stored] == [(502, "queued")]
    assert again.id == first.id and stored[0].buttons == [[["接受", "en:a:1"], ["婉拒", "en:d:1"]]]


async def test_only_the_lease_holder_claims_and_a_new_holder_recovers_only_a_gone_holders_rows(db: Database) -> None:
    async with db.session() as session, session.begin():
        owed = [await ob.owe(session, await person(session, 600 + n), f"通知 {n}", kind=ob.NOTICE) for n in range(3)]
    first, second = "host-a:1:aaa", "host-b:2:bbb"  # other hosts: only the lease's expiry speaks for them
    async with db.session() as session, session.begin():
        assert await ob.hold_lease(session, first, ttl=60) == (True, True)
    async with db.session() as session, session.begin():
        assert await ob.claim(session, owed[0].id, first) == 1  # first's request is on the wire
    async with db.session() as session, session.begin():
        assert await ob.hold_lease(session, second, ttl=60) == (False, False)  # first is alive
        assert await ob.claim(session, owed[1].id, second) is None  # no lease, no claim
    assert [r.status for r in await rows(db)] == ["sending", "queued", "queued"]

    # first's lease runs out (its process hung or died): second takes over and recovers its row
    async with db.session() as session, session.begin():
        holder = await ob.lease_holder(session)
        holder.expires_at = ob.utcnow()
    async with db.session() as session, session.begin():
        assert await ob.hold_lease(session, second, ttl=60) == (True, True)
        assert await ob.recover(session, second) == 1
    async with db.session() as session, session.begin():
        assert await ob.claim(session, owed[1].id, first) is None  # first woke up: fenced off
        # ... but its answer for the row it had sent still counts: it was delivered after all
        assert await ob.settle(session, owed[0].id, "sent", 77, owner=first) is not None
    stored = await rows(db)
    assert [(r.status, r.error, r.message_id) for r in stored] == [("sent", None, 77), ("queued", None, None),
                                                                  ("queued", None, None)]


async def test_a_batch_whose_last_rows_settled_at_once_is_still_reported_once(db: Database) -> None:
    from sqlalchemy import update

    async with db.session() as session, session.begin():
        for chat_id in (801, 802):
            await ob.owe(session, await person(session, chat_id), "邀请", kind=ob.INVITATION, batch="assign:2026:1",
                         report_to=(await person(session, 900)).id)
    async with db.session() as session, session.begin():  # two workers' answers, neither saw the other's
        await session.execute(update(Delivery).values(status="sent", sent_at=ob.utcnow()))
    for _ in range(2):
        async with db.session() as session, session.begin():
            await ob.report_finished_batches(session)
    reports = [r for r in await rows(db) if r.kind == ob.REPORT]
    assert [(chat(r), r.status) for r in reports] == [(900, "queued")]
    assert "共 2 份，已送达 2" in reports[0].text


async def test_two_senders_on_one_database_send_each_owed_message_once_and_interrupt_nothing(db: Database) -> None:
    """Two bot processes' senders: the second starts while the first is mid-send."""
    ids = list(range(7100, 7160))
    async with BotApiEmulator() as emu:
        async with db.session() as session, session.begin():
            for telegram_id in ids:
                session.add(telegram_user(telegram_id, display_name=""))
                emu.add_user(telegram_id)
            broadcast, _ = await bc.create(session, text="通知", segment="all")
            for telegram_id in ids[:20]:
                await ob.owe(session, await person(session, telegram_id), f"给 {telegram_id} 的邀请", kind=ob.INVITATION)
        bots = [ExtBot(emu.token, base_url=emu.base_url, rate_limiter=PacedRateLimiter()) for _ in range(2)]
        for b in bots:
            await b.initialize()
        first = Broadcaster(bots[0], db, lease_seconds=2.0, heartbeat=0.2)
        second = Broadcaster(bots[1], db, lease_seconds=2.0, heartbeat=0.2)
        try:
            await first.start()
            await until(lambda: _sent_at_least(db, 10))
            await second.start()  # its start-up must not touch the first's in-flight rows
            await until(lambda: _all_settled(db))
            assert first.held and not second.held and second.recovered == 0
            async with db.session() as session:
                progress = await bc.progress(session, await session.get(type(broadcast), broadcast.id))

            # the first stops cleanly: the second takes over and sends what is owed next
            await first.stop()
            async with db.session() as session, session.begin():
                later = await ob.owe(session, await person(session, ids[0]), "交接后的通知", kind=ob.NOTICE)
            await until(lambda: _status(db, later.id, "sent"), timeout=10)
            assert second.held and second.recovered == 0
        finally:
            await first.stop()
            await second.stop()
            for b in bots:
                await b.shutdown()
        received = Counter({t: len(emu.messages(t)) for t in ids})
        stored = await rows(db)
    assert progress.interrupted == 0 and progress.sent == len(ids)
    assert all(r.status == "sent" and r.error is None for r in stored)
    assert received[ids[0]] == 3 and all(received[t] == 2 for t in ids[1:20]) and all(received[t] == 1 for t in ids[20:])
    assert {r.owner for r in stored if r.broadcast_id is None and r.id != later.id} == {first.owner}
    assert next(r for r in stored if r.id == later.id).owner == second.owner


async def _sent_at_least(db: Database, count: int) -> bool:
    return sum(r.status == "sent" for r in await rows(db)) >= count


async def _all_settled(db: Database) -> bool:
    return all(r.status not in ("queued", "sending") for r in await rows(db))


async def _status(db: Database, delivery_id: int, status: str) -> bool:
    async with db.session() as session:
        return (await session.get(Delivery, delivery_id)).status == status


def test_a_conflict_entered_in_the_shell_withdraws_the_waiting_invitation_and_queues_its_messages(
        tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    """The shell cannot message anyone, but it can owe: the running bot sends what it queued."""
    from store import survey
    from store.models import Engagement, Enterprise, Specialist, Submission
    from tests.bot.test_cli import tepai
    from tests.handlers.test_survey import CODE as code

    async def seed() -> None:
        database = Database.open(database_url)
        async with database.session() as session, session.begin():
            await survey.set_campaign(session, 2026, "open")
            owner = telegram_user(6001, display_name="王总")
            enterprise = Enterprise(credit_code=code, name="甲乳业")
            first = Specialist(name="刘芳", institution="山东农业大学", field="现代农业", expertise="益生菌发酵",
                               user_id=(await person(session, 6101)).id, status="active", external_id="S001")
            second = Specialist(name="赵磊", institution="齐鲁工业大学", field="现代农业", expertise="乳品工艺",
                                user_id=(await person(session, 6102)).id, status="active", external_id="S002")
            session.add_all([owner, enterprise, first, second])
            await session.flush()
            session.add(Submission(enterprise_id=enterprise.id, campaign_year=2026, submitted_by=owner.id,
                                   answers={"name": "甲乳业", "field": "现代农业", "product": "酸奶", "consent": True}))
            session.add(Engagement(campaign_year=2026, enterprise_id=enterprise.id, specialist_id=first.id,
                                   alternates=[second.id], status="proposed", proposed_at=ob.utcnow(),
                                   delivered_at=ob.utcnow()))
        await database.close()

    async def outcome():  # type: ignore[no-untyped-def]
        database = Database.open(database_url)
        async with database.session() as session:
            engagements = [(e.specialist_id, e.status) for e in
                           (await session.scalars(select(Engagement).order_by(Engagement.id))).all()]
            owed = [(chat(d), d.kind, d.status) for d in
                    (await session.scalars(select(Delivery).options(WITH_CHAT).order_by(Delivery.id))).all()]
        await database.close()
        return engagements, owed

    asyncio.run(seed())
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url, "TEPAI_STAFF_IDS": "900"}
    added = tepai("conflicts", "add", code, "S001", env=env)
    assert added.returncode == 0 and "已撤回" in added.stdout, added.stderr
    engagements, owed = asyncio.run(outcome())
    assert engagements == [(1, "withdrawn"), (2, "proposed")]
    assert owed == [(6101, "notice", "queued"), (6102, "invitation", "queued"), (900, "staff_notice", "queued")]
