"""A policy document: repaired paragraphs plus its metadata (title, issuer, date, status)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from knowledge import metadata
from knowledge.cleaning import is_site_furniture, normalize, to_paragraphs
from knowledge.readers import read_source
from knowledge.sources import RawText, UnreadableDocument, active_limits
from knowledge.structure import is_heading_start

STATUS_CURRENT = metadata.STATUS_CURRENT
STATUS_DRAFT = metadata.STATUS_DRAFT
STATUS_RETIRED = metadata.STATUS_RETIRED
STATUS_REPEALED = metadata.STATUS_REPEALED
STATUS_AMENDED = metadata.STATUS_AMENDED
DRAFT_MARKERS = metadata.DRAFT_MARKERS
UNCITABLE_STATUSES = metadata.UNCITABLE

_TITLE_BLOCK_MAX = 40


@dataclass
class Document:
    key: str  # stable identity across index runs: the resolved path
    path: Path
    title: str
    issuer: str | None
    date: str | None  # ISO yyyy-mm-dd
    status: str  # current | draft | repealed | amended
    sha256: str
    paragraphs: list[str]
    doc_number: str | None = None  # 文号
    effective: str | None = None  # ISO yyyy-mm-dd
    amended_by: str | None = None
    headings: dict[str, int] = field(default_factory=dict)  # paragraph → style level (see structure)

    def metadata(self) -> dict[str, str]:
        """The fields as read from the file (before any staff correction)."""
        values = {name: getattr(self, name) for name in metadata.FIELDS}
        return {k: v for k, v in values.items() if v}

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
    # A page copied or saved from a website brings the site's own lines (当前位置, 打印本页, ICP备…).
    paragraphs = [p for p in to_paragraphs(raw.text, raw.wrapped) if not is_site_furniture(p)]
    if not paragraphs:
        raise UnreadableDocument("未提取到文字（空文档或扫描件）")
    limit = active_limits().paragraphs
    if len(paragraphs) > limit:
        raise UnreadableDocument(f"段落过多（{len(paragraphs):,} 段，上限 {limit:,} 段），疑似异常文件")
    styled = {_paragraph_key(line): level for line, level in raw.headings.items()}
    block, body_start = _title_block(paragraphs, styled)
    declared = metadata.from_pairs(raw.meta)
    # The title block is issuer, title, 文号 and date lines; only the title lines make the title.
    title_parts = [p for p in block if not _is_header_line(p)]
    title = declared.get("title") or "".join(title_parts) or _title_from_name(path)
    # The title block is metadata, not clause text.
    body = paragraphs[body_start:] or paragraphs
    found = {**_plausible_hints(raw.hints), **metadata.from_text(paragraphs, block, title), **declared}
    status = found.get("status")
    if status is None:
        haystack = title + path.stem
        status = STATUS_DRAFT if any(m in haystack for m in DRAFT_MARKERS) else STATUS_CURRENT
    if found.get("amended_by") and status == STATUS_CURRENT:
        status = STATUS_AMENDED
    return Document(
        key=document_key(path),
        path=path,
        title=title[:120],
        issuer=found.get("issuer"),
        date=found.get("date"),
        status=status,
        sha256=sha256,
        paragraphs=body,
        doc_number=found.get("doc_number"),
        effective=found.get("effective"),
        amended_by=found.get("amended_by"),
        headings=styled,
    )


def _paragraph_key(line: str) -> str:
    # The form `to_paragraphs` gives an unwrapped line.
    return re.sub(r" {2,}", " ", normalize(line).strip())


def _is_header_line(para: str) -> bool:
    if len(para) <= 20 and metadata.ISSUER_SUFFIX.search(para):
        return True
    if metadata.DOC_NUMBER.fullmatch(para.strip()):
        return True
    return len(para) <= 30 and metadata.iso_date(para) is not None and "年" in para


def _plausible_hints(hints: dict[str, str]) -> dict[str, str]:
    """Weak metadata (DOCX author, creation date) only when it looks like a policy's."""
    out = metadata.from_pairs(hints)
    issuer = out.get("issuer", "")
    # "Administrator", "张三", "WPS": the typist's account is not an issuing body.
    if not issuer or not all(metadata.ISSUER_SUFFIX.search(part) for part in issuer.split()):
        out.pop("issuer", None)
    return out


def _title_block(paragraphs: list[str], headings: dict[str, int] | None = None) -> tuple[list[str], int]:
    """Leading short lines with no sentence end and no heading: issuer and title.

    A line the format marks as a heading ends the block, unless it is the first line
    (a title set in <h1> or a heading style).
    """
    block: list[str] = []
    for index, para in enumerate(paragraphs[:5]):
        styled = index > 0 and bool(headings) and para in headings  # type: ignore[operator]
        if is_heading_start(para) or styled or len(para) > _TITLE_BLOCK_MAX or re.search(r"[。；！？]", para):
            return block, index
        block.append(para)
    if len(block) == len(paragraphs):  # a document of only short lines has no title block
        return [], 0
    return block, len(block)


def _title_from_name(path: Path) -> str:
    return path.stem.strip() or path.name
