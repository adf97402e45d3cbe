"""Reading Bot API parameters the way Telegram does.

Parameters may arrive as a query string, urlencoded form, multipart form (PTB
when uploading) or a JSON body.  In forms every value is a string and nested
objects (reply_markup, entities, scope, ...) are JSON-encoded strings; in a JSON
body they are already typed.  Uploaded files are aiohttp ``FileField`` objects.
"""

from __future__ import annotations

import json
from typing import Any

from .models import ApiError

_MISSING = object()


def is_upload(value: Any) -> bool:
    return hasattr(value, "file") and hasattr(value, "filename")


def get_str(params: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = params.get(name, _MISSING)
    if value is _MISSING or value is None or is_upload(value):
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def get_int(params: dict[str, Any], name: str, default: int | None = None, *,
            required: str | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise ApiError.bad_request(required)
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value)))
        except ValueError:
            raise ApiError.bad_request(f"invalid {name} specified") from None


def get_float(params: dict[str, Any], name: str, default: float = 0.0) -> float:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f"invalid {name} specified") from None


def get_bool(params: dict[str, Any], name: str, default: bool = False) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


def get_json(params: dict[str, Any], name: str, *, what: str = "JSON object") -> Any:
    """A JSON-typed parameter; ``what`` names it in Telegram's error text."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return value
    if is_upload(value):
        raise ApiError.bad_request(f"can't parse {what}")
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        raise ApiError.bad_request(f"can't parse {what}") from None


def get_chat_id(params: dict[str, Any], name: str = "chat_id") -> int | str:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError.bad_request(f"{name} is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith("@"):
        return text
    try:
        return int(text)
    except ValueError:
        raise ApiError.bad_request("chat not found") from None


def chat_id_for_log(params: dict[str, Any]) -> int | str | None:
    value = params.get("chat_id")
    if value is None or is_upload(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)
