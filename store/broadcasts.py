"""Staff announcements: segments, recipients, and the delivery rows the sender works through.

Every recipient gets one `Delivery` row, all written in one transaction before anything is
sent (a scheduled broadcast writes them when it falls due, so people who joined meanwhile are
included and people who blocked the bot meanwhile are not). A row moves
queued → sending → sent / failed / unreachable, or queued → cancelled.

A row still `sending` when the process died may or may not have reached Telegram — the Bot
API has no idempotency key to ask. tepai never sends twice: when the next sender takes the
lease over, such rows become `failed` with the reason "interrupted" and are counted separately
in every report, so staff can follow up by hand. Everything else (queued rows, rows waiting for
a retry) resumes. The same rows carry every other message the bot owes (store/outbox.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from store import identities as ident
from store import validators as v
from store.clock import BEIJING, beijing_time
from store.vocabulary import normalise_district
from store.coverage import MATCHED_STATUSES
from store.models import (
    Broadcast, Campaign, Delivery, Engagement, Enterprise, EnterpriseMember, Identity, Specialist, StaffGrant,
    Submission, User, utcnow,
)
from store.survey import open_campaign

FINAL = ("done", "cancelled")
# Announcements are Telegram messages (HTML, Telegram file ids): they go to people's Telegram identity.
CHANNEL = ident.TELEGRAM
ACTIVE = ("queued", "sending")
INTERRUPTED = "interrupted"
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
SIMPLE_SEGMENTS = ("all", "enterprises", "specialists", "unsubmitted", "matched", "unmatched")
CAMPAIGN_SEGMENTS = ("unsubmitted", "matched", "unmatched")


# -- segments -----------------------------------------------------------------------------------


def parse_segment(text: str) -> str:
    """`all`, `enterprises`, `specialists`, `district:历下区`, `field:电子信息`, `unsubmitted`,
    `matched`, `unmatched` (Chinese names accepted too); ValidationError otherwise."""
    raw = (text or "").strip()
    lowered = raw.lower()
    if lowered in SIMPLE_SEGMENTS:
        return lowered
    by_label = {label: key for key, label in texts.BROADCAST_SEGMENTS.items()}
    if raw in by_label:
        return by_label[raw]
    kind, _, value = raw.partition(":")
    if not value:
        kind, _, value = raw.partition("：")
    kind, value = kind.strip().lower(), value.strip()
    if kind in ("district", "区县") and normalise_district(value):  # 天桥 is 天桥区, as everywhere
        return f"district:{normalise_district(value)}"
    if kind in ("field", "产业领域", "领域") and value:
        return f"field:{value}"
    if normalise_district(raw):
        return f"district:{normalise_district(raw)}"
    raise v.ValidationError(texts.BROADCAST_BAD_SEGMENT.format(segment=raw[:40]))


def segment_label(segment: str) -> str:
    kind, _, value = segment.partition(":")
    if kind == "district":
        return texts.BROADCAST_SEGMENT_DISTRICT.format(name=value)
    if kind == "field":
        return texts.BROADCAST_SEGMENT_FIELD.format(name=value)
    return texts.BROADCAST_SEGMENTS.get(segment, segment)


async def campaign_for(session: AsyncSession) -> Campaign | None:
    """The open campaign, else the latest one: what "this campaign" means to staff."""
    return await open_campaign(session) or await session.scalar(select(Campaign).order_by(Campaign.year.desc()))


async def recipients(session: AsyncSession, segment: str, year: int | None = None,
                     staff: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """People (person ids) in the segment: those who have written to the bot, reachable ones only
    (blocked people are left out until they write again), each once, in a stable order. Staff
    (`staff`, Telegram ids from the settings, plus those granted in the database) are no enterprise."""
    staff = set(await ident.person_ids_for(session, ident.TELEGRAM, staff, create=False)) | \
        set((await session.scalars(select(StaffGrant.user_id))).all())
    heard = select(Identity.id).where(Identity.user_id == User.id, Identity.channel == CHANNEL,
                                      Identity.last_seen.is_not(None)).exists()
    reachable = select(User.id, User.id, User.role).where(User.reachable.is_(True), heard)
    users = (await session.execute(reachable)).all()
    specialist_ids = set((await session.scalars(select(Specialist.user_id).where(
        Specialist.status == "active", Specialist.user_id.is_not(None)))).all())
    kind, _, value = segment.partition(":")
    if kind == "all":
        chosen = [t for t, _, _ in users]
    elif kind == "specialists":
        chosen = [t for t, _, role in users if role == "specialist" or t in specialist_ids]
    elif kind == "enterprises":
        chosen = [t for t, _, role in users if role == "enterprise" and t not in specialist_ids and t not in staff]
    else:
        members = {uid: eid for uid, eid in (await session.execute(
            select(EnterpriseMember.user_id, EnterpriseMember.enterprise_id))).all()}
        if kind == "district":
            wanted = set((await session.scalars(select(Enterprise.id).where(Enterprise.district == value))).all())
            chosen = [t for t, uid, _ in users if members.get(uid) in wanted]
        elif kind == "field":
            fields = await _fields(session, year)
            chosen = [t for t, uid, _ in users if uid in members and fields.get(members[uid]) == value]
        else:
            if year is None:
                raise v.ValidationError(texts.BROADCAST_NEEDS_CAMPAIGN)
            submitted = set((await session.scalars(select(Submission.enterprise_id).where(
                Submission.campaign_year == year, Submission.current.is_(True)))).all())
            matched = set((await session.scalars(select(Engagement.enterprise_id).where(
                Engagement.campaign_year == year, Engagement.status.in_(MATCHED_STATUSES)))).all())
            if kind == "unsubmitted":
                chosen = [t for t, uid, role in users
                          if role == "enterprise" and t not in specialist_ids and t not in staff
                          and members.get(uid) not in submitted]
            elif kind == "matched":
                chosen = [t for t, uid, _ in users if members.get(uid) in matched]
            elif kind == "unmatched":
                chosen = [t for t, uid, _ in users if members.get(uid) in submitted - matched]
            else:
                raise v.ValidationError(texts.BROADCAST_BAD_SEGMENT.format(segment=segment[:40]))
    return sorted(set(chosen))


async def _fields(session: AsyncSession, year: int | None) -> dict[int, str]:
    """Each enterprise's industry field from its current submission (the given campaign's, else its latest)."""
    rows = (await session.execute(select(Submission.enterprise_id, Submission.campaign_year, Submission.answers)
                                  .where(Submission.current.is_(True)).order_by(Submission.campaign_year))).all()
    fields: dict[int, str] = {}
    for enterprise_id, campaign_year, answers in rows:
        if year is not None and campaign_year > year:
            continue
        if answers and answers.get("field"):
            fields[enterprise_id] = answers["field"]
    return fields


# -- composing ------------------------------------------------------------------------------------


def check_text(text: str, with_document: bool) -> str:
    """The announcement body: not empty, within Telegram's limit (a caption's with a document)."""
    body = (text or "").strip()
    if not body:
        raise v.ValidationError(texts.BROADCAST_EMPTY)
    if any(ord(c) < 32 and c not in "\n\t\r" or c == "\x7f" for c in body):
        raise v.ValidationError(texts.BROADCAST_CONTROL)
    limit = CAPTION_LIMIT if with_document else TEXT_LIMIT
    if len(body) > limit:
        raise v.ValidationError(texts.BROADCAST_TOO_LONG.format(limit=limit, length=len(body)))
    return body


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """Beijing time typed by staff — `2026-12-01 09:00`, `12-01 09:00` or `09:00` (today, or
    tomorrow if past) — as an aware UTC datetime in the future."""
    now = (now or utcnow()).astimezone(BEIJING)
    raw = (text or "").strip().replace("：", ":").replace("/", "-").replace("T", " ")
    parsed = None
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%m-%d %H:%M", "%H:%M"):
        try:
            parsed = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        raise v.ValidationError(texts.BROADCAST_BAD_TIME)
    if fmt == "%H:%M":
        parsed = now.replace(hour=parsed.hour, minute=parsed.minute, second=0, microsecond=0)
        if parsed <= now:
            parsed += timedelta(days=1)
    else:
        if fmt == "%m-%d %H:%M":
            parsed = parsed.replace(year=now.year)
        parsed = parsed.replace(tzinfo=BEIJING)
    if parsed <= now:
        raise v.ValidationError(texts.BROADCAST_PAST_TIME)
    if parsed > now + timedelta(days=366):
        raise v.ValidationError(texts.BROADCAST_FAR_TIME)
    return parsed.astimezone(timezone.utc)


def beijing(moment: datetime | None) -> str:
    """Unlabelled: every text that shows it says （北京时间） itself."""
    return beijing_time(moment, labelled=False) if moment is not None else "—"


async def enqueue(session: AsyncSession, broadcast: Broadcast, staff: frozenset[int] | set[int] = frozenset()) -> int:
    """Write every recipient's delivery row (in the caller's transaction) and queue the broadcast."""
    ids = await recipients(session, broadcast.segment, broadcast.campaign_year, staff)
    now = utcnow()
    addresses = await _addresses(session, ids)
    if ids:
        await session.execute(insert(Delivery), [
            {"broadcast_id": broadcast.id, "user_id": t, "identity_id": addresses[t], "status": "queued",
             "attempts": 0, "updated_at": now} for t in ids if t in addresses])
        from store import outbox

        await outbox.mark_owed(session)  # the sender, in whichever process, starts on commit
    broadcast.status, broadcast.step = "queued", None
    if not ids:
        broadcast.status, broadcast.finished_at = "done", now
    return len(ids)


async def create(session: AsyncSession, *, text: str, segment: str, created_by: int | None = None,
                 scheduled_at: datetime | None = None, document_path: str | None = None,
                 document_name: str | None = None, staff: frozenset[int] | set[int] = frozenset()) -> tuple[Broadcast, int]:
    """A broadcast ready to go (the CLI's path): queued with its rows, or scheduled."""
    campaign = await campaign_for(session)
    year = campaign.year if campaign else None
    count = len(await recipients(session, segment, year, staff))  # validates the segment against the campaign
    broadcast = Broadcast(text=text, segment=segment, campaign_year=year, created_by=created_by,
                          document_path=document_path, document_name=document_name, status="draft")
    session.add(broadcast)
    await session.flush()
    if scheduled_at is not None:
        broadcast.status, broadcast.scheduled_at = "scheduled", scheduled_at
        return broadcast, count
    return broadcast, await enqueue(session, broadcast, staff)


# -- progress and control -------------------------------------------------------------------------


@dataclass
class Progress:
    broadcast_id: int
    status: str
    total: int
    sent: int
    failed: int
    interrupted: int
    unreachable: int
    cancelled: int
    remaining: int

    @property
    def done(self) -> bool:
        return self.status in FINAL


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    rows = (await session.execute(select(Delivery.status, Delivery.error, func.count())
                                  .where(Delivery.broadcast_id == broadcast.id)
                                  .group_by(Delivery.status, Delivery.error))).all()
    count: dict[str, int] = {}
    interrupted = 0
    for status, error, n in rows:
        count[status] = count.get(status, 0) + n
        if status == "failed" and error == INTERRUPTED:
            interrupted += n
    total = sum(count.values())
    return Progress(broadcast.id, broadcast.status, total, count.get("sent", 0), count.get("failed", 0), interrupted,
                    count.get("unreachable", 0), count.get("cancelled", 0),
                    count.get("queued", 0) + count.get("sending", 0))


async def cancel(session: AsyncSession, broadcast_id: int) -> tuple[Broadcast | None, bool, int]:
    """(broadcast, changed, rows stopped). Rows not yet sent become cancelled; sent ones stay sent."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status in FINAL:
        return broadcast, False, 0
    broadcast.status, broadcast.finished_at = "cancelled", utcnow()
    result = await session.execute(update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                                                          Delivery.status == "queued")
                                   .values(status="cancelled", updated_at=utcnow()))
    return broadcast, True, int(result.rowcount or 0)


async def resend_interrupted(session: AsyncSession, broadcast_id: int) -> tuple[Broadcast | None, int]:
    """Staff chose to resend the rows caught mid-send (accepting that some may arrive twice):
    they go back to the queue and a finished broadcast runs again. (broadcast, rows requeued)."""
    broadcast = await session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None or broadcast.status == "cancelled":
        return broadcast, 0
    result = await session.execute(update(Delivery).where(Delivery.broadcast_id == broadcast_id,
                                                          Delivery.status == "failed", Delivery.error == INTERRUPTED)
                                   .values(status="queued", error=None, updated_at=utcnow()))
    count = int(result.rowcount or 0)
    if count and broadcast.status == "done":
        broadcast.status, broadcast.finished_at = "queued", None
    return broadcast, count


async def recent(session: AsyncSession, limit: int = 5) -> list[Broadcast]:
    return list((await session.scalars(select(Broadcast).where(Broadcast.status != "draft")
                                       .order_by(Broadcast.id.desc()).limit(limit))).all())


# -- the sender's side ------------------------------------------------------------------------------


async def recover(session: AsyncSession) -> int:
    """After a crash: rows caught mid-send are not resent (see the module docstring). The sender
    itself recovers through store/outbox.py, and only rows of a holder whose lease is gone."""
    from store import outbox

    return await outbox.recover(session)


async def next_due(session: AsyncSession, now: datetime | None = None,
                   staff: frozenset[int] | set[int] = frozenset()) -> Broadcast | None:
    """The broadcast to work on: one already running or queued, else a scheduled one that fell due
    (its rows are written now, in this transaction)."""
    running = await session.scalar(select(Broadcast).where(Broadcast.status.in_(ACTIVE))
                                   .order_by(Broadcast.status.desc(), Broadcast.id).limit(1))
    if running is not None:
        return running
    due = await session.scalar(select(Broadcast).where(Broadcast.status == "scheduled",
                                                       Broadcast.scheduled_at <= (now or utcnow()))
                               .order_by(Broadcast.scheduled_at, Broadcast.id).limit(1).with_for_update())
    if due is None:
        return None
    await enqueue(session, due, staff)
    return due if due.status == "queued" else await next_due(session, now, staff)


async def _addresses(session: AsyncSession, people: Sequence[int]) -> dict[int, int]:
    """Each person's identity on the broadcast channel, the one they wrote from last if several
    (as `address_for`, in one query for a whole segment)."""
    chosen: dict[int, tuple] = {}
    wanted = set(people)
    rows = await session.execute(select(Identity.user_id, Identity.id, Identity.last_seen)
                                 .where(Identity.channel == CHANNEL, Identity.last_seen.is_not(None))
                                 .order_by(Identity.id))
    for user_id, identity_id, last_seen in rows.all():
        if user_id in wanted and (user_id not in chosen or last_seen >= chosen[user_id][1]):
            chosen[user_id] = (identity_id, last_seen)
    return {user_id: identity_id for user_id, (identity_id, _) in chosen.items()}


async def queued_page(session: AsyncSession, broadcast_id: int, after_id: int, limit: int,
                      channel: str = ident.TELEGRAM) -> Sequence[tuple[int, int]]:
    """The next page of a broadcast's rows for `channel`'s sender: (row, the chat id read from the
    row's identity now)."""
    rows = await session.execute(select(Delivery.id, Identity.external_id)
                                 .join(Identity, Identity.id == Delivery.identity_id)
                                 .where(Delivery.broadcast_id == broadcast_id, Delivery.status == "queued",
                                        Delivery.id > after_id, Identity.channel == channel)
                                 .order_by(Delivery.id).limit(limit))
    return [(i, int(t)) for i, t in rows.all()]


async def claim(session: AsyncSession, delivery_id: int, owner: str | None = None) -> int | None:
    """queued → sending, atomically (see store/outbox.py: one claim for every kind of row)."""
    from store import outbox

    return await outbox.claim(session, delivery_id, owner)


async def settle(session: AsyncSession, delivery_id: int, status: str, message_id: int | None = None,
                 error: str | None = None) -> None:
    from store import outbox

    await outbox.settle(session, delivery_id, status, message_id, error)


async def requeue(session: AsyncSession, delivery_id: int, refund: bool = False) -> None:
    """sending → queued for a retry; `refund` gives the attempt back (Telegram said "later", not "failed")."""
    from store import outbox

    await outbox.requeue(session, delivery_id, refund)


async def finish(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """Mark the broadcast done if nothing is left to send; the broadcast either way."""
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status in FINAL:
        return broadcast
    left = await session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.broadcast_id == broadcast_id, Delivery.status.in_(("queued", "sending"))))
    if not left:
        broadcast.status, broadcast.finished_at = "done", utcnow()
    return broadcast
