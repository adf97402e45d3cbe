"""Bot API methods about the bot itself: identity, updates, webhook, commands, callbacks, files."""

from __future__ import annotations

import re
import time
from typing import Any

from .methods import ChatMethods
from .models import AnsweredCallback, ApiError
from .params import get_bool, get_chat_id, get_float, get_int, get_json, get_str

FILE_DOWNLOAD_LIMIT = 20 * 1024 * 1024
_SCOPE_TYPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators",
                "chat", "chat_administrators", "chat_member")


class BotMethods(ChatMethods):
    _poll_generation: int = 0

    # ------------------------------------------------------------------ identity

    def api_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user, can_join_groups=True, can_read_all_group_messages=False,
                    supports_inline_queries=False, can_connect_to_business=False,
                    has_main_web_app=False)

    def api_logOut(self, p: dict[str, Any]) -> bool:
        return True

    def api_close(self, p: dict[str, Any]) -> bool:
        return True

    def api_getChat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(get_chat_id(p))
        return dict(chat.chat, accent_color_id=0, max_reaction_count=11,
                    accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False,
                                         "unique_gifts": False, "premium_subscription": False,
                                         "gifts_from_channels": False})

    # ------------------------------------------------------------------ updates & webhook

    async def api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = get_int(p, "offset")
        limit = max(1, min(100, get_int(p, "limit", 100) or 100))
        timeout = max(0.0, min(50.0, get_float(p, "timeout", 0.0)))
        self._set_allowed_updates(get_json(p, "allowed_updates", what="allowed updates"))
        with self._lock:
            self._poll_generation += 1
            generation = self._poll_generation
            self._notify()  # an older long poll (if any) is now superseded
            batch = self._take_updates(offset, limit)
        if batch or timeout <= 0:
            return batch

        def check() -> Any:
            if self._poll_generation != generation:
                return "conflict"
            return self._take_updates(None, limit) or None

        result = await self._wait_until(check, timeout)
        if result == "conflict":
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                "that only one bot instance is running")
        return result or []

    def api_setWebhook(self, p: dict[str, Any]) -> bool:
        url = get_str(p, "url", "") or ""
        secret = get_str(p, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError.bad_request("secret token contains unallowed characters")
        if url and not re.match(r"^https?://[^/]+", url):
            raise ApiError.bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        with self._lock:
            if get_bool(p, "drop_pending_updates"):
                self._updates.clear()
            self._set_allowed_updates(get_json(p, "allowed_updates", what="allowed updates"))
            if not url:
                self.webhook = {"url": ""}
            else:
                self.webhook = {"url": url, "secret_token": secret,
                                "max_connections": get_int(p, "max_connections", 40),
                                "ip_address": get_str(p, "ip_address") or "127.0.0.1",
                                "last_error_date": None, "last_error_message": None}
        self._notify()
        self._reply_description = "Webhook was set" if url else "Webhook was deleted"
        return True

    def api_deleteWebhook(self, p: dict[str, Any]) -> bool:
        with self._lock:
            had = bool(self.webhook.get("url"))
            self.webhook = {"url": ""}
            if get_bool(p, "drop_pending_updates"):
                self._updates.clear()
        self._notify()
        self._reply_description = "Webhook was deleted" if had else "Webhook is already deleted"
        return True

    def api_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            info: dict[str, Any] = {"url": self.webhook.get("url", ""),
                                    "has_custom_certificate": False,
                                    "pending_update_count": len(self._updates)}
            if info["url"]:
                info["max_connections"] = self.webhook.get("max_connections") or 40
                info["ip_address"] = self.webhook.get("ip_address")
                if self.webhook.get("last_error_date"):
                    info["last_error_date"] = self.webhook["last_error_date"]
                    info["last_error_message"] = self.webhook["last_error_message"]
                if self._allowed_updates_explicit:
                    info["allowed_updates"] = sorted(self._allowed_updates)
            return info

    @property
    def _allowed_updates_explicit(self) -> bool:
        from .core import DEFAULT_UPDATE_TYPES
        return self._allowed_updates != DEFAULT_UPDATE_TYPES

    # ------------------------------------------------------------------ commands & profile

    def _scope_key(self, scope: Any) -> str:
        """Canonical key of a BotCommandScope JSON object (chat ids resolved)."""
        if scope is None:
            return "default"
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise ApiError.bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            if scope.get("chat_id") in (None, ""):
                raise ApiError.bad_request("chat_id is empty")
            chat = self._resolve_chat(scope["chat_id"])
            if kind == "chat_member":
                return f"chat_member:{chat.id}:{int(scope.get('user_id') or 0)}"
            return f"{kind}:{chat.id}"
        return kind

    def _commands_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = get_json(p, "scope", what="BotCommandScope JSON object")
        lang = get_str(p, "language_code", "") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise ApiError.bad_request("invalid language code specified")
        return self._scope_key(scope), lang

    def api_setMyCommands(self, p: dict[str, Any]) -> bool:
        commands = get_json(p, "commands", what="BotCommand array") or []
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError.bad_request("can't parse BotCommand array")
        clean = []
        for cmd in commands:
            if not isinstance(cmd, dict):
                raise ApiError.bad_request("can't parse BotCommand array")
            name = str(cmd.get("command", "")).lower().lstrip("/")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError.bad_request("BOT_COMMAND_INVALID")
            description = str(cmd.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        key = self._commands_key(p)
        with self._lock:
            if clean:
                self._commands[key] = clean
            else:
                self._commands.pop(key, None)
        return True

    def api_getMyCommands(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._commands.get(self._commands_key(p), [])]

    def api_deleteMyCommands(self, p: dict[str, Any]) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(p), None)
        return True

    def _profile_text(self, p: dict[str, Any], field: str, limit: int) -> bool:
        value = get_str(p, field, "") or ""
        if len(value) > limit:
            raise ApiError.bad_request(f"{field} is too long")
        with self._lock:
            self._bot_settings[(field, get_str(p, "language_code", "") or "")] = value
        return True

    def _get_profile_text(self, p: dict[str, Any], field: str) -> dict[str, str]:
        with self._lock:
            lang = get_str(p, "language_code", "") or ""
            value = self._bot_settings.get((field, lang), self._bot_settings.get((field, ""), ""))
            return {field: value}

    def api_setMyDescription(self, p: dict[str, Any]) -> bool:
        return self._profile_text(p, "description", 512)

    def api_getMyDescription(self, p: dict[str, Any]) -> dict[str, str]:
        return self._get_profile_text(p, "description")

    def api_setMyShortDescription(self, p: dict[str, Any]) -> bool:
        return self._profile_text(p, "short_description", 120)

    def api_getMyShortDescription(self, p: dict[str, Any]) -> dict[str, str]:
        return self._get_profile_text(p, "short_description")

    def api_setMyName(self, p: dict[str, Any]) -> bool:
        return self._profile_text(p, "name", 64)

    def api_getMyName(self, p: dict[str, Any]) -> dict[str, str]:
        return self._get_profile_text(p, "name")

    def api_setChatMenuButton(self, p: dict[str, Any]) -> bool:
        button = get_json(p, "menu_button", what="MenuButton JSON object") or {"type": "default"}
        chat = get_str(p, "chat_id", "") or ""
        with self._lock:
            self._bot_settings[("menu_button", chat)] = button
        return True

    def api_getChatMenuButton(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = get_str(p, "chat_id", "") or ""
        with self._lock:
            return self._bot_settings.get(("menu_button", chat),
                                          self._bot_settings.get(("menu_button", ""),
                                                                 {"type": "commands"}))

    # ------------------------------------------------------------------ callbacks & files

    def api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        query_id = get_str(p, "callback_query_id", "") or ""
        with self._lock:
            query = self._callbacks.get(query_id)
            if query is None or query["answered"]:
                raise ApiError.bad_request("query is too old and response timeout expired or "
                                           "query ID is invalid")
            text = get_str(p, "text")
            if text is not None and len(text) > 200:
                raise ApiError.bad_request("MESSAGE_TOO_LONG")
            query["answered"] = True
            self.answered_callbacks.append(AnsweredCallback(
                callback_query_id=query_id, text=text, show_alert=get_bool(p, "show_alert"),
                url=get_str(p, "url"), cache_time=get_int(p, "cache_time", 0) or 0,
                user_id=query["user_id"], chat_id=query["chat_id"],
                message_id=query["message_id"], data=query["data"], timestamp=time.time()))
        self._notify()
        return True

    def api_getFile(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = get_str(p, "file_id", "") or ""
        with self._lock:
            rec = self._files.get(file_id)
            if rec is None:
                raise ApiError.bad_request("invalid file_id")
            if rec.size > FILE_DOWNLOAD_LIMIT:
                raise ApiError.bad_request("file is too big")
            result = {"file_id": rec.file_id, "file_unique_id": rec.file_unique_id,
                      "file_size": rec.size}
            if rec.data is not None:
                result["file_path"] = self._file_path_for(rec)
            return result
