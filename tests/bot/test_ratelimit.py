"""The bot's rate limiter: pacing order, 429 pauses for everyone, hooks right before the request."""

from __future__ import annotations

import asyncio

import pytest
from telegram.error import RetryAfter

from bot.ratelimit import PAUSE_MARGIN, PacedRateLimiter, SendHook


class Recorder(SendHook):
    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def before_send(self) -> None:
        self.log.append("claim")


async def test_a_hook_runs_after_the_pause_and_right_before_the_request_and_is_not_retried() -> None:
    limiter = PacedRateLimiter(per_second=1000)
    log: list[str] = []

    async def refused() -> dict:
        log.append("request")
        raise RetryAfter(0)

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 1}, Recorder(log))
    assert log == ["claim", "request"]  # no retry for a hooked request: its caller requeues it
    assert limiter.paused_total > 0  # …but everyone waits out the pause


async def test_other_requests_retry_after_the_pause_until_their_retries_run_out() -> None:
    limiter = PacedRateLimiter(per_second=1000, max_retries=2)
    calls: list[float] = []

    async def flaky() -> dict:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) < 3:
            raise RetryAfter(0)
        return {"ok": True}

    assert await limiter.process_request(flaky, (), {}, "sendMessage", {"chat_id": 1}, None) == {"ok": True}
    gap = PAUSE_MARGIN  # RetryAfter(0): the pause is the margin alone
    assert len(calls) == 3 and calls[1] - calls[0] >= gap and calls[2] - calls[1] >= gap  # each waited its pause
    calls.clear()

    async def always() -> dict:
        calls.append(0.0)
        raise RetryAfter(0)

    with pytest.raises(RetryAfter):
        await limiter.process_request(always, (), {}, "sendMessage", {"chat_id": 1}, None)
    assert len(calls) == 3


async def test_requests_go_out_in_order_one_slot_each_and_polling_is_not_paced() -> None:
    limiter = PacedRateLimiter(per_second=200)
    order: list[int] = []

    def send(n: int):  # type: ignore[no-untyped-def]
        async def call() -> dict:
            order.append(n)
            return {}
        return call

    loop = asyncio.get_running_loop()
    start = loop.time()
    await asyncio.gather(*(limiter.process_request(send(n), (), {}, "sendMessage", {"chat_id": n}, None)
                           for n in range(10)))
    assert order == list(range(10))
    assert limiter._next_at >= start + 10 / 200  # ten slots were handed out, one after another
    before = limiter._next_at
    await limiter.process_request(send(99), (), {}, "getUpdates", {}, None)
    assert limiter._next_at == before
