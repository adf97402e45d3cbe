"""Read policy files of each supported format into plain text.

Each reader returns `RawText`; anything that cannot be read raises
`UnreadableDocument` with a reason in Chinese, shown to the operator by file name.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from knowledge.sources import RawText, UnreadableDocument, check_chars, decode_text, looks_binary

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm")
MAX_FILE_BYTES = 50 * 1024 * 1024
# What a bureau is likely to have instead, and what to do with it.
_INSTEAD = (
    ((".doc", ".wps", ".rtf"), "旧版 Word/WPS 文件请用 Word 或 WPS 另存为 .docx 后再上传"),
    ((".ofd",), "OFD 版式文件请导出为 PDF 后再上传"),
    ((".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"), "图片中的文字无法读取，请上传文字版 PDF 或 DOCX"),
    ((".xls", ".xlsx", ".et", ".csv"), "表格文件请将政策正文另存为 .docx 或 PDF 后再上传"),
    ((".zip", ".rar", ".7z"), "压缩包请解压后逐个上传"),
)


def unsupported_reason(suffix: str) -> str:
    """Why a file of this type is refused, and what to send instead (Chinese, for staff)."""
    suffix = suffix.lower()
    shown = f" {suffix}" if suffix else "（无扩展名）"
    for suffixes, advice in _INSTEAD:
        if suffix in suffixes:
            return f"不支持的文件类型{shown}：{advice}"
    return f"不支持的文件类型{shown}（支持 PDF、DOCX、TXT、MD、HTML）"


def read_source(path: Path) -> RawText:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableDocument(unsupported_reason(suffix))
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


def read_txt(path: Path) -> RawText:
    data = path.read_bytes()
    if looks_binary(data):
        raise UnreadableDocument("不是文本文件（含二进制内容）")
    return RawText(decode_text(data))


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def read_markdown(path: Path) -> RawText:
    data = path.read_bytes()
    if looks_binary(data):
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
