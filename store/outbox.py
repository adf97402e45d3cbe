"""The outbox: every message the bot owes someone other than the person it is replying to.

An invitation to a specialist, the contact exchange after an accept, a notice to staff, a
hand-off forwarded to staff, a staff reply delivered to the asker, a reminder — each is a
`Delivery` row without a broadcast, written by `owe()` in the same transaction as the
decision that owes it. If the decision commits, the message is owed; if it rolls back, it is
not. The one sender (bot/broadcaster.py) drains these rows with the same states, retries and
crash rule as a broadcast's: queued → sending → sent / unreachable / failed, and a row caught
mid-send by a crash is never resent (it becomes failed "interrupted" and whoever the row
reports to is told it may or may not have arrived).

Only one process sends at a time (store/sender_lock.py): on PostgreSQL the holder of an
advisory lock, on SQLite the holder of the `sender_leases` row (its expiry renewed by a
heartbeat). A row is claimed only while the claimer holds the right to send, and only a process
that has just taken it over recovers rows — those still `sending` under another owner, who is
gone. A second bot process therefore never touches a live process's rows. Any process may owe;
on PostgreSQL the owing transaction NOTIFYs the sender wherever it runs.

What a row's delivery changes elsewhere happens in the sender's settling transaction: an
invitation's 72 hours start when it is actually delivered (`Engagement.delivered_at`), and a
hand-off forward records the staff message it became, so a staff reply routes back.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from store import identities as ident
from store.models import Delivery, Engagement, HandoffForward, Identity, SenderLease, StaffGrant, User, utcnow

LEASE = "sender"
INTERRUPTED = "interrupted"
OWED_FLAG = "tepai.owed"  # session.info: something was owed in this transaction (wake the sender on commit)
NOTIFY_CHANNEL = "tepai_outbox"  # PostgreSQL: the sender, in whichever process, LISTENs here

# kinds of owed messages (the row's `kind`); labels for staff reports are in texts.OUTBOX_KINDS
INVITATION = "invitation"
CONTACT = "contact"
STAFF_NOTICE = "staff_notice"
HANDOFF = "handoff"
STAFF_REPLY = "staff_reply"
REMINDER = "reminder"
NOTICE = "notice"
REPORT = "report"

Buttons = Sequence[Sequence[tuple[str, str]]]  # rows of (label, action); the channel makes them buttons


async def owe(session: AsyncSession, person: User | int | None, text: str, *, kind: str, html: bool = True,
              buttons: Buttons | None = None, ref: str | None = None, key: str | None = None,
              batch: str | None = None, report_to: int | None = None, channel: str | None = None) -> Delivery | None:
    """Owe `person` (a User or a person id) this message, in the caller's transaction, on the
    channel they use (store/identities.py `address_for`). `buttons` are neutral rows of
    (label, action) — `core.messages.Choice` or plain pairs; `key` makes it owed once however often
    the decision runs (the existing row is returned); `report_to` is the person who hears if it
    fails; `channel` picks the person's identity on that channel instead of the one they use.
    None if there is nobody, or nowhere, to address."""
    if not person:
        return None
    if key is not None:
        existing = await session.scalar(select(Delivery).where(Delivery.key == key))
        if existing is not None:
            return existing
    address = await ident.address_for(session, person, channel)
    if address is None:
        return None
    rows = [[[str(label), str(action)] for label, action in row] for row in buttons] if buttons else None
    row = Delivery(broadcast_id=None, user_id=address.user_id, identity_id=address.id, status="queued", attempts=0, kind=kind, text=text,
                   parse_mode="HTML" if html else None, buttons=rows, ref=ref, key=key, batch=batch,
                   report_to=report_to, created_at=utcnow(), updated_at=utcnow())
    if key is None:
        session.add(row)
        await session.flush()
    else:
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:  # owed concurrently by another transaction: that one stands
            return await session.scalar(select(Delivery).where(Delivery.key == key))
    await mark_owed(session)
    return row


async def mark_owed(session: AsyncSession) -> None:
    """Something is owed in this transaction: the sender wakes when it commits — in this process
    (after_commit below) and, on PostgreSQL, in any other (NOTIFY is delivered on commit only)."""
    if session.info.get(OWED_FLAG):
        return
    session.info[OWED_FLAG] = True
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')"))


async def staff_ids(session: AsyncSession, configured: Iterable[int] = ()) -> list[int]:
    """Staff, as person ids: TEPAI_STAFF_IDS (Telegram ids; a person is made for one who has not
    written yet) plus those granted in the database."""
    people = set(await ident.person_ids_for(session, ident.TELEGRAM, configured))
    granted = set((await session.scalars(select(StaffGrant.user_id))).all())
    return sorted(people | granted)


async def owe_staff(session: AsyncSession, configured: Iterable[int], text: str, *, kind: str = STAFF_NOTICE,
                    html: bool = True, buttons: Buttons | None = None, ref: str | None = None,
                    key: str | None = None) -> list[Delivery]:
    """Owe every staff member the same notice (`key`, if given, is made per person), on Telegram:
    staff work there (their commands, and replies to forwarded hand-offs, are Telegram's)."""
    owed = []
    for person_id in await staff_ids(session, configured):
        row = await owe(session, person_id, text, kind=kind, html=html, buttons=buttons, ref=ref,
                        key=f"{key}:{person_id}" if key else None, channel=ident.TELEGRAM)
        if row is not None:
            owed.append(row)
    return owed


# -- the sender's lease ---------------------------------------------------------------------------


def identity() -> str:
    """This sender process: host, pid and a random part (a restarted process is someone new)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def owner_gone(owner: str) -> bool:
    """True if `owner` was a process on this host that no longer exists (its lease need not expire)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname()[:60] or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


async def hold_lease(session: AsyncSession, owner: str, ttl: float, now: datetime | None = None) -> tuple[bool, bool]:
    """Take or renew the sender lease: (held, newly taken). Compare-and-swap on the row, so two
    processes racing for an expired lease cannot both win."""
    now = now or utcnow()
    until = now + timedelta(seconds=ttl)
    current = await session.get(SenderLease, LEASE)
    if current is None:
        try:
            async with session.begin_nested():
                session.add(SenderLease(name=LEASE, owner=owner, expires_at=until, acquired_at=now))
        except IntegrityError:
            return False, False
        return True, True
    holder, expires = current.owner, current.expires_at
    if holder != owner and expires > now and not owner_gone(holder):
        return False, False
    # The owner is the compare-and-swap: whoever changes it first wins, the other's update matches nothing.
    result = await session.execute(update(SenderLease).where(SenderLease.name == LEASE, SenderLease.owner == holder)
                                   .values(owner=owner, expires_at=until,
                                           acquired_at=current.acquired_at if holder == owner else now)
                                   .execution_options(synchronize_session=False))
    won = bool(result.rowcount)
    return won, won and holder != owner


async def release_lease(session: AsyncSession, owner: str) -> None:
    """A clean stop: the next process may take over at once."""
    await session.execute(update(SenderLease).where(SenderLease.name == LEASE, SenderLease.owner == owner)
                          .values(expires_at=utcnow() - timedelta(seconds=1)))


async def lease_holder(session: AsyncSession) -> SenderLease | None:
    return await session.get(SenderLease, LEASE)


def _holds(owner: str):  # type: ignore[no-untyped-def]
    return exists().where(SenderLease.name == LEASE, SenderLease.owner == owner, SenderLease.expires_at > utcnow())


# -- claiming and settling rows (broadcast or not) ------------------------------------------------


def claiming(delivery_id: int, owner: str | None, fenced: bool = True):  # type: ignore[no-untyped-def]
    """The claim as one statement: queued → sending, returning the attempt number. `fenced` adds
    the lease check; PostgreSQL's sender runs it unfenced on the connection holding its advisory
    lock instead (store/sender_lock.py), which fences it exactly."""
    condition = and_(Delivery.id == delivery_id, Delivery.status == "queued")
    if owner is not None and fenced:
        condition = and_(condition, _holds(owner))
    return (update(Delivery).where(condition)
            .values(status="sending", owner=owner, attempts=Delivery.attempts + 1, updated_at=utcnow())
            .returning(Delivery.attempts).execution_options(synchronize_session=False))


async def claim(session: AsyncSession, delivery_id: int, owner: str | None = None) -> int | None:
    """queued → sending, atomically, and only while `owner` holds the lease; the attempt number,
    or None if the row is no longer queued (cancelled, or another sender has it) or the lease is
    gone. `owner=None` claims unfenced (tests standing in for a process that died)."""
    row = (await session.execute(claiming(delivery_id, owner))).first()
    return int(row[0]) if row else None


async def settle(session: AsyncSession, delivery_id: int, status: str, message_id: int | None = None,
                 error: str | None = None, owner: str | None = None, message_ids: Sequence[int] = (),
                 staff: Iterable[int] = (), broadcast: bool = False) -> Delivery | bool | None:
    """The answer is in: sent / unreachable / failed. A row another sender recovered as
    interrupted meanwhile (we were thought dead) is corrected to what really happened. Then
    what the delivery changes elsewhere, and the reports it owes. The row (True for a broadcast
    row, which changes nothing else), or None if not ours."""
    mine = Delivery.status == "sending"
    if owner is not None:
        mine = and_(Delivery.owner == owner, or_(mine, and_(Delivery.status == "failed", Delivery.error == INTERRUPTED)))
    now = utcnow()
    result = await session.execute(update(Delivery).where(Delivery.id == delivery_id, mine)
                                   .values(status=status, message_id=message_id, error=(error or None) and error[:200],
                                           updated_at=now, sent_at=now if status == "sent" else None)
                                   .execution_options(synchronize_session=False))
    if not result.rowcount:
        return None
    if broadcast:  # the sender's hot path: a broadcast recipient owes nothing further
        return True
    row = await session.get(Delivery, delivery_id, populate_existing=True)
    if row.broadcast_id is None:
        await _after(session, row, list(message_ids) or ([message_id] if message_id else []), staff)
    return row


async def requeue(session: AsyncSession, delivery_id: int, refund: bool = False, owner: str | None = None) -> None:
    """sending → queued for a retry; `refund` gives the attempt back (Telegram said "later")."""
    values = {"status": "queued", "owner": None, "updated_at": utcnow()}
    if refund:
        values["attempts"] = Delivery.attempts - 1
    condition = and_(Delivery.id == delivery_id, Delivery.status == "sending")
    if owner is not None:
        condition = and_(condition, Delivery.owner == owner)
    await session.execute(update(Delivery).where(condition).values(**values)
                          .execution_options(synchronize_session=False))


async def recover(session: AsyncSession, owner: str | None = None, staff: Iterable[int] = ()) -> int:
    """The lease was just taken over: rows still `sending` under another owner were caught
    mid-send by a process that is gone. Never resent — failed "interrupted", reported."""
    condition = Delivery.status == "sending"
    if owner is not None:
        condition = and_(condition, or_(Delivery.owner.is_(None), Delivery.owner != owner))
    caught = (await session.scalars(select(Delivery).where(condition))).all()
    for row in caught:
        row.status, row.error, row.updated_at = "failed", INTERRUPTED, utcnow()
    await session.flush()
    for row in caught:
        if row.broadcast_id is None:
            await _after(session, row, [], staff)
    return len(caught)


async def queued_direct(session: AsyncSession, skip: set[int], limit: int,
                        channel: str = ident.TELEGRAM) -> list[tuple[int, int, None]]:
    """Owed rows waiting to go on `channel`, oldest first, leaving out those the sender already
    holds: (row, the Telegram chat id read from the row's identity now, None)."""
    rows = (await session.execute(select(Delivery.id, Identity.external_id)
                                  .join(Identity, Identity.id == Delivery.identity_id)
                                  .where(Delivery.broadcast_id.is_(None), Delivery.status == "queued",
                                         Identity.channel == channel)
                                  .order_by(Delivery.id).limit(limit + len(skip)))).all()
    return [(i, int(t), None) for i, t in rows if i not in skip][:limit]


async def waiting(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.broadcast_id.is_(None), Delivery.status.in_(("queued", "sending")))) or 0)


# -- what a delivery changes elsewhere, and who hears about it -------------------------------------


async def _after(session: AsyncSession, row: Delivery, message_ids: list[int], staff: Iterable[int]) -> None:
    kind, _, ref_id = (row.ref or "").partition(":")
    if row.status == "sent" and kind == "engagement" and ref_id.isdigit() and row.kind == INVITATION:
        await invitation_delivered(session, int(ref_id), row.sent_at)
    if row.status == "sent" and kind == "handoff" and ref_id.isdigit() and row.kind == HANDOFF:
        address = await session.get(Identity, row.identity_id)
        for message_id in message_ids:  # a staff reply to any piece routes back to the asker
            session.add(HandoffForward(handoff_id=int(ref_id), staff_chat_id=int(address.external_id),
                                       message_id=message_id))
    if row.kind == REPORT:
        return
    if row.batch is not None:
        await _batch_report(session, row.batch, row.report_to)
    elif row.status != "sent":
        targets = [row.report_to] if row.report_to else \
            (await staff_ids(session, staff) if row.kind == INVITATION else [])
        if targets:
            text = texts.OUTBOX_UNDELIVERED.format(kind=texts.OUTBOX_KINDS.get(row.kind, texts.OUTBOX_KINDS[NOTICE]),
                                                   who=await _who(session, row.identity_id),
                                                   reason=_reason(row))
            if row.kind == INVITATION:
                text += texts.OUTBOX_INVITATION_AGAIN
            for person_id in targets:
                await owe(session, person_id, text, kind=REPORT, html=False, key=f"report:{row.id}:{person_id}",
                          channel=ident.TELEGRAM)


async def invitation_delivered(session: AsyncSession, engagement_id: int, at: datetime | None = None) -> None:
    """The specialist has the invitation: its 72 hours start now (the first delivery counts)."""
    await session.execute(update(Engagement).where(Engagement.id == engagement_id, Engagement.delivered_at.is_(None))
                          .values(delivered_at=at or utcnow()).execution_options(synchronize_session=False))


async def _batch_report(session: AsyncSession, batch: str, report_to: int | None) -> None:
    """The batch's last row settled: one summary to whoever the batch reports to."""
    if not report_to:
        return
    counts = dict((await session.execute(select(Delivery.status, func.count()).where(Delivery.batch == batch)
                                         .group_by(Delivery.status))).all())
    if counts.get("queued") or counts.get("sending"):
        return
    interrupted = int(await session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.batch == batch, Delivery.status == "failed", Delivery.error == INTERRUPTED)) or 0)
    kind = await session.scalar(select(Delivery.kind).where(Delivery.batch == batch).limit(1))
    total = sum(counts.values())
    text = texts.OUTBOX_BATCH_DONE.format(kind=texts.OUTBOX_KINDS.get(kind, texts.OUTBOX_KINDS[NOTICE]), total=total,
                                          sent=counts.get("sent", 0), unreachable=counts.get("unreachable", 0),
                                          failed=counts.get("failed", 0) - interrupted)
    if interrupted:
        text += texts.OUTBOX_BATCH_INTERRUPTED.format(count=interrupted)
    if kind == INVITATION and total > counts.get("sent", 0):
        text += texts.OUTBOX_INVITATION_AGAIN
    await owe(session, report_to, text, kind=REPORT, html=False, key=f"batch:{batch}", channel=ident.TELEGRAM)


async def report_finished_batches(session: AsyncSession) -> int:
    """Batches whose rows are all settled but whose report is not yet owed — e.g. when the last two
    rows settled at once in two transactions, each seeing the other still sending. Reports owed."""
    pending = func.sum(case((Delivery.status.in_(("queued", "sending")), 1), else_=0))
    finished = (await session.execute(select(Delivery.batch, func.max(Delivery.report_to))
                                      .where(Delivery.batch.is_not(None)).group_by(Delivery.batch)
                                      .having(pending == 0))).all()
    owed = 0
    for batch, report_to in finished:
        if report_to and await session.scalar(select(Delivery.id).where(Delivery.key == f"batch:{batch}")) is None:
            await _batch_report(session, batch, report_to)
            owed += 1
    return owed


async def _who(session: AsyncSession, identity_id: int) -> str:
    """The addressee as staff know them: name and the channel's id."""
    address = await session.get(Identity, identity_id)
    user = await session.get(User, address.user_id)
    name = (user.display_name if user else "") or ""
    return f"{name}（{address.external_id}）" if name else address.external_id


def _reason(row: Delivery) -> str:
    if row.status == "unreachable":
        return texts.OUTBOX_REASON_UNREACHABLE
    if row.error == INTERRUPTED:
        return texts.OUTBOX_REASON_INTERRUPTED
    return texts.OUTBOX_REASON_FAILED


async def for_ref(session: AsyncSession, ref: str) -> list[Delivery]:
    return list((await session.scalars(select(Delivery).where(Delivery.ref == ref).order_by(Delivery.id))).all())


# -- waking the sender when something was owed ----------------------------------------------------

_wakers: set = set()


def on_owed(callback) -> None:  # type: ignore[no-untyped-def]
    """Call `callback()` after any transaction that owed something commits (the sender wakes)."""
    _wakers.add(callback)


def off_owed(callback) -> None:  # type: ignore[no-untyped-def]
    _wakers.discard(callback)


def _after_commit(session) -> None:  # type: ignore[no-untyped-def]
    if session.info.pop(OWED_FLAG, False):
        for wake in list(_wakers):
            wake()


def _after_rollback(session) -> None:  # type: ignore[no-untyped-def]
    session.info.pop(OWED_FLAG, None)


def _listen() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)


_listen()
