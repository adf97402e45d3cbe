"""The one sender: every message the bot owes — broadcast recipients and outbox rows alike.

It works through delivery rows a page at a time (memory stays flat however many recipients),
with a few workers whose requests all pass through the bot's rate limiter (bot/ratelimit.py:
~30 messages/s, paced; a 429 pauses every request as Telegram asked). Owed messages (store/
outbox.py: invitations, staff notices, forwards, replies, reminders) go before the rest of a
running broadcast. Per row: claimed queued → sending in the database by the limiter's hook
immediately before its HTTP request, then sent (with the Telegram message id) / unreachable
(403, or the chat is gone: the person is marked unreachable and left out of later broadcasts
until they write again) / failed (with the reason). 5xx and network errors are retried with
backoff; a 429 puts the row back in the queue without spending an attempt.

One sender at a time, however many processes run (store/sender_lock.py): each process has an
identity and sends only while it holds the right to — a PostgreSQL advisory lock, or on SQLite
the lease row renewed by a heartbeat; claims are fenced by it. A process that takes it over —
the holder's connection ended (PostgreSQL), its lease expired or its process is gone from this
host (SQLite) — recovers the rows the holder left mid-send; a live holder's rows are never
touched. On PostgreSQL the sender LISTENs for owed messages, so what another process (the CLI, a
web worker) owes goes out at once; elsewhere within the `poll` interval. What survives a crash
is in the database: queued rows and scheduled broadcasts resume on the next start; a row caught
mid-send is never resent (store/outbox.py explains why).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from core import texts
from bot.ratelimit import PacedRateLimiter, SendHook, retry_seconds
from bot.render import choices, split_message
from store import broadcasts as bc
from store import identities as ident
from store import outbox as ob
from store import repositories as repo
from store import sender_lock as sl
from store.db import Database
from store.models import Broadcast, Delivery

log = logging.getLogger(__name__)

Item = tuple[int, int, "int | None"]  # (delivery id, chat id, broadcast id or None for an owed message)


class Broadcaster:
    def __init__(self, bot: Bot, db: Database, *, workers: int = 4, page: int = 200, poll: float = 1.0,
                 progress_every: float = 5.0, backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0),
                 max_attempts: int = 5, staff: frozenset[int] = frozenset(), lease_seconds: float = 20.0,
                 heartbeat: float | None = None, owner: str | None = None,
                 lock: sl.SenderLock | None = None, listen: bool = True) -> None:
        self.bot, self.db, self.staff = bot, db, staff
        self.workers, self.page, self.poll = workers, page, poll
        self.progress_every, self.backoff, self.max_attempts = progress_every, backoff, max_attempts
        self.owner = lock.owner if lock is not None else (owner or ob.identity())
        self.lease_seconds = lease_seconds
        self.heartbeat = heartbeat if heartbeat is not None else lease_seconds / 4
        self.lock = lock or sl.sender_lock(db, self.owner, lease_seconds, self.heartbeat)
        self.listen = listen and db.engine.dialect.name == "postgresql"
        self.held = False
        self._standing_by = False
        self._unrecovered = False  # taken over, but the previous holder's rows not yet recovered
        self._task: asyncio.Task[None] | None = None
        self._beater: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._cancelled: set[int] = set()
        self._upload_lock = asyncio.Lock()
        self.recovered = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            await self._beat()  # the right to send if free (recovering what a gone holder left mid-send)
        except Exception:  # a database hiccup at start: the heartbeat tries again
            log.exception("sender lock not taken at start; retrying")
        ob.on_owed(self._wake_from_anywhere)
        self._task = asyncio.create_task(self._run(), name="tepai-sender")
        self._beater = asyncio.create_task(self._heartbeat(), name="tepai-sender-lease")
        if self.listen:
            self._listener = asyncio.create_task(sl.listen_for_owed(self.db, self.wake), name="tepai-sender-listen")

    async def stop(self) -> None:
        ob.off_owed(self._wake_from_anywhere)
        for task in (self._listener, self._beater, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._beater = self._listener = None
        with contextlib.suppress(Exception):  # a clean stop hands over at once
            await self.lock.release()
        self.held = False

    def wake(self) -> None:
        """Something was queued or cancelled: look now rather than at the next poll."""
        self._wake.set()

    def _wake_from_anywhere(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def cancelled(self, broadcast_id: int) -> None:
        self._cancelled.add(broadcast_id)
        self.wake()

    async def _beat(self) -> None:
        held, taken = await self.lock.hold()  # (a failure leaves `held` as it was: claims are fenced anyway)
        if self.held and not held:
            log.warning("sender lock lost; this process stops sending")
        self._unrecovered = held and (taken or self._unrecovered)
        recovered = 0
        if self._unrecovered:  # only now, holding it, is the previous holder provably gone
            async with self.db.session() as session, session.begin():
                recovered = await ob.recover(session, self.owner, self.staff)
            self._unrecovered = False
        self.held = held
        if recovered:
            self.recovered += recovered
            log.warning("%d deliveries were mid-send when the previous sender stopped: marked failed "
                        "(interrupted), not resent", recovered)
        if taken:
            log.info("this process is now the sender (%s)", self.owner)
            self.wake()
        elif not held and not self._standing_by:
            log.info("another process is the sender; this one stands by (%s)", self.owner)
        self._standing_by = not held

    async def _heartbeat(self) -> None:
        while True:  # the holder renews / checks; a standby tries again, sooner on PostgreSQL
            await asyncio.sleep(self.heartbeat if self.held else min(self.heartbeat, self.lock.retry))
            try:
                await self._beat()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: the claim's fence keeps sending safe meanwhile
                log.exception("sender lock not renewed; retrying")

    async def _idle(self) -> None:
        self._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll)

    async def _run(self) -> None:
        while True:
            try:
                if not self.held:
                    await self._idle()
                    continue
                async with self.db.session() as session, session.begin():
                    broadcast = await bc.next_due(session, staff=self.staff)
                    if broadcast is not None and broadcast.status == "queued":
                        broadcast.status, broadcast.started_at = "sending", broadcast.started_at or bc.utcnow()
                handled = await self._deliver(broadcast.id if broadcast is not None else None)
                if broadcast is None and not handled:
                    await self._idle()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end sending for good
                log.exception("sender error; retrying shortly")
                await asyncio.sleep(self.poll)

    # -- one pass: owed rows, and one broadcast's if one is running ---------------------------------

    async def _deliver(self, broadcast_id: int | None) -> int:
        """Send until nothing is left (of owed rows, and of the broadcast if given); rows handled."""
        queue: asyncio.Queue[Item | None] = asyncio.Queue(maxsize=self.workers * 4)
        state = {"in_flight": 0, "delayed": 0, "handled": 0}
        stop = asyncio.Event()
        holding: set[int] = set()  # owed rows this pass has in hand (queued in memory, in flight, delayed)

        waiting: set[asyncio.Task[None]] = set()

        def later(item: Item, delay: float) -> None:
            """Back into this pass's queue after `delay` (the row is `queued` in the database meanwhile,
            so a restart picks it up too)."""
            state["delayed"] += 1

            async def put_back() -> None:
                try:
                    await asyncio.sleep(delay)
                    await queue.put(item)
                finally:
                    state["delayed"] -= 1

            task = asyncio.get_running_loop().create_task(put_back())
            waiting.add(task)
            task.add_done_callback(waiting.discard)

        async def feed() -> None:
            last = 0
            while not stop.is_set() and self.held:
                async with self.db.session() as session:
                    owed = await ob.queued_direct(session, holding, self.page)
                for item in owed:
                    holding.add(item[0])
                    await queue.put(item)
                rows: list = []
                if broadcast_id is not None:  # small pages, so owed rows never wait long behind a broadcast
                    async with self.db.session() as session:
                        rows = await bc.queued_page(session, broadcast_id, last, min(self.page, 50))
                    for delivery_id, chat_id in rows:
                        await queue.put((delivery_id, chat_id, broadcast_id))
                        last = delivery_id
                if owed or rows:
                    continue
                if state["delayed"] == 0 and state["in_flight"] == 0 and queue.empty():
                    break
                await asyncio.sleep(0.1)
            for _ in range(self.workers):
                await queue.put(None)

        async def work() -> None:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if stop.is_set():
                    continue
                state["in_flight"] += 1
                try:
                    if not await self._send_row(item, later) and item[2] is None:
                        holding.discard(item[0])
                    state["handled"] += 1
                finally:
                    state["in_flight"] -= 1

        async def watch() -> None:
            last_edit = 0.0
            while not stop.is_set():
                await asyncio.sleep(min(1.0, self.progress_every))
                if not self.held:
                    stop.set()
                    return
                if broadcast_id is None:
                    continue
                if await self._is_cancelled(broadcast_id):
                    stop.set()
                    return
                if time.monotonic() - last_edit >= self.progress_every:
                    last_edit = time.monotonic()
                    await self._report(broadcast_id, final=False)

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.gather(feed(), *(work() for _ in range(self.workers)))
        finally:
            stop.set()
            for task in (watcher, *waiting):
                task.cancel()
            await asyncio.gather(watcher, *waiting, return_exceptions=True)
        if state["handled"] and self.held:
            async with self.db.session() as session, session.begin():
                await ob.report_finished_batches(session)
        if broadcast_id is not None and self.held:
            async with self.db.session() as session, session.begin():
                broadcast = await bc.finish(session, broadcast_id)
                finished = broadcast is not None and broadcast.status in bc.FINAL
                if finished:  # the final report is owed with the finish: a crash cannot lose it
                    await self._owe_final_report(session, broadcast)
            if finished:
                await self._report(broadcast_id, final=True)
        return state["handled"]

    async def _owe_final_report(self, session, broadcast: Broadcast) -> None:  # type: ignore[no-untyped-def]
        if broadcast.status_chat_id is None:
            return
        p = await bc.progress(session, broadcast)
        resend = resend_markup(broadcast.id, p.interrupted) if p.interrupted and broadcast.status != "cancelled" else None
        staff = await ident.person_for(session, ident.TELEGRAM, broadcast.status_chat_id)
        await ob.owe(session, staff, final_text(p), kind=ob.REPORT, channel=ident.TELEGRAM, html=False, buttons=choices(resend),
                     ref=f"broadcast:{broadcast.id}", key=f"broadcast-final:{broadcast.id}:{bc.beijing(broadcast.finished_at)}:{p.interrupted}")

    async def _is_cancelled(self, broadcast_id: int) -> bool:
        if broadcast_id in self._cancelled:
            return True
        async with self.db.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
        return broadcast is None or broadcast.status == "cancelled"

    async def _send_row(self, item: Item, later) -> bool:  # type: ignore[no-untyped-def]
        """One row through to its answer; True if it went back in the queue for a retry."""
        delivery_id, chat_id, broadcast_id = item
        async with self.db.session() as session:
            payload = await session.get(Broadcast, broadcast_id) if broadcast_id is not None \
                else await session.get(Delivery, delivery_id)
        if payload is None:
            return False
        claim = _Claim(self.lock, delivery_id)
        status, message_id, error, retry_in, refund = "sent", None, None, None, False
        try:
            if not isinstance(self.bot.rate_limiter, PacedRateLimiter):
                await claim.before_send()  # no hook support: claim before the request instead
            if broadcast_id is not None:
                message_id = (await self._send(payload, chat_id, claim)).message_id
            else:
                await self._send_owed(payload, chat_id, claim)
                message_id = claim.message_ids[0]
        except _NotQueued:  # cancelled meanwhile, another sender has it, or our lease is gone
            await self._check_lease_after_refusal(delivery_id)
            return False
        except RetryAfter as exc:  # Telegram said "later": back in the queue, no attempt spent
            status, refund, retry_in = "queued", True, retry_seconds(exc)
        except Forbidden as exc:
            status, error = "unreachable", str(exc)
        except BadRequest as exc:
            gone = "chat not found" in str(exc).lower() or "user is deactivated" in str(exc).lower()
            status, error = ("unreachable" if gone else "failed"), str(exc)
        except NetworkError as exc:  # 5xx and network errors (TimedOut is one): retry with backoff
            if claim.attempt >= self.max_attempts:
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            else:
                status, retry_in = "queued", self.backoff[min(claim.attempt - 1, len(self.backoff) - 1)]
        except TelegramError as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        except (OSError, ValueError) as exc:  # e.g. the attachment can no longer be read
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        if claim.message_ids and status != "sent":  # a long message half out: never send its start twice
            status, message_id, error = "failed", claim.message_ids[0], f"partly sent: {error or status}"
        if not claim.attempt:  # failed before it went out (e.g. an unreadable attachment)
            try:
                await claim.before_send()
            except _NotQueued:
                return False
        async with self.db.session() as session, session.begin():
            if status == "queued":
                await ob.requeue(session, delivery_id, refund=refund, owner=self.owner)
            else:
                await ob.settle(session, delivery_id, status, message_id, error, owner=self.owner,
                                message_ids=claim.message_ids, staff=self.staff, broadcast=broadcast_id is not None)
            if status == "unreachable":
                await repo.mark_unreachable(session, chat_id)
        if status == "queued":
            later(item, float(retry_in or 0.0))
            return True
        return False

    async def _check_lease_after_refusal(self, delivery_id: int) -> None:
        """A claim refused on a row still queued means the lease is not ours any more: stop this
        pass (the heartbeat finds out whether to resume) instead of offering the row again and again."""
        async with self.db.session() as session:
            row = await session.get(Delivery, delivery_id)
        if row is not None and row.status == "queued":
            log.warning("sender lease not held any more; pausing until the heartbeat settles it")
            self.held = False

    async def _send_owed(self, row: Delivery, chat_id: int, claim: _Claim) -> None:
        """An owed message: its text (split to Telegram's limit), buttons on the last piece."""
        markup = None
        if row.buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in line]
                                           for line in row.buttons])
        text = row.text or ""
        pieces = split_message(text) if row.parse_mode == "HTML" else \
            [text[i:i + 4096] for i in range(0, len(text), 4096)] or [""]
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            message = await self.bot.send_message(chat_id, piece, parse_mode=row.parse_mode,
                                                  reply_markup=markup if last else None, rate_limit_args=claim)
            claim.message_ids.append(message.message_id)

    async def _send(self, broadcast: Broadcast, chat_id: int, claim: _Claim):  # type: ignore[no-untyped-def]
        if broadcast.document_file_id is None and broadcast.document_path is None:
            return await self.bot.send_message(chat_id, broadcast.text, parse_mode="HTML", rate_limit_args=claim)
        if broadcast.document_file_id is None:
            async with self._upload_lock:  # upload the file once, then send Telegram's file id
                async with self.db.session() as session:
                    fresh = await session.get(Broadcast, broadcast.id)
                if fresh.document_file_id is None:
                    path = Path(broadcast.document_path)
                    message = await self.bot.send_document(chat_id, path.read_bytes(),
                                                           filename=broadcast.document_name or path.name,
                                                           caption=broadcast.text, parse_mode="HTML",
                                                           rate_limit_args=claim)
                    async with self.db.session() as session, session.begin():
                        stored = await session.get(Broadcast, broadcast.id)
                        stored.document_file_id = message.document.file_id
                    return message
                broadcast = fresh
        return await self.bot.send_document(chat_id, broadcast.document_file_id, caption=broadcast.text,
                                            parse_mode="HTML", rate_limit_args=claim)

    # -- progress for staff ------------------------------------------------------------------------

    async def _report(self, broadcast_id: int, final: bool) -> None:
        async with self.db.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
            if broadcast is None:
                return
            p = await bc.progress(session, broadcast)
        if broadcast.status_chat_id is None:
            return
        text = progress_text(broadcast, p)
        markup = None if p.done else cancel_markup(broadcast.id)
        try:
            if broadcast.status_message_id is not None:  # (the final report itself is an outbox row)
                await self.bot.edit_message_text(text, broadcast.status_chat_id, broadcast.status_message_id,
                                                 parse_mode="HTML", reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("broadcast #%s progress not shown: %s", broadcast_id, exc)
        except TelegramError as exc:
            log.info("broadcast #%s progress not shown: %s", broadcast_id, exc)


class _NotQueued(Exception):
    """The row is no longer queued: the request must not go out."""


class _Claim(SendHook):
    """Claims the delivery row (queued → sending) right before its request goes out — once, and
    only while this sender holds the lock; `attempt` is the attempt number it was given."""

    def __init__(self, lock: sl.SenderLock, delivery_id: int) -> None:
        self.lock, self.delivery_id, self.attempt = lock, delivery_id, 0
        self.message_ids: list[int] = []

    async def before_send(self) -> None:
        if self.attempt:
            return
        attempt = await self.lock.claim(self.delivery_id)
        if attempt is None:
            raise _NotQueued(self.delivery_id)
        self.attempt = attempt


def cancel_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BROADCAST_CANCEL_BUTTON, callback_data=f"bx:{broadcast_id}")]])


def resend_markup(broadcast_id: int, count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BROADCAST_RESEND_BUTTON.format(count=count),
                                                       callback_data=f"br:{broadcast_id}")]])


def progress_text(broadcast: Broadcast, p: bc.Progress) -> str:
    from bot.render import html

    state = texts.BROADCAST_STATES.get(p.status, p.status)
    if p.status == "scheduled":
        state += f"（{texts.BEIJING_TIME.format(time=bc.beijing(broadcast.scheduled_at))}）"
    text = html(texts.BROADCAST_PROGRESS, id=broadcast.id, segment=bc.segment_label(broadcast.segment),
                                           state=state, sent=p.sent, failed=p.failed, unreachable=p.unreachable,
                                           remaining=p.remaining, total=p.total)
    if p.interrupted:
        text += texts.BROADCAST_INTERRUPTED.format(count=p.interrupted)
    return text


def final_text(p: bc.Progress) -> str:
    text = texts.BROADCAST_FINAL.format(id=p.broadcast_id, sent=p.sent, failed=p.failed, unreachable=p.unreachable,
                                        cancelled=p.cancelled, total=p.total)
    if p.interrupted:
        text += texts.BROADCAST_INTERRUPTED.format(count=p.interrupted)
    return text
