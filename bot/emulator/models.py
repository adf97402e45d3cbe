"""Plain data objects of the emulator: what tests observe and how faults are described."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AnsweredCallback",
    "ApiError",
    "Fault",
    "FileRecord",
    "RequestRecord",
    "SentFile",
    "SentMessage",
]


class ApiError(Exception):
    """A Bot API failure, rendered as Telegram's ``{"ok": false, ...}`` reply."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code,
                                "description": self.description}
        params: dict[str, Any] = {}
        if self.retry_after is not None:
            params["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            params["migrate_to_chat_id"] = self.migrate_to_chat_id
        if params:
            body["parameters"] = params
        return body

    @classmethod
    def bad_request(cls, what: str) -> ApiError:
        return cls(400, f"Bad Request: {what}")

    @classmethod
    def for_status(cls, code: int, *, retry_after: int = 1, description: str | None = None,
                   ) -> ApiError:
        """Telegram's usual wording for an HTTP error code (used by fault injection)."""
        if code == 429:
            return cls(429, description or f"Too Many Requests: retry after {retry_after}",
                       retry_after=retry_after)
        defaults = {
            400: "Bad Request: injected failure",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            404: "Not Found",
            409: "Conflict: terminated by other getUpdates request; make sure that only one "
                 "bot instance is running",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
            504: "Gateway Timeout",
        }
        text = description or defaults.get(code) or f"Error {code}"
        if code == 400 and description and not description.startswith("Bad Request"):
            text = f"Bad Request: {description}"
        return cls(code, text)


@dataclass
class SentFile:
    """A file the bot sent (or that a user sent). ``name, data = f`` unpacks it."""

    filename: str | None
    data: bytes | None
    mime_type: str | None = None
    file_id: str = ""

    def __iter__(self) -> Iterator[Any]:
        yield self.filename
        yield self.data


@dataclass
class FileRecord:
    """A file known to the server, addressable by file_id (and file_path once fetched)."""

    file_id: str
    file_unique_id: str
    data: bytes | None
    filename: str | None
    mime_type: str | None
    kind: str  # document, photo, voice, sticker, audio, video, animation
    file_path: str | None = None

    @property
    def size(self) -> int:
        return len(self.data or b"")


@dataclass
class SentMessage:
    """A message the bot put into a chat, kept current as the bot edits/deletes it.

    ``text`` is what the bot sent (the caption for media), including its markup;
    ``plain_text``/``entities`` are what the user sees after Telegram parsed it.
    """

    message_id: int
    chat_id: int
    text: str | None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: SentFile | None = None
    photo: SentFile | None = None
    edits: int = 0
    reply_to_message_id: int | None = None
    deleted: bool = False
    plain_text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "text"  # text, document, photo, audio, video, voice, animation, sticker
    media: SentFile | None = None
    origin: str | None = None  # "copy" / "forward" for copyMessage / forwardMessage
    link_preview_options: dict[str, Any] | None = None
    date: int = 0
    edit_date: int | None = None
    history: list[str | None] = field(default_factory=list)  # earlier texts, oldest first
    raw: dict[str, Any] = field(default_factory=dict)  # the Message JSON as Telegram shows it

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        return buttons_of(self.reply_markup)


def buttons_of(markup: dict[str, Any] | None) -> list[tuple[str, str | None]]:
    """Flatten inline or reply keyboards into (text, callback_data or url or None)."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    flat: list[tuple[str, str | None]] = []
    for row in rows:
        for button in row:
            if isinstance(button, str):
                flat.append((button, None))
                continue
            value = button.get("callback_data")
            if value is None:
                value = button.get("url")
            if value is None and isinstance(button.get("web_app"), dict):
                value = button["web_app"].get("url")
            flat.append((button.get("text", ""), value))
    return flat


@dataclass
class AnsweredCallback:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    timestamp: float


@dataclass
class RequestRecord:
    """One Bot API call as the server saw it."""

    method: str
    chat_id: int | str | None
    timestamp: float  # time.time() when the request arrived
    status: int = 0  # HTTP status of the reply (0 while in flight)
    duration: float = 0.0
    error: str | None = None


@dataclass
class Fault:
    """An injected failure rule; see ``BotApiEmulator.inject``."""

    method: str | None
    chat_id: int | None
    error: int
    retry_after: int
    times: int | None
    rate: float | None
    description: str | None
    rng: random.Random
    fired: int = 0

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        if self.chat_id is not None and str(self.chat_id) != str(chat_id):
            return False
        return True

    @property
    def exhausted(self) -> bool:
        return self.rate is None and self.times is not None and self.fired >= self.times

    def should_fire(self) -> bool:
        if self.exhausted:
            return False
        if self.rate is not None:
            return self.rng.random() < self.rate
        return True

    def to_error(self) -> ApiError:
        return ApiError.for_status(self.error, retry_after=self.retry_after,
                                   description=self.description)


class TokenBucket:
    """Simple token bucket used by the optional flood control."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token; return 0 on success or seconds until one is available."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate
