"""What reading a policy file yields, what it may cost, and why a file is refused.

The ground floor of reading: `RawText` (what a format's reader returns), `UnreadableDocument`
(a refusal with its reason in Chinese), the `Limits` every reader checks (set in the parse
worker, knowledge/parsing.py) and the text decoding shared by the plain-text formats.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field, replace

log = logging.getLogger(__name__)

MB = 1024 * 1024


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw[:20], default)
        return default
    if value <= 0:
        log.warning("%s=%r must be positive; using %s", name, raw[:20], default)
        return default
    return value


@dataclass(frozen=True)
class Limits:
    """What one document may cost. A file beyond any of them is refused with the reason."""

    unpacked_bytes: int = 64 * MB  # all entries of a DOCX (zip), as declared and as read
    chars: int = 1_000_000  # extracted text; a 500-page regulation is about half of this
    pages: int = 500  # PDF pages
    page_content_bytes: int = 2 * MB  # one PDF page's decoded content stream
    pdf_content_bytes: int = 32 * MB  # all pages together (pages may share one stream)
    paragraphs: int = 50_000  # paragraphs and table rows; a 500-page document has about 10,000
    chunks: int = 5_000  # citable chunks of one document
    html_bytes: int = 10 * MB  # an HTML page (government pages are 0.1–1 MB)
    memory_bytes: int = 1024 * MB  # address space of the parsing process
    timeout: float = 30.0  # seconds for one file, parsing and chunking

    @classmethod
    def from_env(cls) -> Limits:
        base = cls()
        return replace(
            base,
            memory_bytes=int(_env_number("TEPAI_PARSE_MEMORY_MB", base.memory_bytes / MB) * MB),
            timeout=_env_number("TEPAI_PARSE_TIMEOUT", base.timeout),
            chars=int(_env_number("TEPAI_MAX_DOC_CHARS", base.chars)),
            chunks=int(_env_number("TEPAI_MAX_DOC_CHUNKS", base.chunks)),
        )


# The limits the readers consult inside the child (set by the worker before parsing).
_active = Limits()


def active_limits() -> Limits:
    return _active


def use_limits(limits: Limits) -> None:
    """The limits every reader checks from now on, in this process (the parse worker sets them)."""
    global _active
    _active = limits


class UnreadableDocument(Exception):
    """The file cannot be turned into text; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class RawText:
    text: str
    # True: lines are hard-wrapped (PDF); False: one line per paragraph; None: detect.
    wrapped: bool | None = None
    # Metadata the format itself carries (front matter, <title>, <meta>, DOCX keywords).
    meta: dict[str, str] = field(default_factory=dict)
    # Weaker hints, used only when plausible and nothing better is found (DOCX author, created).
    hints: dict[str, str] = field(default_factory=dict)
    # Lines the format marks as headings (DOCX heading styles, HTML <h1>..<h4>) → level 1–4.
    headings: dict[str, int] = field(default_factory=dict)


def check_chars(count: int) -> None:
    """Refuse text longer than a document may be (see `Limits`)."""
    limit = active_limits().chars
    if count > limit:
        raise UnreadableDocument(f"提取的文字过多（超过 {limit:,} 字上限）")


UNKNOWN_ENCODING = "无法识别文本编码（支持 UTF-8、GB18030/GBK、UTF-16），请另存为 UTF-8 后再上传"
MOJIBAKE = ("文本编码无法识别：按中文编码读出的是乱码（可能是 Big5、Shift-JIS 或 EBCDIC 等编码），"
            "请另存为 UTF-8 后再上传")
# Below this many non-ASCII characters there is too little evidence to call text mojibake.
_MIN_EVIDENCE = 20
# Share of non-ASCII characters that must be common Chinese for GB18030 to be believed.
# Measured: real policy text 0.96–0.99; Big5, Shift-JIS and EBCDIC text read as GB18030 0.0–0.3.
_MIN_COMMON_SHARE = 0.6


@functools.cache
def _common_chinese() -> frozenset[str]:
    """GB2312's level-1 hanzi (the 3,755 most used characters) and its punctuation rows.

    Derived from the codec rather than listed: rows 0xB0–0xD7 are level 1, rows 0xA1
    and 0xA3 hold the full-width punctuation and forms Chinese text is written with.
    """
    chars: set[str] = set()
    for lead in (0xA1, 0xA3, *range(0xB0, 0xD8)):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return frozenset(chars)


def looks_like_chinese(text: str) -> bool:
    """False when GB18030-decoded `text` is mojibake of another encoding.

    GB18030 maps nearly every byte pair to some character, so bytes in Big5,
    Shift-JIS or EBCDIC "decode" without error — into rare characters, symbols
    and private-use code points. Real Chinese text is overwhelmingly made of the
    common characters; mojibake is not.
    """
    common = _common_chinese()
    wide = [ch for ch in text if ord(ch) > 0x7F and not ch.isspace()]
    if len(wide) < _MIN_EVIDENCE:
        return True
    return sum(ch in common for ch in wide) / len(wide) >= _MIN_COMMON_SHARE


def decode_text(data: bytes) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030.

    UTF-8 is self-validating (other encodings' Chinese is practically never valid
    UTF-8); GB18030 is not, so text decoded that way must look like Chinese.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise UnreadableDocument(UNKNOWN_ENCODING) from None
    if not looks_like_chinese(text):
        raise UnreadableDocument(MOJIBAKE)
    return text


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))
