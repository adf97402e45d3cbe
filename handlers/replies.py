"""Telegram calls decided inside a database transaction, made once it has committed.

A network call inside a transaction holds SQLite's write lock (and PostgreSQL's row locks)
for as long as Telegram takes to answer — every other writer, in this process or another,
waits meanwhile. A handler that decides what to say while it writes queues the calls here
and they run after the commit; if the transaction fails, nothing is said:

    async with AfterCommit() as later, services.db.session() as session, session.begin():
        ...
        later(send_html, context, chat_id, text, markup)
        later(query.answer, texts.BROADCAST_STALE, show_alert=True)

`AfterCommit` is entered first, so it exits last: after `session.begin()` has committed and
the session has returned its connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


class AfterCommit:
    def __init__(self) -> None:
        self._calls: list[tuple[Callable[..., Awaitable[Any]], tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> None:
        """Queue `await call(*args, **kwargs)`; the arguments are taken now, as the decision saw them."""
        self._calls.append((call, args, kwargs))

    async def __aenter__(self) -> AfterCommit:
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> bool:
        calls, self._calls = self._calls, []
        if exc_type is None:  # committed: say what was decided, in order
            for call, args, kwargs in calls:
                await call(*args, **kwargs)
        return False
