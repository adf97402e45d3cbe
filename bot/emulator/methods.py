"""Bot API methods for sending, editing and deleting messages (the chat side)."""

from __future__ import annotations

import mimetypes
import re
import time
from typing import Any
from urllib.parse import unquote, urlparse

from .core import ChatState, EmulatorCore
from .formatting import EntityParseError, parse_formatted, utf16_len
from .models import ApiError, FileRecord, SentFile, SentMessage
from .params import get_bool, get_chat_id, get_int, get_json, get_str, is_upload

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BLOCKED = "Forbidden: bot was blocked by the user"
_BUTTON_ACTIONS = ("callback_data", "url", "login_url", "switch_inline_query",
                   "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                   "callback_game", "pay", "web_app", "copy_text")
MEDIA_KINDS = ("document", "photo", "audio", "video", "voice", "animation", "sticker")


def media_json(rec: FileRecord, kind: str) -> Any:
    """The JSON Telegram puts in a message for a file of this kind."""
    base = {"file_id": rec.file_id, "file_unique_id": rec.file_unique_id,
            "file_size": rec.size}
    if kind == "photo":
        thumb = dict(base, width=90, height=90)
        return [thumb, dict(base, width=800, height=600)]
    if kind == "sticker":
        return dict(base, type="regular", width=512, height=512, is_animated=False,
                    is_video=False, emoji="👍")
    if kind == "voice":
        return dict(base, duration=3, mime_type=rec.mime_type or "audio/ogg")
    if kind in ("video", "animation"):
        base.update(width=640, height=360, duration=1)
    if kind == "audio":
        base.update(duration=1)
    if rec.filename:
        base["file_name"] = rec.filename
    if rec.mime_type:
        base["mime_type"] = rec.mime_type
    return base


def _strip_reply(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != "reply_to_message"}


class ChatMethods(EmulatorCore):
    """sendMessage & co.  Handlers are ``api_<methodName>(params) -> result``."""

    chat_actions: list[tuple[int, str, float]]

    # ------------------------------------------------------------------ validation

    def _writable_chat(self, params: dict[str, Any]) -> ChatState:
        chat = self._resolve_chat(get_chat_id(params))
        if chat.blocked:
            raise ApiError(403, BLOCKED)
        return chat

    def _format(self, text: str | None, params: dict[str, Any], *, caption: bool = False,
                ) -> tuple[str | None, str | None, list[dict[str, Any]]]:
        """Validate text/caption -> (as sent, plain text, entities)."""
        parse_mode = get_str(params, "parse_mode") or None
        if text is None or text == "":
            if caption:
                return None, None, []
            raise ApiError.bad_request("message text is empty")
        try:
            plain, entities = parse_formatted(text, parse_mode, strict_ampersand=self.strict_html)
        except EntityParseError as exc:
            raise ApiError.bad_request(f"can't parse entities: {exc}") from None
        except KeyError:
            raise ApiError.bad_request(f"unsupported parse_mode {parse_mode!r}") from None
        explicit = get_json(params, "caption_entities" if caption else "entities",
                            what="message entities")
        if explicit and not parse_mode:
            entities = list(explicit)
        if not plain.strip():
            if caption:
                return None, None, []
            raise ApiError.bad_request("message text is empty")
        if utf16_len(plain) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
            raise ApiError.bad_request("message caption is too long" if caption
                                       else "message is too long")
        return text, plain, entities

    @staticmethod
    def _markup(params: dict[str, Any], *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = get_json(params, "reply_markup", what="reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError.bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError.bad_request("can't parse inline keyboard button: "
                                           "field \"inline_keyboard\" must be an Array of Arrays")
            for row in rows:
                for button in row:
                    ChatMethods._check_button(button)
            return markup
        if inline_only:
            raise ApiError.bad_request("inline keyboard expected")
        if any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            return markup
        raise ApiError.bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_button(button: Any) -> None:
        if not isinstance(button, dict) or not button.get("text"):
            raise ApiError.bad_request("can't parse inline keyboard button: Text must be non-empty")
        actions = [k for k in _BUTTON_ACTIONS if k in button]
        if not actions:
            raise ApiError.bad_request("can't parse inline keyboard button: "
                                       "Text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = str(button["callback_data"]).encode("utf-8")
            if not 1 <= len(data) <= 64:
                raise ApiError.bad_request("BUTTON_DATA_INVALID")
        if "url" in button:
            url = str(button["url"])
            parsed = urlparse(url)
            if parsed.scheme not in ("http", "https", "tg") or (
                    parsed.scheme != "tg" and not parsed.netloc):
                raise ApiError.bad_request(
                    f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _reply_target(self, chat: ChatState, params: dict[str, Any]) -> int | None:
        reply = get_json(params, "reply_parameters", what="reply parameters JSON object")
        if isinstance(reply, dict):
            mid = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
        else:
            mid = get_int(params, "reply_to_message_id")
            allow = get_bool(params, "allow_sending_without_reply")
        if mid is None:
            return None
        if int(mid) in chat.messages:
            return int(mid)
        if allow:
            return None
        raise ApiError.bad_request("message to be replied not found")

    @staticmethod
    def _link_preview(params: dict[str, Any]) -> dict[str, Any] | None:
        options = get_json(params, "link_preview_options", what="link preview options")
        if options is None and get_bool(params, "disable_web_page_preview"):
            options = {"is_disabled": True}
        return options

    # ------------------------------------------------------------------ building messages

    def _add_bot_message(self, chat: ChatState, msg: SentMessage, extra: dict[str, Any],
                         ) -> SentMessage:
        with self._lock:
            msg.message_id = chat.take_message_id()
            msg.date = self._now()
            msg.raw = {"message_id": msg.message_id, "from": self.bot_user, "chat": chat.chat,
                       "date": msg.date, **extra}
            if msg.reply_to_message_id is not None:
                msg.raw["reply_to_message"] = _strip_reply(chat.messages[msg.reply_to_message_id])
            self._refresh_raw(msg)
            chat.messages[msg.message_id] = msg.raw
            chat.bot_messages.append(msg)
            chat.bot_index[msg.message_id] = msg
        self._record_event(msg)
        return msg

    @staticmethod
    def _refresh_raw(msg: SentMessage) -> None:
        raw = msg.raw
        text_key, ent_key = ("text", "entities") if msg.kind == "text" else (
            "caption", "caption_entities")
        for key in (text_key, ent_key, "reply_markup", "link_preview_options"):
            raw.pop(key, None)
        if msg.plain_text is not None:
            raw[text_key] = msg.plain_text
        if msg.entities:
            raw[ent_key] = msg.entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            raw["reply_markup"] = msg.reply_markup
        if msg.link_preview_options and msg.kind == "text":
            raw["link_preview_options"] = msg.link_preview_options
        if msg.edit_date is not None:
            raw["edit_date"] = msg.edit_date

    def _upload(self, params: dict[str, Any], field: str, kind: str) -> FileRecord:
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://"):])
        if is_upload(value):
            name = value.filename or field
            for enc, char in (("%22", '"'), ("%0A", "\n"), ("%0D", "\r")):
                name = name.replace(enc, char)
            data = value.file.read()
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(name)[0] or mime
            if kind == "photo":
                mime = None
            return self._store_file(data, filename=name if kind != "photo" else None,
                                    mime_type=mime, kind=kind)
        if isinstance(value, str) and value:
            with self._lock:
                if value in self._files:
                    return self._files[value]
            if re.match(r"^https?://", value):
                name = unquote(urlparse(value).path.rsplit("/", 1)[-1]) or None
                return self._store_file(None, filename=name,
                                        mime_type=mimetypes.guess_type(name or "")[0], kind=kind)
            raise ApiError.bad_request("wrong file identifier/HTTP URL specified")
        raise ApiError.bad_request(f"there is no {field} in the request")

    # ------------------------------------------------------------------ send*

    def api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._writable_chat(p)
        text, plain, entities = self._format(get_str(p, "text"), p)
        msg = SentMessage(message_id=0, chat_id=chat.id, text=text,
                          parse_mode=get_str(p, "parse_mode"), reply_markup=self._markup(p),
                          reply_to_message_id=self._reply_target(chat, p), plain_text=plain,
                          entities=entities, link_preview_options=self._link_preview(p))
        return self._add_bot_message(chat, msg, {}).raw

    def _send_media(self, p: dict[str, Any], kind: str) -> dict[str, Any]:
        chat = self._writable_chat(p)
        caption, plain, entities = self._format(get_str(p, "caption"), p, caption=True)
        markup = self._markup(p)
        reply_to = self._reply_target(chat, p)
        rec = self._upload(p, kind, kind)
        sent = SentFile(rec.filename, rec.data, rec.mime_type, rec.file_id)
        msg = SentMessage(message_id=0, chat_id=chat.id, text=caption,
                          parse_mode=get_str(p, "parse_mode"), reply_markup=markup,
                          reply_to_message_id=reply_to, plain_text=plain, entities=entities,
                          kind=kind, media=sent,
                          document=sent if kind == "document" else None,
                          photo=sent if kind == "photo" else None)
        return self._add_bot_message(chat, msg, {kind: media_json(rec, kind)}).raw

    def api_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "document")

    def api_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "photo")

    def api_sendAudio(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "audio")

    def api_sendVideo(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "video")

    def api_sendVoice(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "voice")

    def api_sendAnimation(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "animation")

    def api_sendSticker(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_media(p, "sticker")

    def api_sendChatAction(self, p: dict[str, Any]) -> bool:
        chat = self._writable_chat(p)
        action = get_str(p, "action")
        if action not in ("typing", "upload_photo", "record_video", "upload_video",
                          "record_voice", "upload_voice", "upload_document", "choose_sticker",
                          "find_location", "record_video_note", "upload_video_note"):
            raise ApiError.bad_request("wrong parameter action in request")
        with self._lock:
            self.chat_actions.append((chat.id, action, time.time()))
        return True

    def _copy_source(self, p: dict[str, Any], what: str) -> dict[str, Any]:
        source_chat = self._resolve_chat(get_chat_id(p, "from_chat_id"))
        mid = get_int(p, "message_id", required="message identifier is not specified")
        raw = source_chat.messages.get(mid)
        if raw is None:
            raise ApiError.bad_request(f"message to {what} not found")
        return raw

    def _clone(self, chat: ChatState, raw: dict[str, Any], p: dict[str, Any], *,
               forward: bool) -> SentMessage:
        kind = next((k for k in MEDIA_KINDS if k in raw), "text")
        extra = {kind: raw[kind]} if kind != "text" else {}
        text = raw.get("text") if kind == "text" else raw.get("caption")
        entities = raw.get("entities" if kind == "text" else "caption_entities", [])
        parse_mode = None
        markup = None
        reply_to = None
        if forward:
            extra["forward_origin"] = {"type": "user", "sender_user": raw.get("from"),
                                       "date": raw.get("date")}
        else:
            if kind != "text" and "caption" in p:
                text, plain, entities = self._format(get_str(p, "caption"), p, caption=True)
                parse_mode = get_str(p, "parse_mode")
            markup = self._markup(p)
            reply_to = self._reply_target(chat, p)
        files = {}
        if kind != "text":
            fid = raw[kind][-1]["file_id"] if kind == "photo" else raw[kind]["file_id"]
            rec = self._files.get(fid)
            sent = SentFile(rec.filename, rec.data, rec.mime_type, rec.file_id) if rec else None
            files = {"media": sent, "document": sent if kind == "document" else None,
                     "photo": sent if kind == "photo" else None}
        msg = SentMessage(message_id=0, chat_id=chat.id, text=text, parse_mode=parse_mode,
                          reply_markup=markup, reply_to_message_id=reply_to,
                          plain_text=text if parse_mode is None else plain, entities=entities,
                          kind=kind, origin="forward" if forward else "copy", **files)
        return self._add_bot_message(chat, msg, extra)

    def api_copyMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._writable_chat(p)
        raw = self._copy_source(p, "copy")
        return {"message_id": self._clone(chat, raw, p, forward=False).message_id}

    def api_forwardMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._writable_chat(p)
        raw = self._copy_source(p, "forward")
        return self._clone(chat, raw, p, forward=True).raw

    # ------------------------------------------------------------------ edit / delete

    def _editable(self, p: dict[str, Any]) -> tuple[ChatState, SentMessage]:
        if get_str(p, "inline_message_id"):
            raise ApiError.bad_request("MESSAGE_ID_INVALID")
        chat = self._writable_chat(p)
        mid = get_int(p, "message_id", required="message identifier is not specified")
        msg = chat.bot_message(mid)
        if msg is None or msg.deleted:
            if mid in chat.messages:
                raise ApiError.bad_request("message can't be edited")
            raise ApiError.bad_request("message to edit not found")
        return chat, msg

    def _apply_edit(self, msg: SentMessage, *, text: str | None, parse_mode: str | None,
                    plain: str | None, entities: list[dict[str, Any]],
                    markup: dict[str, Any] | None, link_preview: dict[str, Any] | None = None,
                    ) -> dict[str, Any]:
        old_markup = msg.reply_markup if msg.reply_markup and "inline_keyboard" in \
            msg.reply_markup else None
        if (plain, entities, markup) == (msg.plain_text, msg.entities, old_markup):
            raise ApiError.bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
        with self._lock:
            msg.history.append(msg.text)
            msg.text, msg.parse_mode, msg.plain_text, msg.entities = text, parse_mode, plain, \
                entities
            msg.reply_markup = markup
            if link_preview is not None:
                msg.link_preview_options = link_preview
            msg.edits += 1
            msg.edit_date = self._now()
            self._refresh_raw(msg)
        self._record_event(msg)
        return msg.raw

    def api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        _chat, msg = self._editable(p)
        if msg.kind != "text":
            raise ApiError.bad_request("there is no text in the message to edit")
        text, plain, entities = self._format(get_str(p, "text"), p)
        # Like Telegram: editing without reply_markup removes the inline keyboard.
        return self._apply_edit(msg, text=text, parse_mode=get_str(p, "parse_mode"), plain=plain,
                                entities=entities, markup=self._markup(p, inline_only=True),
                                link_preview=self._link_preview(p))

    def api_editMessageCaption(self, p: dict[str, Any]) -> dict[str, Any]:
        _chat, msg = self._editable(p)
        if msg.kind == "text":
            raise ApiError.bad_request("there is no caption in the message to edit")
        text, plain, entities = self._format(get_str(p, "caption"), p, caption=True)
        return self._apply_edit(msg, text=text, parse_mode=get_str(p, "parse_mode"), plain=plain,
                                entities=entities, markup=self._markup(p, inline_only=True))

    def api_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        _chat, msg = self._editable(p)
        return self._apply_edit(msg, text=msg.text, parse_mode=msg.parse_mode,
                                plain=msg.plain_text, entities=msg.entities,
                                markup=self._markup(p, inline_only=True))

    def _delete(self, chat: ChatState, mid: int) -> bool:
        with self._lock:
            if chat.messages.pop(mid, None) is None:
                return False
            msg = chat.bot_message(mid)
            if msg is not None:
                msg.deleted = True
        self._notify()
        return True

    def api_deleteMessage(self, p: dict[str, Any]) -> bool:
        chat = self._resolve_chat(get_chat_id(p))
        mid = get_int(p, "message_id", required="message identifier is not specified")
        if not self._delete(chat, mid):
            raise ApiError.bad_request("message to delete not found")
        return True

    def api_deleteMessages(self, p: dict[str, Any]) -> bool:
        chat = self._resolve_chat(get_chat_id(p))
        ids = get_json(p, "message_ids", what="message identifiers") or []
        for mid in ids:
            self._delete(chat, int(mid))
        return True
