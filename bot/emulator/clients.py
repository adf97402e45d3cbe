"""The user side of the emulator over loopback HTTP, for `tepai chat` clients in other processes.

The Bot API (``/bot{token}/…``) is what the bot talks to; this is what a *person* talks to:
each request acts as one simulated user (send a text, reply to a message, press a button,
upload a file) or waits for what the bot sent that user. Every request carries the shared
secret in ``X-Tepai-Secret``; without it the answer is 401 and nothing happens. The secret
lives in the data dir (mode 0600), so only clients of that data dir get in — a client that
holds it may act as any simulated user, exactly like a test can; staff rights are never
decided here but by the bot, from its settings and the database.

Routes (JSON in and out, under ``/tepai-chat/v1``):

- ``POST hello`` ``{"name"?, "user_id"?, "role"?}`` → ``{"user_id", "name", "cursor"}``:
  who the client is (a name gets a stable id from the registry), and where its history starts.
- ``POST send`` ``{"user_id", "text", "reply_to"?}`` · ``POST press`` ``{"user_id",
  "message_id", "data"}`` · ``POST document`` (multipart: ``user_id``, ``file``).
- ``GET events?user_id=&events=&alerts=&timeout=`` → ``{"messages", "alerts", "cursor"}``:
  long-polls until the bot sent or edited a message in that user's chat, or answered one of
  their button presses with a text, after the cursor; ``messages`` are snapshots (id, text,
  buttons, file), ``alerts`` ``[position, text]`` pairs.
- ``GET idle?timeout=`` → ``{"cursor"}`` once every update is consumed and the bot is quiet.
- ``GET file/{user_id}/{message_id}`` → the bytes of a document or photo the bot sent.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .models import SentMessage

if TYPE_CHECKING:
    from .server import BotApiEmulator

PREFIX = "/tepai-chat/v1"
SECRET_HEADER = "X-Tepai-Secret"
MAX_TEXT = 4096  # Telegram's limit for one message
MAX_UPLOAD = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_USER_ID = 2**52  # Telegram's ids fit in 52 bits
HISTORY = 20  # messages of a chat shown again when a client connects
MAX_WAIT = 30.0

# hello(name, user_id, role) -> (user_id, name) or raises ClientRefused
Greeter = Callable[[str | None, int | None, str | None], Any]


class ClientRefused(Exception):
    """A request the client API will not carry out; ``code`` is a stable word for the client."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code, self.status = code, status


def snapshot(message: SentMessage) -> dict[str, Any]:
    """What a client needs to show one bot message as it is now."""
    sent = message.document or message.photo
    return {
        "message_id": message.message_id,
        "text": message.plain_text if message.plain_text is not None else (message.text or ""),
        "buttons": [[text, data] for text, data in message.buttons if data],
        "edits": message.edits,
        "deleted": message.deleted,
        "file": None if sent is None else {
            "kind": "photo" if message.photo is not None else "document",
            "filename": sent.filename, "size": len(sent.data or b""),
        },
    }


class ClientApi:
    """Routes the user-side API onto an emulator's aiohttp application."""

    def __init__(self, emu: BotApiEmulator, secret: str, greet: Greeter) -> None:
        if len(secret) < 32:
            raise ValueError("the client secret must be at least 32 characters")
        self.emu, self._secret, self._greet = emu, secret.encode(), greet

    def register(self, app: web.Application) -> None:
        app.router.add_post(f"{PREFIX}/hello", self._guard(self.hello))
        app.router.add_post(f"{PREFIX}/send", self._guard(self.send))
        app.router.add_post(f"{PREFIX}/press", self._guard(self.press))
        app.router.add_post(f"{PREFIX}/document", self._guard(self.document))
        app.router.add_get(f"{PREFIX}/events", self._guard(self.events))
        app.router.add_get(f"{PREFIX}/idle", self._guard(self.idle))
        app.router.add_get(PREFIX + "/file/{user_id}/{message_id}", self._guard(self.file))

    def _guard(self, handler):  # type: ignore[no-untyped-def]
        async def guarded(request: web.Request) -> web.StreamResponse:
            given = request.headers.get(SECRET_HEADER, "").encode()
            if not hmac.compare_digest(given, self._secret):
                return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
            try:
                return await handler(request)
            except ClientRefused as exc:
                return web.json_response({"ok": False, "error": exc.code}, status=exc.status)
        return guarded

    # ------------------------------------------------------------------ reading requests

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise ClientRefused("bad_json") from None
        if not isinstance(body, dict):
            raise ClientRefused("bad_json")
        return body

    @staticmethod
    def _int(value: Any, what: str, *, required: bool = True) -> int | None:
        if value is None and not required:
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ClientRefused(f"bad_{what}") from None
        if isinstance(value, bool) or not 0 < number < MAX_USER_ID:
            raise ClientRefused(f"bad_{what}")
        return number

    @staticmethod
    def _position(value: str | None) -> int:
        try:
            position = int(value or 0)
        except ValueError:
            raise ClientRefused("bad_cursor") from None
        if position < 0:
            raise ClientRefused("bad_cursor")
        return position

    def cursor(self) -> dict[str, int]:
        with self.emu._lock:
            return {"events": len(self.emu._events), "alerts": len(self.emu.answered_callbacks)}

    # ------------------------------------------------------------------ acting as a user

    async def hello(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        name = body.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 64
                                 or not name.isprintable()):
            raise ClientRefused("bad_name")
        user_id = self._int(body.get("user_id"), "user_id", required=False)
        role = body.get("role")
        if role is not None and not isinstance(role, str):
            raise ClientRefused("bad_role")
        greeted = self._greet(name.strip() if name else None, user_id, role)
        if asyncio.iscoroutine(greeted):
            greeted = await greeted
        user_id, name = greeted
        self.emu.add_user(user_id, first_name=name)
        # The chat's recent history, as a Telegram client shows it on opening the chat.
        with self.emu._lock:
            events, seen, start = self.emu._events, set(), len(self.emu._events)
            for index in range(len(events) - 1, -1, -1):
                if events[index].chat_id == user_id:
                    seen.add(events[index].message_id)
                    if len(seen) > HISTORY:
                        break
                    start = index
            cursor = {"events": start, "alerts": len(self.emu.answered_callbacks)}
        return web.json_response({"ok": True, "user_id": user_id, "name": name, "cursor": cursor})

    async def send(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        user_id = self._int(body.get("user_id"), "user_id")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ClientRefused("empty")
        if len(text) > MAX_TEXT:
            raise ClientRefused("too_long")
        reply_to = self._int(body.get("reply_to"), "reply_to", required=False)
        try:
            self.emu.user_sends_text(user_id, text, reply_to_message_id=reply_to)  # type: ignore[arg-type]
        except LookupError:
            raise ClientRefused("no_such_message", 404) from None
        return web.json_response({"ok": True})

    async def press(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        user_id = self._int(body.get("user_id"), "user_id")
        message_id = self._int(body.get("message_id"), "message_id")
        data = body.get("data")
        if not isinstance(data, str) or not data or len(data.encode()) > 64:
            raise ClientRefused("bad_data")
        try:
            # Like a real client: only a button that is on that message now can be pressed.
            self.emu.user_presses_button(user_id, message_id, data)  # type: ignore[arg-type]
        except LookupError:
            raise ClientRefused("no_such_button", 404) from None
        return web.json_response({"ok": True})

    async def document(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_UPLOAD + 64 * 1024:
            raise ClientRefused("too_large", 413)
        try:
            form = await request.post()
        except (ValueError, web.HTTPException):
            raise ClientRefused("bad_form") from None
        user_id = self._int(form.get("user_id"), "user_id")
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise ClientRefused("bad_form")
        data = upload.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise ClientRefused("too_large", 413)
        name = (upload.filename or "文件").replace("/", "_").replace("\\", "_")[:200]
        self.emu.user_sends_document(user_id, name, data)  # type: ignore[arg-type]
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ what the user sees

    async def events(self, request: web.Request) -> web.Response:
        user_id = self._int(request.query.get("user_id"), "user_id")
        after_events = self._position(request.query.get("events"))
        after_alerts = self._position(request.query.get("alerts"))
        timeout = self._timeout(request)
        emu = self.emu

        scanned = {"events": after_events, "alerts": after_alerts}

        def check() -> dict[str, Any] | None:  # runs under the emulator's lock
            events, alerts = emu._events, emu.answered_callbacks
            mine = [m for m in events[after_events:] if m.chat_id == user_id]
            answers = [[index, a.text] for index, a in enumerate(alerts[after_alerts:], after_alerts)
                       if a.user_id == user_id and a.text]
            scanned.update(events=max(len(events), after_events), alerts=max(len(alerts), after_alerts))
            if not mine and not answers:
                return None
            latest: dict[int, SentMessage] = {m.message_id: m for m in mine}  # edits: one snapshot
            return {"messages": [snapshot(m) for m in sorted(latest.values(), key=lambda m: m.message_id)],
                    "alerts": answers, "cursor": dict(scanned)}

        found = await emu._wait_until(check, timeout)
        if found is None:  # nothing for this user up to where the last check looked
            found = {"messages": [], "alerts": [], "cursor": dict(scanned)}
        return web.json_response({"ok": True, **found})

    async def idle(self, request: web.Request) -> web.Response:
        try:
            await self.emu.wait_until_idle(quiet=0.3, timeout=self._timeout(request))
            idle = True
        except TimeoutError:
            idle = False  # someone else keeps the bot busy; the client shows what it has
        return web.json_response({"ok": True, "idle": idle, "cursor": self.cursor()})

    async def file(self, request: web.Request) -> web.Response:
        user_id = self._int(request.match_info["user_id"], "user_id")
        message_id = self._int(request.match_info["message_id"], "message_id")
        with self.emu._lock:
            chat = self.emu._chats.get(user_id)  # type: ignore[arg-type]
            message = chat.bot_message(message_id) if chat else None  # type: ignore[arg-type]
            sent = message and (message.document or message.photo)
            data = sent.data if sent else None
        if not data:
            raise ClientRefused("no_such_file", 404)
        return web.Response(body=data, content_type="application/octet-stream")

    @staticmethod
    def _timeout(request: web.Request) -> float:
        try:
            return min(max(float(request.query.get("timeout", "25")), 0.0), MAX_WAIT)
        except ValueError:
            raise ClientRefused("bad_timeout") from None
