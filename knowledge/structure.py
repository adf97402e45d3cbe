"""Headings of Chinese policy text: 第X章 · 第X节 · 第X条 · 一、 · （一） · 1. · （1）."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN = "[一二三四五六七八九十百零〇两]+"
_AR = r"\d{1,3}"

# (level, pattern). Lower level = outer heading. Patterns match at paragraph start.
_HEADINGS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^第\s*(?:{_CN}|{_AR})\s*章")),
    (2, re.compile(rf"^第\s*(?:{_CN}|{_AR})\s*节")),
    (3, re.compile(rf"^第\s*(?:{_CN}|{_AR})\s*条")),
    (4, re.compile(rf"^{_CN}\s*[、．.]")),
    (5, re.compile(rf"^[（(]\s*{_CN}\s*[）)]")),
    (6, re.compile(rf"^{_AR}\s*[.．、](?!\d)")),
    (7, re.compile(rf"^[（(]\s*{_AR}\s*[）)]")),
]
ARTICLE_LEVEL = 3
# Headings marked by the format (DOCX "Heading 1".."Heading 4" / "标题 1".."标题 4", HTML
# <h1>..<h4>) without a numbering pattern: outer to articles and numbered items, so
# 第X条 and 一、 headings nest under them.
STYLED_LEVELS = {1: 1.0, 2: 1.5, 3: 2.0, 4: 2.5}
# Cells of one table row are joined with this (DOCX and HTML readers); a chunk keeps
# each row on its own line.
CELL_SEPARATOR = " | "
# A run-in heading ("（一）强化组织领导。坚持……") is at most this long.
_MAX_RUN_IN = 30
_MAX_HEADING = 60


@dataclass(frozen=True)
class Heading:
    level: int
    title: str  # e.g. "二、重点任务", "（一）强化组织领导", "第三条"
    body: str  # text that follows a run-in heading in the same paragraph ("" if none)


def heading_level(paragraph: str) -> int | None:
    for level, pattern in _HEADINGS:
        if pattern.match(paragraph):
            return level
    return None


def is_heading_start(line: str) -> bool:
    return heading_level(line) is not None


def parse_heading(paragraph: str) -> Heading | None:
    """Recognise a heading at the start of `paragraph`, splitting off a run-in body."""
    level = heading_level(paragraph)
    if level is None:
        return None
    pattern = dict(_HEADINGS)[level]
    marker = pattern.match(paragraph)
    assert marker is not None
    if level == ARTICLE_LEVEL:
        # 第三条 本办法所称…… : the article number is the heading, the rest its text.
        return Heading(level, marker.group(0).replace(" ", ""), paragraph[marker.end():].strip())
    stop = re.search(r"[。！？；]", paragraph)
    if stop is None:
        if len(paragraph) <= _MAX_HEADING:
            return Heading(level, paragraph.strip(), "")
        # A long list item with no sentence end: label it, keep all of it as text.
        return Heading(level, _label(paragraph), _item_text(paragraph, marker, level))
    head, rest = paragraph[: stop.start()], paragraph[stop.end():].strip()
    if rest and len(head) <= _MAX_RUN_IN:
        return Heading(level, head.strip(), rest)
    # A numbered item that is itself the clause: label it, keep the whole text.
    return Heading(level, _label(paragraph), _item_text(paragraph, marker, level))


def _item_text(paragraph: str, marker: re.Match[str], level: int) -> str:
    """The text of an item that is itself the clause: its number stays ("（五）电子设备，为3年。"),
    so the quote is the clause as written and can be told from its siblings; a chapter's or
    section's own number (第二章) is a heading, not part of any clause."""
    if level <= 2:
        return paragraph[marker.end():].strip()
    return paragraph.strip()


def styled_heading(paragraph: str, headings: dict[str, int]) -> Heading | None:
    """A heading the format marked (`headings`: line text → style level 1–4), not its numbering."""
    level = headings.get(paragraph) if headings else None
    if level not in STYLED_LEVELS or len(paragraph) > _MAX_HEADING or heading_level(paragraph) is not None:
        return None
    return Heading(STYLED_LEVELS[level], paragraph.strip(), "")  # type: ignore[arg-type]


def is_table_row(text: str) -> bool:
    return CELL_SEPARATOR in text


def _label(paragraph: str) -> str:
    first = re.split(r"[，。；：,;:]", paragraph, maxsplit=1)[0]
    return first if len(first) <= 24 else first[:24] + "…"
