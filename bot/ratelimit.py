"""The bot's one rate limiter: every request to Telegram passes here.

Like PTB's `AIORateLimiter` it keeps the bot under Telegram's ~30 messages a second and, on a
429, holds *every* request for the `retry_after` Telegram asked, then retries. Two differences
matter for broadcasts:

* Sends are paced smoothly (one every 1/30 s), not in bursts of 30: after a pause the bot
  resumes at the rate instead of all at once.
* A request may carry a `SendHook` (as `rate_limit_args`): its `before_send()` runs after the
  pause and the pacing, immediately before the HTTP request. The broadcaster claims its
  delivery row there, so a row is `sending` only while its request is really on the wire — a
  crash can catch at most the requests in flight, not the ones queued behind a pause. A
  hooked request is not retried here: its 429 goes back to the caller (who requeues the row).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)
PAUSE_MARGIN = 0.05  # seconds added to every retry_after (PTB's AIORateLimiter adds 0.1)


class SendHook:
    """Runs right before a request goes out; raise to stop it."""

    async def before_send(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class PacedRateLimiter(BaseRateLimiter[Any]):
    def __init__(self, per_second: float = 30.0, group_interval: float = 3.0, max_retries: int = 3) -> None:
        self.interval = 1.0 / per_second
        self.group_interval = group_interval  # Telegram: ~20 messages a minute in one group
        self.max_retries = max_retries
        self._next_at = 0.0
        self._resume_at = 0.0
        self._group_next: dict[int | str, float] = {}
        self.paused_total = 0.0  # seconds of 429 pauses taken, for reports

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (from now), as a 429 asks."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if until > self._resume_at:
            self.paused_total += until - max(self._resume_at, loop.time())
            self._resume_at = until

    async def _wait_turn(self, chat_id: object) -> None:
        loop = asyncio.get_running_loop()
        while (wait := self._resume_at - loop.time()) > 0:
            await asyncio.sleep(wait)
        if chat_id is None:
            return
        now = loop.time()
        at = max(now, self._next_at)
        if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0):
            at = max(at, self._group_next.get(chat_id, 0.0))
            self._group_next[chat_id] = at + self.group_interval
        self._next_at = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
        if self._resume_at > loop.time():  # a 429 arrived while we waited: wait it out too
            await self._wait_turn(chat_id)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        hook = rate_limit_args if isinstance(rate_limit_args, SendHook) else None
        retries = 0 if hook else (rate_limit_args if isinstance(rate_limit_args, int) else self.max_retries)
        attempt = 0
        while True:
            await self._wait_turn(chat_id)
            if hook is not None:
                await hook.before_send()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                # retry_after counts from when Telegram answered; we read it a round trip later,
                # so waiting exactly that long (plus a hair) already errs on the safe side.
                self.pause(retry_seconds(exc) + PAUSE_MARGIN)
                if attempt >= retries:
                    raise
                attempt += 1
                log.info("429 on %s: all requests paused %.1f s (retry %d/%d)", endpoint, retry_seconds(exc), attempt, retries)


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version gives (int now, timedelta later)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = exc.retry_after
    return float(wait if isinstance(wait, (int, float)) else wait.totalretry_seconds())
