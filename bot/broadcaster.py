"""The single sender of staff announcements, running inside the bot process.

It works through one broadcast's delivery rows at a time, a page at a time (memory stays flat
however many recipients), with a few workers whose requests all pass through the bot's rate
limiter (bot/ratelimit.py: ~30 messages/s, paced; a 429 pauses every request as Telegram
asked). Per row: claimed queued → sending in the database by the limiter's hook immediately
before its HTTP request, then sent (with the Telegram message id) / unreachable (403, or the
chat is gone: the person is marked unreachable and left out of later broadcasts until they
write again) / failed (with the reason). 5xx and network errors are retried with backoff; a
429 puts the row back in the queue without spending an attempt.

What survives a crash is in the database: queued rows and scheduled broadcasts resume on the
next start; a row caught mid-send is never resent (store/broadcasts.py explains why).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import texts
from bot.ratelimit import PacedRateLimiter, SendHook, retry_seconds
from store import broadcasts as bc
from store import repositories as repo
from store.db import Database
from store.models import Broadcast

log = logging.getLogger(__name__)


class Broadcaster:
    def __init__(self, bot: Bot, db: Database, *, workers: int = 4, page: int = 200, poll: float = 1.0,
                 progress_every: float = 5.0, backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0),
                 max_attempts: int = 5, staff: frozenset[int] = frozenset()) -> None:
        self.bot, self.db, self.staff = bot, db, staff
        self.workers, self.page, self.poll = workers, page, poll
        self.progress_every, self.backoff, self.max_attempts = progress_every, backoff, max_attempts
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._cancelled: set[int] = set()
        self._upload_lock = asyncio.Lock()
        self.recovered = 0

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        async with self.db.session() as session, session.begin():
            self.recovered = await bc.recover(session)
        if self.recovered:
            log.warning("%d deliveries were mid-send at the last stop: marked failed (interrupted), not resent",
                        self.recovered)
        self._task = asyncio.create_task(self._run(), name="tepai-broadcaster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Something was queued or cancelled: look now rather than at the next poll."""
        self._wake.set()

    def cancelled(self, broadcast_id: int) -> None:
        self._cancelled.add(broadcast_id)
        self.wake()

    async def _run(self) -> None:
        while True:
            try:
                async with self.db.session() as session, session.begin():
                    broadcast = await bc.next_due(session, staff=self.staff)
                    if broadcast is not None and broadcast.status == "queued":
                        broadcast.status, broadcast.started_at = "sending", broadcast.started_at or bc.utcnow()
                if broadcast is None:
                    self._wake.clear()
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll)
                    continue
                await self._deliver(broadcast.id)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end broadcasting for good
                log.exception("broadcaster error; retrying shortly")
                await asyncio.sleep(self.poll)

    # -- one broadcast -----------------------------------------------------------------------------

    async def _deliver(self, broadcast_id: int) -> None:
        queue: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue(maxsize=self.workers * 4)
        state = {"in_flight": 0, "delayed": 0}
        stop = asyncio.Event()

        waiting: set[asyncio.Task[None]] = set()

        def later(item: tuple[int, int], delay: float) -> None:
            """Back into this run's queue after `delay` (the row is `queued` in the database meanwhile,
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
            while not stop.is_set():
                async with self.db.session() as session:
                    rows = await bc.queued_page(session, broadcast_id, last, self.page)
                for row in rows:
                    await queue.put(row)
                    last = row[0]
                if rows:
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
                    await self._send_row(broadcast_id, item, later)
                finally:
                    state["in_flight"] -= 1

        async def watch() -> None:
            last_edit = 0.0
            while not stop.is_set():
                await asyncio.sleep(min(1.0, self.progress_every))
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
        async with self.db.session() as session, session.begin():
            broadcast = await bc.finish(session, broadcast_id)
        if broadcast is not None and broadcast.status in bc.FINAL:
            await self._report(broadcast_id, final=True)

    async def _is_cancelled(self, broadcast_id: int) -> bool:
        if broadcast_id in self._cancelled:
            return True
        async with self.db.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
        return broadcast is None or broadcast.status == "cancelled"

    async def _send_row(self, broadcast_id: int, item: tuple[int, int], later) -> None:  # type: ignore[no-untyped-def]
        delivery_id, chat_id = item
        async with self.db.session() as session:
            broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return
        claim = _Claim(self.db, delivery_id)
        status, message_id, error, retry_in, refund = "sent", None, None, None, False
        try:
            if not isinstance(self.bot.rate_limiter, PacedRateLimiter):
                await claim.before_send()  # no hook support: claim before the request instead
            message = await self._send(broadcast, chat_id, claim)
            message_id = message.message_id
        except _NotQueued:  # cancelled meanwhile, or another sender has it
            return
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
        if not claim.attempt:  # failed before it went out (e.g. an unreadable attachment)
            try:
                await claim.before_send()
            except _NotQueued:
                return
        async with self.db.session() as session, session.begin():
            if status == "queued":
                await bc.requeue(session, delivery_id, refund=refund)
            else:
                await bc.settle(session, delivery_id, status, message_id, error)
            if status == "unreachable":
                await repo.mark_unreachable(session, chat_id)
        if status == "queued":
            later(item, float(retry_in or 0.0))

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
            if broadcast.status_message_id is not None:
                await self.bot.edit_message_text(text, broadcast.status_chat_id, broadcast.status_message_id,
                                                 parse_mode="HTML", reply_markup=markup)
            if final:
                resend = resend_markup(broadcast.id, p.interrupted) \
                    if p.interrupted and broadcast.status != "cancelled" else None
                await self.bot.send_message(broadcast.status_chat_id, final_text(p), reply_markup=resend)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                log.info("broadcast #%s progress not shown: %s", broadcast_id, exc)
        except TelegramError as exc:
            log.info("broadcast #%s progress not shown: %s", broadcast_id, exc)


class _NotQueued(Exception):
    """The row is no longer queued: the request must not go out."""


class _Claim(SendHook):
    """Claims the delivery row (queued → sending) right before its request goes out; once —
    `attempt` is the attempt number it was given."""

    def __init__(self, db: Database, delivery_id: int) -> None:
        self.db, self.delivery_id, self.attempt = db, delivery_id, 0

    async def before_send(self) -> None:
        if self.attempt:
            return
        async with self.db.session() as session, session.begin():
            attempt = await bc.claim(session, self.delivery_id)
        if attempt is None:
            raise _NotQueued(self.delivery_id)
        self.attempt = attempt


def cancel_markup(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BROADCAST_CANCEL_BUTTON, callback_data=f"bx:{broadcast_id}")]])


def resend_markup(broadcast_id: int, count: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.BROADCAST_RESEND_BUTTON.format(count=count),
                                                       callback_data=f"br:{broadcast_id}")]])


def progress_text(broadcast: Broadcast, p: bc.Progress) -> str:
    from bot.render import esc

    state = texts.BROADCAST_STATES.get(p.status, p.status)
    if p.status == "scheduled":
        state += f"（{texts.BEIJING_TIME.format(time=bc.beijing(broadcast.scheduled_at))}）"
    text = texts.BROADCAST_PROGRESS.format(id=broadcast.id, segment=esc(bc.segment_label(broadcast.segment)),
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
