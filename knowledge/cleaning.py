"""Repair text extracted from PDFs into clean paragraphs.

PDF extraction (and the bundled policy file) leaves hard-wrapped lines, blank lines
between them, leading spaces and lone page numbers in the middle of sentences.
`to_paragraphs` rebuilds paragraphs without breaking phrases. Text that is not
hard-wrapped (DOCX, HTML, Markdown) keeps its own line structure.
"""

from __future__ import annotations

import math
import re
import unicodedata

from knowledge.structure import is_heading_start

# A line holding only a page number: "5", "- 5 -", "— 12 —", "第 3 页", "3/12".
_PAGE_NUMBER = re.compile(
    r"^[-—–\s]*(?:\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[/，,]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})[-—–\s]*$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")
_TERMINAL = tuple("。！？；：!?;:")
# Hard-wrapped text: a line is "full" when its width reaches this share of the page width.
_FULL_LINE = 0.85
_MIN_WRAPPED_SHARE = 0.3


def display_width(text: str) -> int:
    """Columns `text` takes on a page: CJK and full-width punctuation count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def normalize(text: str) -> str:
    """Unify newlines, drop control and zero-width characters, NFKC-free (keeps full-width)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = text.replace("\u3000", " ").replace("\xa0", " ")
    return _CONTROL.sub("", text)


def is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line.strip()))


# A short line that is site furniture whatever its markup: the footer's filing numbers, the
# "you are here" trail, font-size and print buttons. Never an article or an item.
_FURNITURE_LINE = re.compile(
    r"ICP\s*备|网站标识码|公网安备|版权所有|当前位置\s*[:：]|您的位置\s*[:：]|【\s*字体|"
    r"字号\s*[:：]\s*[大中小]|打印本页|关闭窗口|分享到\s*[:：]|扫一扫在手机"
)  # not 主办单位：… alone: an event notice names its organisers
_NUMBERED_LINE = re.compile(r"^\s*(?:第[一二三四五六七八九十百零〇\d]+[条章节]|[（(][一二三四五六七八九十\d]+[)）]|"
                            r"[一二三四五六七八九十]+、|\d+[.、])")
_FURNITURE_CHARS = 200


def is_site_furniture(line: str) -> bool:
    """A website's own line carried into a document: a saved page's footer, a copied page's
    "当前位置：" trail or its print buttons. Short, unnumbered, and it says what it is."""
    return (len(line) <= _FURNITURE_CHARS and not _NUMBERED_LINE.match(line)
            and _FURNITURE_LINE.search(line) is not None)


# Running heads and feet: lines at the top or bottom of a page that recur on most pages.
_EDGE_LINES = 2
_MIN_RUNNING_PAGES = 3
_RUNNING_SHARE = 0.6
# What a browser prints around a saved page: its address, the time, "1/5".
_BROWSER_PRINT = re.compile(r"https?://|www\.|\b\d{1,2}:\d{2}\b|\d+\s*/\s*\d+\s*$")
_PAGE_COUNTER = re.compile(r"(?:第\d+页(?:/?共\d+页)?|\d+/\d+|[-—]*\d+[-—]*)$")


def _running_key(line: str) -> str:
    # Page by page only a trailing page counter changes ("1/5", "第2页", "— 3 —").
    return _PAGE_COUNTER.sub("#", "".join(line.split()))


def strip_running_lines(pages: list[str]) -> list[str]:
    """Pages without their running heads and feet.

    A line among the first or last two of a page whose text (a page counter aside) recurs on
    at least three pages and 60% of them is the page's furniture: a browser's print header
    (date, time, the page title with the site's name) and footer (address, "1/5"), or a
    document's running title. Left in, it ran into whatever clause crossed the page break.
    On the first page such a line stays unless it is plainly a browser's (an address, a
    time, a page count): there, the same words may be the document's own title or 文号.
    """
    if len(pages) < _MIN_RUNNING_PAGES:
        return pages
    split = [page.split("\n") for page in pages]
    edges = []  # per page: the line numbers of its first and last filled lines
    counts: dict[str, int] = {}
    for lines in split:
        filled = [n for n, line in enumerate(lines) if line.strip()]
        edge = set(filled[:_EDGE_LINES] + filled[-_EDGE_LINES:])
        edges.append(edge)
        for key in {_running_key(lines[n]) for n in edge}:
            counts[key] = counts.get(key, 0) + 1
    need = max(_MIN_RUNNING_PAGES, math.ceil(_RUNNING_SHARE * len(pages)))
    running = {key for key, count in counts.items() if count >= need and key}
    if not running:
        return pages
    out = []
    for number, (lines, edge) in enumerate(zip(split, edges)):
        drop = {n for n in edge if _running_key(lines[n]) in running
                and (number > 0 or _BROWSER_PRINT.search(lines[n]))}
        out.append("\n".join(line for n, line in enumerate(lines) if n not in drop))
    return out


def _join(left: str, right: str) -> str:
    # Chinese lines join with nothing; a space survives only between two Latin words.
    if left and right and left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum():
        return left + " " + right
    return left + right


def page_width(lines: list[str]) -> int:
    """The width of a full line: the 90th percentile of line widths."""
    widths = sorted(display_width(line) for line in lines)
    return widths[int(0.9 * (len(widths) - 1))] if widths else 0


def is_hard_wrapped(lines: list[str]) -> bool:
    """True when many lines end at (nearly) the same width: extracted PDF text."""
    if len(lines) < 4:
        return False
    width = page_width(lines)
    if width < 20:
        return False
    full = sum(1 for line in lines if display_width(line) >= _FULL_LINE * width)
    return full / len(lines) >= _MIN_WRAPPED_SHARE


def to_paragraphs(text: str, wrapped: bool | None = None) -> list[str]:
    """Split `text` into repaired paragraphs.

    `wrapped=None` detects hard wrapping from the line widths.
    """
    lines = [line.strip() for line in normalize(text).split("\n")]
    lines = [re.sub(r" {2,}", " ", line) for line in lines if line and not is_page_number(line)]
    if not lines:
        return []
    if wrapped is None:
        wrapped = is_hard_wrapped(lines)
    if not wrapped:
        return lines

    width = page_width(lines)
    paragraphs: list[str] = []
    current = ""
    last_line = ""
    for line in lines:
        if current and is_heading_start(line):
            # A heading never continues the previous line, unless that line was cut
            # mid-phrase (full width, no closing punctuation) - then it is just text.
            if not (display_width(last_line) >= _FULL_LINE * width and not current.endswith(_TERMINAL)):
                paragraphs.append(current)
                current = ""
        current = _join(current, line) if current else line
        last_line = line
        if display_width(line) < _FULL_LINE * width:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
