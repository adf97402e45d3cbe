"""Read policy files of each supported format into plain text.

Each reader returns `RawText`; anything that cannot be read raises
`UnreadableDocument` with a reason in Chinese, shown to the operator by file name.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm")
MAX_FILE_BYTES = 50 * 1024 * 1024


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


def read_source(path: Path) -> RawText:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(f"不支持的文件类型 {suffix or '（无扩展名）'}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableDocument(f"无法读取文件：{exc.strerror or exc}") from None
    if size == 0:
        raise UnreadableDocument("文件为空")
    if size > MAX_FILE_BYTES:
        raise UnreadableDocument(f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限")
    reader = _READERS[suffix]
    try:
        raw = reader(path)
    except (UnreadableDocument, MemoryError):
        raise  # MemoryError: the parsing worker reports its own limit
    except OSError as exc:
        raise UnreadableDocument(f"无法读取文件：{exc.strerror or exc}") from None
    except Exception:  # a corrupt file makes parsers raise anything
        logging.getLogger(__name__).info("cannot parse %s", path.name, exc_info=True)
        raise UnreadableDocument("文件已损坏或格式不正确") from None
    if not raw.text.strip():
        raise UnreadableDocument("未提取到文字（空文档或扫描件）")
    check_chars(len(raw.text))
    return raw


def check_chars(count: int) -> None:
    """Refuse text longer than a document may be (see `knowledge.parsing.Limits`)."""
    from knowledge.parsing import active_limits

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


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff"))


def read_txt(path: Path) -> RawText:
    data = path.read_bytes()
    if _looks_binary(data):
        raise UnreadableDocument("不是文本文件（含二进制内容）")
    return RawText(decode_text(data))


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def read_markdown(path: Path) -> RawText:
    data = path.read_bytes()
    if _looks_binary(data):
        raise UnreadableDocument("不是文本文件（含二进制内容）")
    text = decode_text(data)
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                meta[key.strip()] = value.strip().strip("\"'")
        text = text[match.end():]
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        heading = re.match(r"^#{1,6}\s+(.*)$", stripped)
        if heading:
            stripped = heading.group(1).strip()
            if not meta.get("title") and line.startswith("# "):
                meta["title"] = stripped
                continue
        stripped = re.sub(r"^[-*+]\s+", "", stripped)  # list bullets
        stripped = re.sub(r"(\*\*|__|`)", "", stripped)  # emphasis and code marks
        lines.append(stripped)
    return RawText("\n".join(lines), wrapped=False, meta=meta)


def read_docx(path: Path) -> RawText:
    from knowledge.formats import docx_text

    return docx_text(path)


def read_pdf(path: Path) -> RawText:
    from knowledge.formats import pdf_text

    return pdf_text(path)


def read_html(path: Path) -> RawText:
    from knowledge.formats import html_text

    return html_text(path)


_READERS = {
    ".txt": read_txt,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".docx": read_docx,
    ".pdf": read_pdf,
    ".html": read_html,
    ".htm": read_html,
}
