"""kill -9 right after staff approve an assignment, then a restart: the real `tepai run`."""

from __future__ import annotations

import pytest

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select

from core import texts
from bot.emulator import BotApiEmulator
from store import outbox as ob
from store import survey
from store.db import Database, upgrade
from store.models import Delivery, Engagement, Enterprise, EnterpriseMember, Submission
from tests.people import person, telegram_user

STAFF = 900
PAIRS = 40
SPECIALISTS = [8100 + n for n in range(PAIRS)]
OWNERS = [8300 + n for n in range(PAIRS)]
ROOT = Path(__file__).resolve().parents[2]


def wait(condition, what: str, process: subprocess.Popen | None = None, timeout: float = 180.0):  # type: ignore[no-untyped-def]
    waited = 0.0
    while not (found := condition()):
        if process is not None:
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
        assert waited < timeout, f"timed out: {what}"
        threading.Event().wait(0.02)
        waited += 0.02
    return found


def invitations(emu: BotApiEmulator, chat_id: int) -> int:
    return sum("新的对接邀请" in (m.plain_text or "") for m in emu.messages(chat_id))


def staff_message(emu: BotApiEmulator, marker: str, after: int = 0):  # type: ignore[no-untyped-def]
    return next((m for m in emu.messages(STAFF)[after:] if marker in (m.plain_text or "")), None)


async def forty_surveyed_enterprises(url: str) -> None:
    """Forty enterprises of one field, each with a confirmed, consenting survey."""
    database = Database.open(url)
    async with database.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        for n, telegram_id in enumerate(OWNERS):
            user = telegram_user(telegram_id, display_name=f"企业{n}")
            enterprise = Enterprise(credit_code=f"91370100MA{n:08d}", name=f"济南精工{n}号有限公司", district="历下区")
            session.add_all([user, enterprise])
            await session.flush()
            session.add(EnterpriseMember(user_id=user.id, enterprise_id=enterprise.id))
            session.add(Submission(enterprise_id=enterprise.id, campaign_year=2026, submitted_by=user.id, answers={
                "name": enterprise.name, "credit_code": enterprise.credit_code, "district": "历下区",
                "field": "先进制造与自动化", "product": "数控机床主轴", "directions": ["精度补偿"],
                "description": "主轴温升导致加工精度下降，需要热变形补偿方案", "contact": "王经理",
                "phone": f"1390531{n:04d}", "consent": True}))
    await database.close()


async def rows_of(url: str) -> tuple[list[Delivery], list[Engagement]]:
    database = Database.open(url)
    try:
        async with database.session() as session:
            deliveries = list((await session.scalars(select(Delivery).where(Delivery.kind == ob.INVITATION))).all())
            engagements = list((await session.scalars(select(Engagement))).all())
    finally:
        await database.close()
    return deliveries, engagements


@pytest.mark.heavy
def test_kill_9_right_after_approving_an_assignment_then_restart_every_invitation_goes_out_once(
        tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    upgrade(database_url)
    pool = tmp_path / "pool.jsonl"
    pool.write_text("\n".join(json.dumps({
        "id": f"M{n:03d}", "name": f"专家{n}", "institution": "山东大学机械工程学院", "title": "教授",
        "field": "先进制造与自动化", "expertise": "数控机床主轴热变形补偿、精度补偿", "capacity": 1,
        "telegram_id": telegram_id}, ensure_ascii=False) for n, telegram_id in enumerate(SPECIALISTS)), encoding="utf-8")
    emu = BotApiEmulator(strict_chats=False).run_in_thread()
    try:
        env = {**os.environ, **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "DATABASE_URL": database_url,
               "TEPAI_STAFF_IDS": str(STAFF), "HF_HUB_OFFLINE": "1"}
        imported = subprocess.run([sys.executable, "-m", "bot.cli", "specialists", "import", str(pool)], env=env,
                                  cwd=ROOT, capture_output=True, timeout=600)
        assert imported.returncode == 0, imported.stderr.decode()[-2000:]
        asyncio.run(forty_surveyed_enterprises(database_url))
        command = [sys.executable, "-m", "bot.cli", "run"]

        first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            emu.user_sends_text(STAFF, "/assign")
            proposal = wait(lambda: staff_message(emu, "批准"), "the proposal", first)
            assert f"匹配 {PAIRS} 个" in proposal.plain_text
            approve = next(d for t, d in proposal.buttons if t == texts.ASSIGN_APPROVE_BUTTON)
            # Telegram answers the first send with "retry after 2 s": every request waits, as on a busy day.
            emu.inject("sendMessage", error=429, retry_after=2, times=1)
            pressed = emu.user_presses_button(STAFF, proposal.message_id, approve)
            query_id = pressed["callback_query"]["id"]
            wait(lambda: any(a.callback_query_id == query_id for a in emu.answered_callbacks), "the approval", first)
            threading.Event().wait(0.4)  # the approval is committed; the invitations are on their way
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        at_kill = sum(invitations(emu, t) for t in SPECIALISTS)
        assert at_kill < PAIRS  # the crash caught invitations still owed

        second = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            report = wait(lambda: staff_message(emu, "本次对接邀请已发送完毕"), "the staff report", second)
            deliveries, engagements = asyncio.run(rows_of(database_url))
            # Whoever the crash caught mid-send (if anyone) and never got it finds it with /proposals.
            missed = [t for t in SPECIALISTS if invitations(emu, t) == 0]
            for telegram_id in missed:
                emu.user_sends_text(telegram_id, "/proposals")
                wait(lambda: invitations(emu, telegram_id) == 1, "a missed invitation", second)
        finally:
            second.terminate()
            second.wait(timeout=30)
        counts = {t: invitations(emu, t) for t in SPECIALISTS}
    finally:
        emu.stop_thread()
    assert list(counts.values()) == [1] * PAIRS  # every invitation delivered, nobody's twice
    interrupted = [d for d in deliveries if d.error == ob.INTERRUPTED]
    assert len(missed) <= len(interrupted)  # only a row caught mid-send can have been held back
    assert len(deliveries) == PAIRS and {d.status for d in deliveries} <= {"sent", "failed"}
    assert sum(d.status == "sent" for d in deliveries) == PAIRS - len(interrupted)
    assert f"共 {PAIRS} 份" in report.plain_text and f"已送达 {PAIRS - len(interrupted)}" in report.plain_text
    assert all(e.status == "proposed" for e in engagements) and len(engagements) == PAIRS
    # The 72 hours run from delivery: each delivered invitation has its time, none before its approval.
    assert all(e.delivered_at is not None and e.delivered_at >= e.proposed_at for e in engagements
               if any(d.ref == f"engagement:{e.id}" and d.status == "sent" for d in deliveries))


@pytest.mark.heavy
async def test_a_second_bot_process_leaves_the_first_ones_in_flight_deliveries_alone(
        tmp_path: Path, database_url: str) -> None:
    """The first sender is mid-send when a second `tepai run` starts on the same database: the
    second waits as a standby (no row reclassified), and takes over only when the first stops."""
    from telegram.ext import ExtBot

    from bot.broadcaster import Broadcaster
    from bot.ratelimit import PacedRateLimiter
    from store import broadcasts as bc
    from store.models import Broadcast

    people = list(range(8500, 8560))
    data = tmp_path / "data"
    database = Database.open(database_url)
    async with BotApiEmulator(strict_chats=False) as emu:
        async with database.session() as session, session.begin():
            session.add_all([telegram_user(t, display_name="") for t in people])
            broadcast, _ = await bc.create(session, text="<b>公告</b>", segment="all")
        bot = ExtBot(emu.token, base_url=emu.base_url, rate_limiter=PacedRateLimiter())
        await bot.initialize()
        first = Broadcaster(bot, database, lease_seconds=20.0)
        second = None
        try:
            async with database.session() as session, session.begin():
                assert await ob.hold_lease(session, first.owner, first.lease_seconds) == (True, True)
                page = await bc.queued_page(session, broadcast.id, 0, 3)
                for delivery_id, _ in page:  # the first process's requests on the wire right now
                    assert await ob.claim(session, delivery_id, first.owner) == 1
            await first.start()

            env = {**os.environ, **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data), "DATABASE_URL": database_url,
                   "TEPAI_STAFF_IDS": str(STAFF), "HF_HUB_OFFLINE": "1"}
            second = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            emu.user_sends_text(STAFF, "/start")  # answered: the second process is up, start-up done
            await emu.wait_for_message(STAFF, timeout=180)
            async with database.session() as session:
                in_flight = [await session.get(Delivery, delivery_id) for delivery_id, _ in page]
                holder = await ob.lease_holder(session)
            assert [d.status for d in in_flight] == ["sending"] * 3 and holder.owner == first.owner

            # The first process's three requests come back: delivered, and recorded as such.
            for delivery_id, chat_id in page:
                message = await bot.send_message(chat_id, "<b>公告</b>", parse_mode="HTML")
                async with database.session() as session, session.begin():
                    assert await ob.settle(session, delivery_id, "sent", message.message_id, owner=first.owner)
            for _ in range(600):
                async with database.session() as session:
                    done = await session.get(Broadcast, broadcast.id, populate_existing=True)
                    if done.status in bc.FINAL:
                        progress = await bc.progress(session, done)
                        break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the broadcast did not finish")

            # A clean stop hands the lease over: the second process sends what is owed next.
            await first.stop()
            async with database.session() as session, session.begin():
                handed = await ob.owe(session, await person(session, people[0]), "交接后的通知", kind=ob.NOTICE, html=False)
            await emu.wait_for_message(people[0], "交接后的通知", timeout=60)
            assert second.poll() is None, second.stderr.read().decode()[-2000:]
        finally:
            await first.stop()
            await bot.shutdown()
            if second is not None:
                second.terminate()
                second.wait(timeout=30)
        counts = {t: sum("公告" in (m.plain_text or "") for m in emu.messages(t)) for t in people}
    async with database.session() as session:
        handed = await session.get(Delivery, handed.id)
    await database.close()
    assert progress.sent == len(people) and progress.interrupted == 0 and progress.failed == 0
    assert set(counts.values()) == {1}  # nobody twice, nobody left out
    assert handed.status == "sent" and handed.owner not in (None, first.owner)
