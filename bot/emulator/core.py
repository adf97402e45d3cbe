"""Shared state of the emulator: users/chats, messages, files, the update queue.

All state lives behind one ``threading.RLock`` so that the aiohttp handlers (on
the server's loop) and user-simulation calls (from a test, maybe on another
thread or event loop) can both touch it.  Waiters -- long-polling getUpdates,
``wait_for_message`` in any loop, sync waiters -- are woken by ``_notify()``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .models import AnsweredCallback, ApiError, Fault, FileRecord, RequestRecord, SentMessage

T = TypeVar("T")

# Update types delivered when allowed_updates was never set (or set to []).
DEFAULT_UPDATE_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
    "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_join_request",
    "chat_boost", "removed_chat_boost",
})


@dataclass
class ChatState:
    """A private chat between the bot and one user (chat id == user id)."""

    user: dict[str, Any]
    blocked: bool = False
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # all messages, raw JSON
    bot_messages: list[SentMessage] = field(default_factory=list)
    bot_index: dict[int, SentMessage] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def chat(self) -> dict[str, Any]:
        chat = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
        for key in ("last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid

    def bot_message(self, message_id: int) -> SentMessage | None:
        return self.bot_index.get(message_id)


class EmulatorCore:
    """State + synchronisation; subclasses add the HTTP API and user simulation."""

    def __init__(self, token: str, bot_username: str, *, seed: int = 0,
                 strict_html: bool = True, strict_chats: bool = True):
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            raise ValueError("token must look like '<digits>:<secret>'")
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.strict_html = strict_html
        self.strict_chats = strict_chats
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._chats: dict[int, ChatState] = {}
        self._files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(100_000_001)
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._events: list[SentMessage] = []  # every send/edit of a bot message, in order
        self._callbacks: dict[str, dict[str, Any]] = {}  # id -> {"answered": bool, ...}
        self._counter = itertools.count(1)
        self._rng = random.Random(seed)
        self._seed = seed
        self._faults: list[Fault] = []
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._bot_settings: dict[tuple[str, str], Any] = {}
        self.answered_callbacks: list[AnsweredCallback] = []
        self.requests: list[RequestRecord] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self._closing = False
        self._last_activity = time.monotonic()

    # ------------------------------------------------------------------ basics

    @property
    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Tepai",
                "username": self.bot_username}

    @staticmethod
    def _now() -> int:
        return int(time.time())

    def _next_token(self, prefix: str, length: int = 24) -> str:
        n = next(self._counter)
        tail = "".join(self._rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_") for _ in range(length))
        return f"{prefix}{n:06d}{tail}"

    def _ensure_user(self, user_id: int, *, first_name: str | None = None,
                     username: str | None = None, language_code: str | None = None,
                     ) -> ChatState:
        with self._lock:
            chat = self._chats.get(user_id)
            if chat is None:
                chat = ChatState(user={"id": user_id, "is_bot": False,
                                       "first_name": first_name or "用户",
                                       "language_code": language_code or "zh-hans"})
                self._chats[user_id] = chat
            if first_name is not None:
                chat.user["first_name"] = first_name
            if username is not None:
                chat.user["username"] = username
            if language_code is not None:
                chat.user["language_code"] = language_code
            return chat

    def _resolve_chat(self, chat_id: Any) -> ChatState:
        """Find the chat for a chat_id parameter (int or '@username')."""
        with self._lock:
            if isinstance(chat_id, str) and chat_id.startswith("@"):
                for chat in self._chats.values():
                    if chat.user.get("username", "").lower() == chat_id[1:].lower():
                        return chat
                raise ApiError.bad_request("chat not found")
            try:
                cid = int(chat_id)
            except (TypeError, ValueError):
                raise ApiError.bad_request("chat not found") from None
            chat = self._chats.get(cid)
            if chat is None:
                if self.strict_chats or cid <= 0:
                    raise ApiError.bad_request("chat not found")
                chat = self._ensure_user(cid)
            return chat

    # ------------------------------------------------------------------ files

    def _store_file(self, data: bytes | None, *, filename: str | None, mime_type: str | None,
                    kind: str) -> FileRecord:
        with self._lock:
            prefix = {"document": "BQACAgIAAxkBAA", "photo": "AgACAgIAAxkBAA",
                      "voice": "AwACAgIAAxkBAA", "sticker": "CAACAgIAAxkBAA"}.get(
                          kind, "BAACAgIAAxkBAA")
            rec = FileRecord(file_id=self._next_token(prefix, 40),
                             file_unique_id=self._next_token("AQAD", 8),
                             data=data, filename=filename, mime_type=mime_type, kind=kind)
            self._files[rec.file_id] = rec
            return rec

    def _file_path_for(self, rec: FileRecord) -> str:
        with self._lock:
            if rec.file_path is None:
                folder = {"photo": "photos", "voice": "voice", "sticker": "stickers",
                          "document": "documents"}.get(rec.kind, rec.kind + "s")
                ext = ""
                if rec.filename and "." in rec.filename:
                    ext = "." + rec.filename.rsplit(".", 1)[1]
                elif rec.kind == "photo":
                    ext = ".jpg"
                elif rec.kind == "voice":
                    ext = ".oga"
                elif rec.kind == "sticker":
                    ext = ".webp"
                rec.file_path = f"{folder}/file_{len(self._files_by_path)}{ext}"
                self._files_by_path[rec.file_path] = rec
            return rec.file_path

    # ------------------------------------------------------------------ updates

    def _enqueue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            self._updates.append(update)
            self._last_activity = time.monotonic()
        self._notify()
        return update

    @staticmethod
    def _update_kind(update: dict[str, Any]) -> str:
        return next(k for k in update if k != "update_id")

    def _take_updates(self, offset: int | None, limit: int) -> list[dict[str, Any]]:
        """getUpdates selection: confirm by offset, drop disallowed, return a batch."""
        with self._lock:
            if offset is not None and offset < 0:
                self._updates = self._updates[offset:]
            elif offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._updates = [u for u in self._updates
                             if self._update_kind(u) in self._allowed_updates]
            return [dict(u) for u in self._updates[:limit]]

    def _set_allowed_updates(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return
        with self._lock:
            self._allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES

    # ------------------------------------------------------------------ bot messages

    def _record_event(self, msg: SentMessage) -> None:
        with self._lock:
            self._events.append(msg)
        self._notify()

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        """Wake every waiter (sync or async, any thread/loop) to re-check its condition."""
        with self._lock:
            self._cond.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, fut in waiters:
            try:
                loop.call_soon_threadsafe(_resolve, fut)
            except RuntimeError:  # that loop is closed
                pass

    async def _wait_until(self, check: Callable[[], T | None], timeout: float | None) -> T | None:
        """Await until ``check()`` (called under the lock) is not None, or timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            with self._lock:
                result = check()
                if result is not None or self._closing:
                    return result
                fut: asyncio.Future[None] = loop.create_future()
                self._async_waiters.append((loop, fut))
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait([fut], timeout=remaining)
            finally:
                if not fut.done():
                    fut.cancel()
                    with self._lock:
                        if (loop, fut) in self._async_waiters:
                            self._async_waiters.remove((loop, fut))

    def _wait_until_sync(self, check: Callable[[], T | None], timeout: float | None) -> T | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                result = check()
                if result is not None or self._closing:
                    return result
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
