"""Simulated Telegram users: each action creates an Update like Telegram would.

Every method is synchronous and thread-safe, returns the Update dict and
queues it for getUpdates (or the webhook).  Private chats only: chat id == user id.
"""

from __future__ import annotations

import mimetypes
import struct
import zlib
from typing import Any

from .bot_methods import BotMethods
from .core import ChatState
from .formatting import detect_user_entities
from .methods import media_json
from .models import FileRecord

def _tiny_png() -> bytes:
    """A valid 1x1 PNG, used when a simulated photo has no data of its own."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


_PLACEHOLDER_IMAGE = _tiny_png()


class UserSimulation(BotMethods):

    def add_user(self, user_id: int, *, first_name: str | None = None,
                 username: str | None = None, language_code: str | None = None,
                 ) -> dict[str, Any]:
        """Make a user known (as if they had opened the chat) without sending anything."""
        return dict(self._ensure_user(user_id, first_name=first_name, username=username,
                                      language_code=language_code).user)

    def _user_message(self, chat: ChatState, fields: dict[str, Any],
                      reply_to_message_id: int | None = None) -> dict[str, Any]:
        if chat.blocked:  # like the client's "Restart" button: unblock, then write
            self.user_unblocks_bot(chat.id)
        with self._lock:
            message = {"message_id": chat.take_message_id(), "from": dict(chat.user),
                       "chat": chat.chat, "date": self._now(), **fields}
            if reply_to_message_id is not None:
                target = chat.messages.get(reply_to_message_id)
                if target is None:
                    raise LookupError(f"no message {reply_to_message_id} in chat {chat.id}")
                message["reply_to_message"] = {k: v for k, v in target.items()
                                               if k != "reply_to_message"}
            chat.messages[message["message_id"]] = message
        return self._enqueue_update("message", message)

    def user_sends_text(self, user_id: int, text: str, *, first_name: str | None = None,
                        username: str | None = None, language_code: str | None = None,
                        reply_to_message_id: int | None = None) -> dict[str, Any]:
        """The user types ``text`` ("/start payload" becomes a bot_command message).

        first_name/username/language_code default to the user's stored profile
        (用户 / none / zh-hans on first contact).
        """
        chat = self._ensure_user(user_id, first_name=first_name, username=username,
                                 language_code=language_code)
        fields: dict[str, Any] = {"text": text}
        entities = detect_user_entities(text)
        if entities:
            fields["entities"] = entities
        return self._user_message(chat, fields, reply_to_message_id)

    def user_edits_message(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits a text message they sent earlier (Telegram sends `edited_message`)."""
        chat = self._ensure_user(user_id)
        with self._lock:
            original = chat.messages.get(message_id)
            if original is None:
                raise LookupError(f"no message {message_id} in chat {chat.id}")
            edited = {**original, "text": text, "edit_date": self._now()}
            edited.pop("entities", None)
            entities = detect_user_entities(text)
            if entities:
                edited["entities"] = entities
            chat.messages[message_id] = edited
        return self._enqueue_update("edited_message", edited)

    def user_sends_message(self, user_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Escape hatch: a message with arbitrary extra fields (location, contact, ...)."""
        return self._user_message(self._ensure_user(user_id), dict(fields))

    def _user_file(self, user_id: int, kind: str, data: bytes | None, *,
                   filename: str | None = None, mime_type: str | None = None,
                   caption: str | None = None, extra: dict[str, Any] | None = None,
                   ) -> dict[str, Any]:
        chat = self._ensure_user(user_id)
        rec = self._store_file(data, filename=filename, mime_type=mime_type, kind=kind)
        payload = media_json(rec, kind)
        if extra:
            payload.update(extra)
        fields: dict[str, Any] = {kind: payload}
        if caption:
            fields["caption"] = caption
            entities = detect_user_entities(caption)
            if entities:
                fields["caption_entities"] = entities
        return self._user_message(chat, fields)

    def user_sends_document(self, user_id: int, filename: str, data: bytes,
                            mime_type: str | None = None, caption: str | None = None,
                            ) -> dict[str, Any]:
        """The user uploads a file; the bot can getFile + download it."""
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        return self._user_file(user_id, "document", data, filename=filename, mime_type=mime,
                               caption=caption)

    def user_sends_photo(self, user_id: int, data: bytes | None = None,
                         caption: str | None = None) -> dict[str, Any]:
        return self._user_file(user_id, "photo", data or _PLACEHOLDER_IMAGE, caption=caption)

    def user_sends_sticker(self, user_id: int, emoji: str = "👍") -> dict[str, Any]:
        return self._user_file(user_id, "sticker", b"RIFF\x00\x00\x00\x00WEBP",
                               mime_type="image/webp", extra={"emoji": emoji})

    def user_sends_voice(self, user_id: int, data: bytes | None = None, duration: int = 3,
                         ) -> dict[str, Any]:
        return self._user_file(user_id, "voice", data or b"OggS" + bytes(60),
                               mime_type="audio/ogg", extra={"duration": duration})

    def user_presses_button(self, user_id: int, message_id: int, callback_data: str, *,
                            force: bool = False) -> dict[str, Any]:
        """The user taps an inline button of a bot message.

        Raises LookupError if that message (not deleted) has no such button --
        a real client could not press it -- unless ``force=True``.
        """
        chat = self._ensure_user(user_id)
        with self._lock:
            msg = chat.bot_message(message_id)
            if not force:
                if msg is None or msg.deleted:
                    raise LookupError(f"no bot message {message_id} in chat {user_id}")
                if callback_data not in [data for _text, data in msg.buttons]:
                    raise LookupError(f"message {message_id} has no button with callback_data "
                                      f"{callback_data!r}; buttons: {msg.buttons}")
            query_id = str(4_000_000_000_000_000 + next(self._counter))
            self._callbacks[query_id] = {"answered": False, "user_id": user_id,
                                         "chat_id": chat.id, "message_id": message_id,
                                         "data": callback_data}
            query: dict[str, Any] = {"id": query_id, "from": dict(chat.user),
                                     "chat_instance": str(-(10**18) - chat.id),
                                     "data": callback_data}
            if msg is not None:
                query["message"] = dict(msg.raw)
            else:
                query["message"] = {"message_id": message_id, "chat": chat.chat, "date": 0}
        return self._enqueue_update("callback_query", query)

    def _member_update(self, user_id: int, old: str, new: str) -> dict[str, Any]:
        chat = self._ensure_user(user_id)
        bot = self.bot_user
        old_member: dict[str, Any] = {"status": old, "user": bot}
        new_member: dict[str, Any] = {"status": new, "user": bot}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        return self._enqueue_update("my_chat_member", {
            "chat": chat.chat, "from": dict(chat.user), "date": self._now(),
            "old_chat_member": old_member, "new_chat_member": new_member})

    def user_blocks_bot(self, user_id: int) -> dict[str, Any]:
        """Sends to this chat now fail with 403; a my_chat_member update is queued."""
        with self._lock:
            self._ensure_user(user_id).blocked = True
        return self._member_update(user_id, "member", "kicked")

    def user_unblocks_bot(self, user_id: int) -> dict[str, Any]:
        with self._lock:
            self._ensure_user(user_id).blocked = False
        return self._member_update(user_id, "kicked", "member")

    def user_file(self, file_id: str) -> FileRecord | None:
        """The stored record (bytes, name) behind any file_id."""
        with self._lock:
            return self._files.get(file_id)
