"""What tests and benchmarks use to look at the bot: its messages, keyboards,
commands, request log -- and to wait for it, from any event loop or thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from .models import AnsweredCallback, SentMessage, buttons_of
from .users import UserSimulation

Predicate = Callable[[SentMessage], bool] | str | None


class Observation(UserSimulation):
    _thread: threading.Thread | None
    _in_flight: int
    handling: Callable[[], bool] | None

    # ================================================================== observation

    def messages(self, chat_id: int, *, include_deleted: bool = True) -> list[SentMessage]:
        """The bot's messages in a chat, oldest first (live objects, kept up to date)."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                return []
            return [m for m in chat.bot_messages if include_deleted or not m.deleted]

    def last_message(self, chat_id: int) -> SentMessage | None:
        current = self.messages(chat_id, include_deleted=False)
        return current[-1] if current else None

    @staticmethod
    def buttons(message: SentMessage | dict[str, Any] | None) -> list[tuple[str, str | None]]:
        """Flat list of (text, callback_data or url) of a message's keyboard."""
        if message is None:
            return []
        if isinstance(message, SentMessage):
            return buttons_of(message.reply_markup)
        return buttons_of(message.get("reply_markup", message))

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by getUpdates (or delivered to the webhook)."""
        with self._lock:
            return [dict(u) for u in self._updates]

    def request_count(self, method: str | None = None, chat_id: int | None = None,
                      status: int | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method.lower() == method.lower())
                       and (chat_id is None or r.chat_id == chat_id)
                       and (status is None or r.status == status))

    def _commands_scope_key(self, scope: Any) -> str:
        if isinstance(scope, int):
            scope = {"type": "chat", "chat_id": scope}
        elif scope is not None and hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        return self._scope_key(scope)

    def commands(self, scope: Any = None, language_code: str = "") -> list[dict[str, Any]]:
        """Commands stored for exactly this scope (dict, PTB BotCommandScope, or a chat id)."""
        with self._lock:
            key = self._commands_scope_key(scope)
            return [dict(c) for c in self._commands.get((key, language_code), [])]

    def effective_commands(self, chat_id: int, language_code: str | None = None,
                           ) -> list[dict[str, Any]]:
        """The command menu a user would see in their private chat with the bot."""
        with self._lock:
            chat = self._chats.get(chat_id)
            lang = language_code if language_code is not None else (
                (chat.user.get("language_code") or "")[:2] if chat else "")
            for key in (f"chat:{chat_id}", "all_private_chats", "default"):
                for code in ((lang, "") if lang else ("",)):
                    found = self._commands.get((key, code))
                    if found:
                        return [dict(c) for c in found]
            return []

    # ================================================================== waiting

    def _message_check(self, chat_id: int, predicate: Predicate, after: int | None,
                       ) -> Callable[[], SentMessage | None]:
        if predicate is None:
            def match(m: SentMessage) -> bool:
                return True
        elif isinstance(predicate, str):
            needle = predicate

            def match(m: SentMessage) -> bool:
                return needle in (m.plain_text or "") or needle in (m.text or "")
        else:
            match = predicate
        with self._lock:
            start = len(self._events)

        def check() -> SentMessage | None:
            if after is not None:
                chat = self._chats.get(chat_id)
                for m in (chat.bot_messages[after:] if chat else []):
                    if not m.deleted and match(m):
                        return m
            for m in self._events[start:]:
                if m.chat_id == chat_id and not m.deleted and match(m):
                    return m
            return None
        return check

    def _timeout_message(self, chat_id: int, timeout: float) -> str:
        recent = [(m.message_id, (m.plain_text or "")[:60]) for m in self.messages(chat_id)[-3:]]
        return f"no matching bot message in chat {chat_id} within {timeout}s; latest: {recent}"

    async def wait_for_message(self, chat_id: int, predicate: Predicate = None,
                               timeout: float = 10.0, after: int | None = None) -> SentMessage:
        """First bot message in ``chat_id`` sent or edited after this call that matches.

        ``predicate``: callable on SentMessage, or a substring of the text.
        ``after=n`` also accepts already-sent messages from index n of
        ``messages(chat_id)`` on (use ``n = len(emu.messages(chat))`` taken before
        the user acted, to be race-free).  Raises TimeoutError.  Works from any
        event loop or thread.
        """
        result = await self._wait_until(self._message_check(chat_id, predicate, after), timeout)
        if result is None:
            raise TimeoutError(self._timeout_message(chat_id, timeout))
        return result

    def wait_for_message_sync(self, chat_id: int, predicate: Predicate = None,
                              timeout: float = 10.0, after: int | None = None) -> SentMessage:
        """Blocking variant for threads (never call it on the emulator's own loop)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is self._loop:
            raise RuntimeError("wait_for_message_sync would block the emulator's own loop")
        result = self._wait_until_sync(self._message_check(chat_id, predicate, after), timeout)
        if result is None:
            raise TimeoutError(self._timeout_message(chat_id, timeout))
        return result

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 10.0,
                                       ) -> AnsweredCallback:
        def check() -> AnsweredCallback | None:
            return next((a for a in self.answered_callbacks
                         if a.callback_query_id == callback_query_id), None)
        result = await self._wait_until(check, timeout)
        if result is None:
            raise TimeoutError(f"callback query {callback_query_id} was not answered")
        return result

    async def wait_until_idle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until every update was consumed, no call is in flight, the bot has made no
        API call for ``quiet`` seconds (long polls don't count) and, where it says so
        (``handling``), it is handling no update."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                idle = (self._in_flight == 0 and not self._updates
                        and time.monotonic() - self._last_activity >= quiet)
            idle = idle and not (self.handling is not None and self.handling())
            if idle:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"emulator not idle after {timeout}s "
                                   f"({len(self._updates)} updates pending, "
                                   f"{self._in_flight} calls in flight)")
            await asyncio.sleep(min(0.02, quiet / 2))
