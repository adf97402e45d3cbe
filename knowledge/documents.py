"""A policy document: repaired paragraphs plus its metadata (title, issuer, date, status)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from knowledge.cleaning import to_paragraphs
from knowledge.readers import RawText, UnreadableDocument, read_source
from knowledge.structure import is_heading_start

DRAFT_MARKERS = ("征求意见稿", "草案", "讨论稿", "送审稿", "征求意见")
STATUS_CURRENT = "current"
STATUS_DRAFT = "draft"
STATUS_RETIRED = "retired"

_ISSUER = re.compile(r"(人民政府|政府办公厅|办公厅|办公室|委员会|管理委员会|局|厅|委|部|院|中心|科技局)$")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})$")
_TITLE_BLOCK_MAX = 40


@dataclass
class Document:
    key: str  # stable identity across index runs: the resolved path
    path: Path
    title: str
    issuer: str | None
    date: str | None  # ISO yyyy-mm-dd
    status: str  # current | draft
    sha256: str
    paragraphs: list[str]

    @property
    def is_draft(self) -> bool:
        return self.status == STATUS_DRAFT


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def document_key(path: Path) -> str:
    return str(path.resolve())


def load_document(path: Path, sha256: str | None = None) -> Document:
    """Read, repair and describe one file. Raises `UnreadableDocument`."""
    raw = read_source(path)
    return build_document(path, raw, sha256 or file_sha256(path))


def build_document(path: Path, raw: RawText, sha256: str) -> Document:
    from knowledge.parsing import active_limits

    paragraphs = to_paragraphs(raw.text, raw.wrapped)
    if not paragraphs:
        raise UnreadableDocument("未提取到文字（空文档或扫描件）")
    limit = active_limits().paragraphs
    if len(paragraphs) > limit:
        raise UnreadableDocument(f"段落过多（{len(paragraphs):,} 段，上限 {limit:,} 段），疑似异常文件")
    block, body_start = _title_block(paragraphs)
    issuer = raw.meta.get("issuer") or next((p for p in block if _ISSUER.search(p) and len(p) <= 20), None)
    title_parts = [p for p in block if p != issuer]
    title = raw.meta.get("title") or "".join(title_parts) or _title_from_name(path)
    # The title block is metadata, not clause text.
    body = paragraphs[body_start:] or paragraphs
    date = _iso_date(raw.meta.get("date")) or _find_date(block + body[-3:])
    status = raw.meta.get("status", "").strip().lower()
    if status not in (STATUS_CURRENT, STATUS_DRAFT):
        haystack = title + path.stem
        status = STATUS_DRAFT if any(m in haystack for m in DRAFT_MARKERS) else STATUS_CURRENT
    return Document(
        key=document_key(path),
        path=path,
        title=title[:120],
        issuer=issuer,
        date=date,
        status=status,
        sha256=sha256,
        paragraphs=body,
    )


def _title_block(paragraphs: list[str]) -> tuple[list[str], int]:
    """Leading short lines with no sentence end and no heading: issuer and title."""
    block: list[str] = []
    for index, para in enumerate(paragraphs[:5]):
        if is_heading_start(para) or len(para) > _TITLE_BLOCK_MAX or re.search(r"[。；！？]", para):
            return block, index
        block.append(para)
    if len(block) == len(paragraphs):  # a document of only short lines has no title block
        return [], 0
    return block, len(block)


def _title_from_name(path: Path) -> str:
    return path.stem.strip() or path.name


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    match = _ISO_DATE.match(value.strip()) or _DATE.search(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _find_date(paragraphs: list[str]) -> str | None:
    for para in paragraphs:
        if len(para) <= 30:
            found = _iso_date(para)
            if found:
                return found
    return None
