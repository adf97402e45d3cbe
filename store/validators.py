"""Validators for the enterprise demand survey (企业需求摸底调查).

Each validator takes the raw text a user typed and returns the normalised value, or
raises :class:`ValidationError` whose ``message`` is a polite Simplified-Chinese
sentence telling the user exactly what to fix.  Pure Python: no Telegram, no database.

Normalisation applied before checking (where it makes sense for the field):

* leading/trailing whitespace is stripped;
* identifiers (信用代码, 手机号, 入库编号) go through NFKC, so full-width digits and
  letters become half-width, and inner spaces and hyphens are removed; credit codes
  and registry numbers are upper-cased;
* enterprise names go through NFKC too, but parentheses are kept full-width
  "（）" as on the business licence, and spaces between two Chinese characters are
  dropped;
* free text is *not* NFKC-normalised (that would turn "，：？" into ASCII punctuation);
  only control characters are removed and runs of spaces collapsed.

统一社会信用代码 (GB 32100-2015)
--------------------------------
18 characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, Z, S, V):

* position 1 — 登记管理部门代码.  The 2015 table lists 1 机构编制, 5 民政, 9 工商 and
  Y 其他; codes issued by registration departments added since then are in
  circulation (2 外交, 3 司法行政 — e.g. law firms "31…", 4 文化, 6 旅游, 7 宗教,
  8 工会 — "81…", A 中央军委改革和编制办公室, N 农业 — rural collectives "N…"), so all
  of ``123456789ANY`` are accepted: rejecting a real code would lock the user out.
* position 2 — 机构类别代码 (e.g. 9→1 企业 / 2 个体工商户 / 3 农民专业合作社,
  1→1 机关 / 2 事业单位 / 3 群众团体 / 9 其他, 5→1 社会团体 / 2 民办非企业单位 /
  3 基金会 / 9 其他, Y→1).  Deliberately **lenient**: any charset character is accepted,
  because the category tables keep growing and a typo here is caught by the check
  character anyway.
* positions 3–8 — 登记管理机关行政区划码, six digits.
* positions 9–17 — 主体标识码 (组织机构代码, GB 11714).  Its own check character (the
  17th position overall) is *not* verified: some codes issued during the transition
  do not satisfy it, and the 18th character already protects the whole code.
* position 18 — check character: weights 3**(i-1) mod 31 for positions 1..17, each
  character's value is its index in the charset, and
  ``check = (31 - sum(value * weight) % 31) % 31``.  Because 31 is prime and no weight
  is 0 mod 31, every single-character substitution changes the check character.
"""

from __future__ import annotations

import re
import unicodedata

from core import texts
from core.errors import ValidationError  # noqa: F401 - raised here, caught by every caller as v.ValidationError

__all__ = [
    "CREDIT_CODE_CHARSET",
    "ValidationError",
    "bounded_text",
    "credit_code_check_char",
    "enterprise_name",
    "mobile_phone",
    "optional_text",
    "registry_number",
    "unified_credit_code",
    "unreadable_reason",
]

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CHAR_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
_CHECK_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
_REGISTRATION_AUTHORITIES = "123456789ANY"
_UNUSED_LETTERS_HINT = {"O": "0", "I": "1", "Z": "2", "S": "5"}

# Answers meaning "nothing to say" for optional questions (compared after NFKC and stripping).
_SKIP_WORDS = frozenset({"", "无", "没有", "暂无", "跳过", "-", "--", "—", "——", "/"})

_DASHES = "-‐‑‒–—―−﹣"  # after NFKC, "－" is already "-"
_INVISIBLE = "\u200b\u2060\ufeff"  # zero-width space, word joiner, BOM: copy-paste debris, dropped silently
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HSPACE_RUN = re.compile(r"[^\S\n]+")  # whitespace other than newline

# Extra advice appended when a free-text answer is too short, by field label.
_SHORT_HINTS = texts.VALID_TEXT_SHORT_HINTS


# --------------------------------------------------------------------------- helpers


def _show(chars: str | list[str], limit: int = 5) -> str:
    """The offending characters, de-duplicated, as 「x」、「y」 (invisible ones as U+XXXX)."""
    seen: list[str] = []
    for ch in chars:
        if ch not in seen:
            seen.append(ch)
    parts = []
    for ch in seen[:limit]:
        printable = ch.isprintable() and not ch.isspace()
        parts.append(texts.VALID_SHOWN_CHAR.format(char=ch) if printable
                     else texts.VALID_SHOWN_CODEPOINT.format(code=ord(ch)))
    more = texts.VALID_SHOWN_MORE if len(seen) > limit else ""
    return texts.VALID_SHOWN_SEPARATOR.join(parts) + more


def _identifier(text: str | None) -> tuple[str, bool]:
    """NFKC, drop whitespace, dashes and invisible characters; also report whether any were dropped."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    kept = "".join(ch for ch in raw if not (ch.isspace() or ch in _DASHES or ch in _INVISIBLE))
    return kept, len(kept) != len(raw)


def _is_skip(text: str | None) -> bool:
    word = unicodedata.normalize("NFKC", text or "").strip().rstrip("。.!！")
    return word in _SKIP_WORDS


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


# --------------------------------------------------------------------------- 统一社会信用代码


def credit_code_check_char(first17: str) -> str:
    """The 18th character (校验码) for the first 17 characters of a credit code."""
    if len(first17) != 17 or any(ch not in _CHAR_VALUE for ch in first17):
        raise ValueError(f"need 17 characters from {CREDIT_CODE_CHARSET!r}, got {first17!r}")
    total = sum(_CHAR_VALUE[ch] * weight for ch, weight in zip(first17, _CHECK_WEIGHTS))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def unified_credit_code(text: str | None) -> str:
    """An 18-character 统一社会信用代码, upper-cased, without spaces or hyphens."""
    code, had_separators = _identifier(text)
    code = code.upper()
    if not code:
        raise ValidationError(texts.VALID_CREDIT_EMPTY)

    illegal = [ch for ch in code if ch not in _CHAR_VALUE]
    if illegal:
        hints = [texts.VALID_CREDIT_LETTER_HINT.format(char=ch, digit=digit)
                 for ch, digit in _UNUSED_LETTERS_HINT.items() if ch in illegal]
        hint = texts.VALID_CREDIT_LETTER_HINTS.format(
            hints=texts.VALID_CREDIT_LETTER_HINT_SEPARATOR.join(hints)) if hints else ""
        raise ValidationError(texts.VALID_CREDIT_ILLEGAL.format(chars=_show(illegal), hint=hint))

    if len(code) != 18:
        note = texts.VALID_CREDIT_SEPARATORS_NOTE if had_separators else ""
        message = texts.VALID_CREDIT_LENGTH.format(count=len(code), note=note)
        if len(code) == 15 and code.isdigit():
            message += texts.VALID_CREDIT_OLD_REGISTRATION_NUMBER
        elif len(code) == 9:
            message += texts.VALID_CREDIT_OLD_ORGANIZATION_CODE
        raise ValidationError(message)

    if code[0] not in _REGISTRATION_AUTHORITIES:
        raise ValidationError(texts.VALID_CREDIT_AUTHORITY.format(char=code[0]))

    region = code[2:8]
    if not region.isdigit():
        raise ValidationError(texts.VALID_CREDIT_REGION.format(region=region))

    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(texts.VALID_CREDIT_CHECK.format(expected=expected, typed=code[17]))
    return code


# --------------------------------------------------------------------------- 手机号


def mobile_phone(text: str | None) -> str:
    """A mainland-China mobile number as 11 bare digits (+86 / 86 / 0086 prefixes accepted)."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    number = "".join(ch for ch in raw if not (ch.isspace() or ch in _DASHES or ch in "()" or ch in _INVISIBLE))
    if not number:
        raise ValidationError(texts.VALID_PHONE_EMPTY)

    prefix_removed = False
    if number.startswith("+"):
        if not number.startswith("+86"):
            raise ValidationError(texts.VALID_PHONE_NOT_MAINLAND)
        number, prefix_removed = number[3:], True
    elif number.startswith("0086"):
        number, prefix_removed = number[4:], True
    elif number.startswith("86") and len(number) == 13:
        number, prefix_removed = number[2:], True

    illegal = [ch for ch in number if not ("0" <= ch <= "9")]
    if illegal:
        raise ValidationError(texts.VALID_PHONE_ILLEGAL.format(chars=_show(illegal)))

    landline = texts.VALID_PHONE_LANDLINE_NOTE if number.startswith("0") else ""
    if len(number) != 11:
        note = texts.VALID_PHONE_PREFIX_NOTE if prefix_removed else ""
        raise ValidationError(texts.VALID_PHONE_LENGTH.format(count=len(number), note=note, landline=landline))

    if number[0] != "1" or number[1] not in "3456789":
        raise ValidationError(texts.VALID_PHONE_PATTERN.format(number=number, landline=landline))
    return number


# --------------------------------------------------------------------------- 企业名称

_NAME_MIN, _NAME_MAX = 2, 60


def enterprise_name(text: str | None) -> str:
    """The enterprise's full name: 2–60 characters, whitespace collapsed, brackets full-width."""
    raw = (text or "").strip()
    bad = [ch for ch in raw
           if ch in _BIDI_CONTROLS or (unicodedata.category(ch) == "Cc" and not ch.isspace())]
    if bad:
        raise ValidationError(texts.VALID_NAME_CONTROL_CHARS.format(chars=_show(bad)))

    name = unicodedata.normalize("NFKC", raw)
    name = "".join(ch for ch in name if ch not in _INVISIBLE)
    name = name.replace("(", "（").replace(")", "）")
    name = " ".join(name.split())
    # Chinese names carry no spaces: "华为技术 （深圳） 有限公司" → "华为技术（深圳）有限公司".
    name = "".join(
        ch for i, ch in enumerate(name)
        if not (ch == " " and 0 < i < len(name) - 1 and _is_wide(name[i - 1]) and _is_wide(name[i + 1]))
    )

    if not name:
        raise ValidationError(texts.VALID_NAME_EMPTY.format(min_len=_NAME_MIN, max_len=_NAME_MAX))
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise ValidationError(texts.VALID_NAME_NO_LETTERS)
    if len(name) < _NAME_MIN:
        raise ValidationError(texts.VALID_NAME_TOO_SHORT.format(min_len=_NAME_MIN, count=len(name)))
    if len(name) > _NAME_MAX:
        raise ValidationError(texts.VALID_NAME_TOO_LONG.format(max_len=_NAME_MAX, count=len(name)))
    return name


# --------------------------------------------------------------------------- free text


def _clean_text(text: str) -> str:
    """Drop control characters (newlines kept), collapse runs of spaces, trim every line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        if ch == "\n":
            kept.append(ch)
        elif ch.isspace():
            kept.append(" ")
        elif ch in _INVISIBLE or ch in _BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            continue
        else:
            kept.append(ch)
    lines = [_HSPACE_RUN.sub(" ", line).strip() for line in "".join(kept).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def bounded_text(text: str | None, *, field: str, min_len: int, max_len: int, hint: str | None = None) -> str:
    """Free text for ``field`` of ``min_len``–``max_len`` characters (counted after cleaning).

    ``hint`` is advice added when the answer is too short; by default a built-in one for
    the field label, if any (需求描述: "遇到什么问题、已经尝试过什么").
    """
    if min_len < 0 or max_len < min_len:
        raise ValueError(f"bad bounds {min_len}..{max_len}")
    value = _clean_text(text or "")
    count = len(value)
    if count < min_len:
        advice = hint if hint is not None else _SHORT_HINTS.get(field, "")
        tail = texts.VALID_TEXT_SHORT_ADVICE.format(advice=advice) if advice else texts.VALID_TEXT_SHORT_NO_ADVICE
        raise ValidationError(texts.VALID_TEXT_TOO_SHORT.format(field=field, min_len=min_len, count=count, tail=tail))
    if count > max_len:
        raise ValidationError(texts.VALID_TEXT_TOO_LONG.format(field=field, max_len=max_len, count=count))
    return value


def optional_text(text: str | None, *, field: str, max_len: int) -> str | None:
    """Like :func:`bounded_text` with ``min_len=1``, but "无" / "跳过" / "-" / nothing give None."""
    if _is_skip(text) or not _clean_text(text or ""):
        return None
    return bounded_text(text, field=field, min_len=1, max_len=max_len)


# --------------------------------------------------------------------------- 入库编号

_REGISTRY_MIN, _REGISTRY_MAX = 10, 30
_REGISTRY_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-")


def registry_number(text: str | None) -> str | None:
    """科技型中小企业入库编号 (e.g. 202437010500001234), or None when the user has none."""
    if _is_skip(text):
        return None
    raw = unicodedata.normalize("NFKC", text or "").strip().upper()
    # Hyphens belong to some numbers: keep them (unified to "-"), drop only spaces.
    number = "".join("-" if ch in _DASHES else ch for ch in raw if not (ch.isspace() or ch in _INVISIBLE))
    if not number:
        return None
    skip = texts.VALID_REGISTRY_SKIP_NOTE
    illegal = [ch for ch in number if ch not in _REGISTRY_CHARS]
    if illegal:
        raise ValidationError(texts.VALID_REGISTRY_ILLEGAL.format(chars=_show(illegal), skip=skip))
    if not _REGISTRY_MIN <= len(number) <= _REGISTRY_MAX:
        raise ValidationError(texts.VALID_REGISTRY_LENGTH.format(
            min_len=_REGISTRY_MIN, max_len=_REGISTRY_MAX, count=len(number), skip=skip))
    if not any(ch.isdigit() for ch in number):
        raise ValidationError(texts.VALID_REGISTRY_NO_DIGIT.format(skip=skip))
    return number


# --------------------------------------------------------------------------- unreadable files


def unreadable_reason(exc: BaseException) -> str:
    """Why an import file could not be read, in Chinese (never the exception's English name)."""
    for kind in type(exc).__mro__:
        if kind.__name__ in texts.IMPORT_UNREADABLE_REASONS:
            return texts.IMPORT_UNREADABLE_REASONS[kind.__name__]
    return texts.IMPORT_UNREADABLE_OTHER
