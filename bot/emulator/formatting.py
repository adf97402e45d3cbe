"""Telegram text formatting: HTML / MarkdownV2 / Markdown parsing into (text, entities).

Modelled on the behaviour of Telegram's own parser (tdlib ``parse_html`` /
``parse_markdown_v2`` / ``parse_markdown``): same accepted tags, same error
wording ("Unsupported start tag ...", "Can't find end of Bold entity ...", ...),
byte offsets in errors counted in UTF-8 bytes, entity offsets/lengths in UTF-16
code units like the Bot API returns them.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "EntityParseError",
    "detect_user_entities",
    "parse_formatted",
    "utf16_len",
]


class EntityParseError(ValueError):
    """The text could not be parsed; ``str(exc)`` is Telegram's wording."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


def _entity(kind: str, offset: int, length: int, **extra: Any) -> dict[str, Any]:
    ent: dict[str, Any] = {"offset": offset, "length": length, "type": kind}
    ent.update({k: v for k, v in extra.items() if v is not None})
    return ent


def _sorted(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _looks_like_url(url: str) -> str | None:
    """Normalise a link target the way Telegram roughly does; None if invalid."""
    url = url.strip()
    if not url:
        return None
    if re.match(r"^(tg|mailto|tel):", url, re.I):
        return url
    if not re.match(r"^[a-z][a-z0-9+.-]*://", url, re.I):
        if not re.match(r"^[\w-]+(\.[\w-]+)+([/?#:].*)?$", url):
            return None
        url = "http://" + url
    if not re.match(r"^https?://[^/\s]+\.[^/\s]+|^https?://(localhost|\d+\.\d+\.\d+\.\d+)", url, re.I):
        if not url.lower().startswith(("ftp://", "tonsite://")):
            return None
    if re.match(r"^https?://[^/?#]+$", url, re.I):
        url += "/"
    return url


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = {
    "a": "text_link", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "code": "code",
    "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\n\r\f\v"


def _decode_html_entity(src: str, i: int) -> tuple[str | None, int]:
    """At ``src[i] == '&'``: (decoded char, index after it) or (None, i)."""
    n = len(src)
    j = i + 1
    if j < n and src[j] == "#":
        j += 1
        if j < n and src[j] in "xX":
            j += 1
            start = j
            while j < n and src[j] in "0123456789abcdefABCDEF":
                j += 1
            digits, base = src[start:j], 16
        else:
            start = j
            while j < n and src[j].isdigit() and src[j].isascii():
                j += 1
            digits, base = src[start:j], 10
        if not digits or len(digits) > 7:
            return None, i
        code = int(digits, base)
        if code == 0 or code > 0x10FFFF:
            return None, i
        if 0xD800 <= code <= 0xDFFF:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        if j < n and src[j] == ";":
            j += 1
        return chr(code), j
    start = j
    while j < n and src[j].isascii() and src[j].isalpha():
        j += 1
    name = src[start:j]
    if name not in _NAMED_ENTITIES:
        return None, i
    if j < n and src[j] == ";":
        j += 1
    return _NAMED_ENTITIES[name], j


def _decode_attr_value(raw: str) -> str:
    out, i = [], 0
    while i < len(raw):
        if raw[i] == "&":
            ch, j = _decode_html_entity(raw, i)
            if ch is not None:
                out.append(ch)
                i = j
                continue
        out.append(raw[i])
        i += 1
    return "".join(out)


def parse_html(src: str, *, strict_ampersand: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-HTML. ``strict_ampersand`` also rejects a bare ``&``.

    Real Telegram keeps an ``&`` that does not start a known entity literally;
    strict mode flags it because it almost always means un-escaped user text.
    """
    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, dict[str, str], int, int]] = []  # tag, attrs, u16 start, begin index
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)

    def err(message: str) -> EntityParseError:
        return EntityParseError(message)

    while i < n:
        c = src[i]
        if c == "&":
            ch, j = _decode_html_entity(src, i)
            if ch is not None:
                out.append(ch)
                u16 += _u16(ch)
                i = j
                continue
            if strict_ampersand:
                raise err(
                    f"Unescaped '&' at byte offset {_byte_offset(src, i)} "
                    "(emulator strict mode; write it as &amp;)"
                )
        if c != "<":
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue

        begin = i
        boff = _byte_offset(src, begin)
        i += 1
        if i >= n or src[i] != "/":
            # ---- start tag
            j = i
            while j < n and src[j] not in _SPACE and src[j] != ">":
                j += 1
            if j >= n:
                raise err(f"Unclosed start tag at byte offset {boff}")
            tag = src[i:j].lower()
            if tag not in _HTML_TAGS:
                raise err(f'Unsupported start tag "{tag}" at byte offset {boff}')
            attrs: dict[str, str] = {}
            i = j
            while True:
                while i < n and src[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise err(f'Unclosed start tag "{tag}" at byte offset {boff}')
                if src[i] == ">":
                    break
                attr_begin = i
                while i < n and src[i] not in _SPACE and src[i] not in "=>":
                    i += 1
                name = src[attr_begin:i].lower()
                if not name:
                    raise err(f'Empty attribute name in the tag "{tag}" at byte offset {boff}')
                while i < n and src[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise err(f'Unclosed start tag "{tag}" at byte offset {boff}')
                if src[i] != "=":
                    if tag == "blockquote" and name == "expandable":
                        attrs[name] = ""
                        continue
                    raise err(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {boff}'
                    )
                i += 1
                while i < n and src[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise err(f'Unclosed start tag "{tag}" at byte offset {boff}')
                if src[i] in "\"'":
                    end = src.find(src[i], i + 1)
                    if end < 0:
                        raise err(f"Unclosed start tag at byte offset {boff}")
                    value = _decode_attr_value(src[i + 1:end])
                    i = end + 1
                else:
                    token_begin = i
                    while i < n and (src[i].isascii() and (src[i].isalnum() or src[i] in ".-_")):
                        i += 1
                    if i >= n or (src[i] not in _SPACE and src[i] != ">"):
                        raise err(
                            f"Unexpected end of name token at byte offset "
                            f"{_byte_offset(src, token_begin)}"
                        )
                    value = src[token_begin:i]
                attrs[name] = value
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise err(f'Tag "span" must have class "tg-spoiler" at byte offset {boff}')
            if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
                raise err("Invalid custom emoji identifier specified")
            stack.append((tag, attrs, u16, len(out)))
            i += 1
            continue

        # ---- end tag
        if not stack:
            raise err(f"Unexpected end tag at byte offset {boff}")
        i += 1
        j = i
        while j < n and src[j] not in _SPACE and src[j] != ">":
            j += 1
        name = src[i:j].lower()
        while j < n and src[j] in _SPACE:
            j += 1
        if j >= n or src[j] != ">":
            raise err(f"Unclosed end tag at byte offset {boff}")
        tag, attrs, start_u16, start_idx = stack[-1]
        if name and name != tag:
            raise err(
                f'Unmatched end tag at byte offset {boff}, expected "</{tag}>", found "</{name}>"'
            )
        stack.pop()
        i = j + 1
        length = u16 - start_u16
        if length == 0:
            continue
        kind = _HTML_TAGS[tag]
        if tag == "a":
            target = attrs.get("href") or "".join(out[start_idx:])
            if target.startswith("tg://user?id="):
                user_id = target.split("=", 1)[1]
                if user_id.isdigit():
                    entities.append(_entity("text_mention", start_u16, length,
                                            user={"id": int(user_id), "is_bot": False,
                                                  "first_name": ""}))
                continue
            url = _looks_like_url(target)
            if url is not None:
                entities.append(_entity("text_link", start_u16, length, url=url))
        elif tag == "code":
            lang = attrs.get("class", "")
            language = lang[len("language-"):] if lang.startswith("language-") else None
            entities.append(_entity("code", start_u16, length, language=language or None))
        elif tag == "tg-emoji":
            entities.append(_entity(kind, start_u16, length, custom_emoji_id=attrs["emoji-id"]))
        elif tag == "blockquote" and "expandable" in attrs:
            entities.append(_entity("expandable_blockquote", start_u16, length))
        else:
            entities.append(_entity(kind, start_u16, length))

    if stack:
        raise err(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), _merge_pre_code(entities)


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``<pre><code class="language-x">`` becomes one ``pre`` entity with a language."""
    result = []
    for ent in entities:
        if ent["type"] == "code" and "language" in ent:
            pre = next((p for p in entities if p["type"] == "pre"
                        and p["offset"] == ent["offset"] and p["length"] == ent["length"]), None)
            if pre is not None:
                pre["language"] = ent["language"]
                continue
            ent = {k: v for k, v in ent.items() if k != "language"}
        result.append(ent)
    return _sorted(result)


# --------------------------------------------------------------------- MarkdownV2

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "pre_code": "PreCode",
    "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    u16 = 0
    stack: list[dict[str, Any]] = []  # {kind, u16, byte, idx, language}
    entities: list[dict[str, Any]] = []
    quote_start: int | None = None
    i, n = 0, len(src)

    def at(k: int) -> str:
        return src[k] if k < n else ""

    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        in_code = bool(stack) and stack[-1]["kind"] in ("code", "pre", "pre_code")
        line_start = i == 0 or src[i - 1] == "\n"
        if c == "\n" and quote_start is not None and at(i + 1) != ">":
            if u16 > quote_start:
                entities.append(_entity("blockquote", quote_start, u16 - quote_start))
            quote_start = None
        if c == ">" and line_start and not in_code:
            if quote_start is None:
                quote_start = u16
            i += 1
            continue
        reserved = "`" if in_code else _MDV2_RESERVED
        if c not in reserved:
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue

        top = stack[-1]["kind"] if stack else None
        is_end = {
            "bold": c == "*",
            "italic": c == "_" and at(i + 1) != "_",
            "code": c == "`",
            "pre": c == "`" and at(i + 1) == "`" and at(i + 2) == "`",
            "pre_code": c == "`" and at(i + 1) == "`" and at(i + 2) == "`",
            "text_link": c == "]",
            "custom_emoji": c == "]",
            "underline": c == "_" and at(i + 1) == "_",
            "strikethrough": c == "~",
            "spoiler": c == "|" and at(i + 1) == "|",
        }.get(top or "", False)

        if not is_end:
            byte = _byte_offset(src, i)
            language = None
            if c == "_":
                kind = "underline" if at(i + 1) == "_" else "italic"
                i += 1 if kind == "underline" else 0
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|" and at(i + 1) == "|":
                kind, i = "spoiler", i + 1
            elif c == "[":
                kind = "text_link"
            elif c == "!" and at(i + 1) == "[":
                kind, i = "custom_emoji", i + 1
            elif c == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while lang_end < n and src[lang_end] not in _SPACE and src[lang_end] != "`":
                        lang_end += 1
                    if lang_end != i and lang_end < n and src[lang_end] != "`":
                        kind, language, i = "pre_code", src[i:lang_end], lang_end
                    if at(i) in "\n\r" and at(i):
                        i += 2 if at(i + 1) in "\n\r" and at(i + 1) and at(i) != at(i + 1) else 1
                    i -= 1
                else:
                    kind = "code"
            else:
                raise EntityParseError(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            stack.append({"kind": kind, "u16": u16, "byte": byte, "idx": len(out),
                          "language": language})
            i += 1
            continue

        ent = stack.pop()
        kind = ent["kind"]
        skip = u16 == ent["u16"]
        extra: dict[str, Any] = {}
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind in ("text_link", "custom_emoji"):
            if at(i + 1) != "(":
                url = "".join(out[ent["idx"]:])
            else:
                i += 2
                url_begin = i
                chars = []
                while i < n and src[i] != ")":
                    if src[i] == "\\" and i + 1 < n and 0 < ord(src[i + 1]) <= 126:
                        chars.append(src[i + 1])
                        i += 2
                        continue
                    chars.append(src[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(src, url_begin)}"
                    )
                url = "".join(chars)
            if kind == "custom_emoji":
                m = re.match(r"^tg://emoji\?id=(\d+)$", url)
                if not m:
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                extra["custom_emoji_id"] = m.group(1)
            else:
                normal = _looks_like_url(url)
                if normal is None:
                    skip = True
                extra["url"] = normal
        if not skip:
            if kind == "pre_code":
                kind, extra["language"] = "pre", ent["language"]
            entities.append(_entity(kind, ent["u16"], u16 - ent["u16"], **extra))
        i += 1

    if stack:
        ent = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[ent['kind']]} entity at byte offset {ent['byte']}"
        )
    if quote_start is not None and u16 > quote_start:
        entities.append(_entity("blockquote", quote_start, u16 - quote_start))
    return "".join(out), _sorted(entities)


# ----------------------------------------------------------------- legacy Markdown

def parse_markdown(src: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    i, n = 0, len(src)
    kinds = {"*": "bold", "_": "italic", "`": "code", "[": "text_link"}
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.append(src[i + 1])
            u16 += 1
            i += 2
            continue
        if c not in kinds:
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = c == "`" and src[i + 1:i + 3] == "``"
        i += 3 if is_pre else 1
        language = None
        if is_pre:
            lang_end = i
            while lang_end < n and src[lang_end] not in _SPACE and src[lang_end] != "`":
                lang_end += 1
            if lang_end != i and lang_end < n and src[lang_end] != "`":
                language, i = src[i:lang_end], lang_end
        start_u16, start_idx = u16, len(out)
        while i < n and not (src[i] == end_char and (not is_pre or src[i:i + 3] == "```")):
            out.append(src[i])
            u16 += _u16(src[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(src, begin)}"
            )
        i += 3 if is_pre else 1
        length = u16 - start_u16
        if c == "[":
            url = None
            if i < n and src[i] == "(":
                close = src.find(")", i)
                if close < 0:
                    raise EntityParseError(
                        f"Can't find end of the entity starting at byte offset "
                        f"{_byte_offset(src, begin)}"
                    )
                url = _looks_like_url(src[i + 1:close])
                i = close + 1
            else:
                url = _looks_like_url("".join(out[start_idx:]))
            if length and url:
                entities.append(_entity("text_link", start_u16, length, url=url))
        elif length:
            if is_pre:
                entities.append(_entity("pre", start_u16, length, language=language))
            else:
                entities.append(_entity(kinds[c], start_u16, length))
    return "".join(out), _sorted(entities)


# ------------------------------------------------------------------------ entry point

def parse_formatted(
    text: str, parse_mode: str | None, *, strict_ampersand: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for ``text`` under ``parse_mode``.

    Raises ``EntityParseError`` (Telegram's message) or ``KeyError`` for an
    unsupported parse mode.
    """
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text, strict_ampersand=strict_ampersand)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise KeyError(parse_mode)


# ------------------------------------------------------------- entities in user text

_USER_ENTITY_PATTERNS = [
    ("bot_command", re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("url", re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]'，。；！？）]")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
]


def detect_user_entities(text: str) -> list[dict[str, Any]]:
    """Entities a Telegram client/server would attach to a plain user message."""
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _USER_ENTITY_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append((m.start(), m.end(), kind))
    return _sorted([
        _entity(kind, utf16_len(text[:start]), utf16_len(text[start:end]))
        for start, end, kind in found
    ])
