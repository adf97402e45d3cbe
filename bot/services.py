"""The services handlers use, opened once per process and handed over through the context."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from telegram.ext import Application, BaseUpdateProcessor, CallbackContext, ExtBot

from bot.settings import Settings
from knowledge.answers import Answerer
from knowledge.matching import MatchIndex
from knowledge.service import KnowledgeBase
from store.db import Database
from store import identities as ident
from store import repositories as repo

SERVICES_KEY = "tepai.services"


# Where the running Application keeps its outbox sender (bot/app.py puts it there).
BROADCASTER_KEY = "broadcaster"

class FloodGuard:
    """More than `limit` messages a minute: told once to slow down, then ignored for a minute."""

    def __init__(self, limit: int, window: float = 60.0, penalty: float = 60.0) -> None:
        self.limit, self.window, self.penalty = limit, window, penalty
        self._seen: dict[int, deque[float]] = defaultdict(deque)
        self._muted_until: dict[int, float] = {}

    def check(self, user_id: int, now: float | None = None) -> str:
        """'ok', 'warn' (first message over the limit) or 'drop'."""
        now = time.monotonic() if now is None else now
        if self._muted_until.get(user_id, 0.0) > now:
            return "drop"
        seen = self._seen[user_id]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        seen.append(now)
        if len(seen) > self.limit:
            self._muted_until[user_id] = now + self.penalty
            seen.clear()
            return "warn"
        return "ok"


@dataclass
class Services:
    settings: Settings
    db: Database
    knowledge: KnowledgeBase
    answerer: Answerer
    flood: FloodGuard
    index_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _matcher: MatchIndex | None = None

    @property
    def matcher(self) -> MatchIndex:
        """Specialist vectors, in the same Chroma as the policy index."""
        if self._matcher is None:
            self._matcher = MatchIndex.open(self.knowledge.embeddings, self.knowledge.client, self.settings.embedding)
        return self._matcher

    async def is_staff(self, telegram_id: int) -> bool:
        """Whether this Telegram user is staff: in TEPAI_STAFF_IDS, or their person was granted."""
        if telegram_id in self.settings.staff_ids:
            return True
        async with self.db.session() as session:
            person = await ident.person_for(session, ident.TELEGRAM, telegram_id, create=False)
            return person is not None and await repo.is_granted_staff(session, person.id)

    async def staff_chat_ids(self) -> list[int]:
        """Staff's Telegram chats: TEPAI_STAFF_IDS and the Telegram ids of granted people."""
        async with self.db.session() as session:
            granted = {await ident.telegram_id_of(session, g.user_id) for g in await repo.list_staff(session)}
        return sorted(self.settings.staff_ids | (granted - {None}))


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Different users are served concurrently; one user's updates run in order.

    A double tap on a survey button, or two quick answers, must not race on the same draft.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        # PTB's own semaphore would be taken *before* the user's lock: 300 presses from one user
        # then hold every slot while they queue for that user, and everyone else waits behind
        # them. So PTB's bound is lifted, and ours is taken only once it is this update's turn.
        super().__init__(1_000_000)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = getattr(update, "effective_user", None)
        if user is None:
            async with self._slots:
                await coroutine
            return
        async with self._locks[user.id], self._slots:
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class TepaiContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Handlers' context: `context.services` is typed, no casting of bot_data. One context serves
    every handler of an update: `person_id` is the sender's person, resolved once per update
    (handlers/common.py `track_user`)."""

    person_id: int | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]


def services_of(application: Application) -> Services:
    return application.bot_data[SERVICES_KEY]
