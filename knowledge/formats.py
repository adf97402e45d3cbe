"""DOCX, PDF and HTML readers.

Each turns one file into `RawText` for `knowledge.readers.read_source`, which has
already checked the suffix, size and emptiness. A file these parsers reject raises
`UnreadableDocument` with a reason specific to its format, so the operator learns
*why* a file was skipped (encrypted, scanned, not really a DOCX) rather than a
generic "corrupt". I/O errors are left to `read_source`.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from pathlib import Path

import docx
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from pypdf import PdfReader
from pypdf.errors import DependencyError, LimitReachedError

from knowledge import structure
from knowledge.cleaning import strip_running_lines
from knowledge.numbering import Numbering
from knowledge.sources import MB, RawText, UnreadableDocument, active_limits, decode_text, looks_binary

# Cells in a table row are joined with this, in every format.
CELL_SEPARATOR = structure.CELL_SEPARATOR
_STYLE_HEADING = re.compile(r"^(?:heading|标题)\s*([1-4])$", re.I)
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}


def _table_row_lines(cells: list[list[str]]) -> list[str]:
    """Lines for one table row, given each cell's own lines.

    A row with two or more filled cells is one line, cells joined by `CELL_SEPARATOR`
    (a cell's own lines joined by a space). Empty cells are dropped: they are spacers
    or blanks and would leave "| |" noise. A row with a single filled cell is a frame
    or layout table (whole articles sit in one, especially on government sites), so
    its lines stay separate paragraphs instead of merging into one giant line.
    """
    filled = [lines for lines in cells if lines]
    if len(filled) == 1:
        return filled[0]
    if not filled:
        return []
    return [CELL_SEPARATOR.join(" ".join(lines) for lines in filled)]


# ---------------------------------------------------------------------------- DOCX

# A real DOCX has a few dozen parts (styles, fonts, images); thousands mean a crafted file.
_MAX_ZIP_ENTRIES = 5_000
# Encrypted OOXML files and legacy .doc files are OLE compound files, not zips.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Runs whose text belongs to a paragraph. python-docx's `Paragraph.text` reads only
# direct runs and hyperlinks, silently dropping text in tracked insertions (common
# in 征求意见稿 drafts), content controls, smart tags and simple fields.
_RUNS_XPATH = (
    "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:ins/w:hyperlink/w:r"
    " | ./w:sdt/w:sdtContent/w:r | ./w:smartTag/w:r | ./w:fldSimple/w:r"
)


def docx_text(path: Path) -> RawText:
    """Paragraphs and table rows of the body, in document order, one per line."""

    document = _open_docx(path)
    # Counting paragraphs is cheap; reading each of 480,000 one-line items is not.
    limit = active_limits().paragraphs
    count = sum(1 for _ in document.element.body.iter(qn("w:p")))
    if count > limit:
        raise UnreadableDocument(f"DOCX 段落过多（{count:,} 段，上限 {limit:,} 段），疑似异常文件")
    headings: dict[str, int] = {}
    lines = _docx_block_lines(document.element.body, document, _docx_style_levels(document), headings,
                              Numbering(document))
    from knowledge.metadata import keyword_pairs

    properties = document.core_properties
    meta = keyword_pairs(properties.keywords or "")
    title = (properties.title or "").strip()
    if title:
        meta["title"] = title
    # Author and creation time are often the typist's account and the day the file was
    # saved, not the issuing body and the policy's date: hints, used only if plausible.
    hints: dict[str, str] = {}
    if (properties.author or "").strip():
        hints["issuer"] = properties.author.strip()
    if properties.created is not None:
        hints["date"] = properties.created.date().isoformat()
    return RawText("\n".join(lines), wrapped=False, meta=meta, hints=hints, headings=headings)


def _docx_style_levels(document) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Paragraph style id → heading level, for "Heading 1".."4", "标题 1".."4" and outline levels."""
    levels: dict[str, int] = {}
    for style in document.styles:
        try:
            style_id, name = style.style_id, style.name or ""
        except Exception:  # a damaged styles part must not cost us the text
            continue
        match = _STYLE_HEADING.match(name.strip())
        outline = style.element.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
        if match:
            levels[style_id] = int(match.group(1))
        elif outline is not None and (outline.get(qn("w:val")) or "").isdigit() and int(outline.get(qn("w:val"))) < 4:
            levels[style_id] = int(outline.get(qn("w:val"))) + 1
    return levels


def _docx_heading_level(p, style_levels: dict[str, int]) -> int | None:  # type: ignore[no-untyped-def]
    ppr = p.find(qn("w:pPr"))
    if ppr is None:
        return None
    outline = ppr.find(qn("w:outlineLvl"))
    if outline is not None and (outline.get(qn("w:val")) or "").isdigit():
        value = int(outline.get(qn("w:val")))
        return value + 1 if value < 4 else None
    style = ppr.find(qn("w:pStyle"))
    return style_levels.get(style.get(qn("w:val"))) if style is not None else None


def _docx_block_lines(container, document, style_levels: dict[str, int], headings: dict[str, int],  # type: ignore[no-untyped-def]
                      numbering: Numbering) -> list[str]:
    lines: list[str] = []
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            paragraph = _docx_paragraph_lines(child, numbering)
            level = _docx_heading_level(child, style_levels) if paragraph else None
            if level:
                for line in paragraph:
                    headings.setdefault(line, level)
            lines.extend(paragraph)
        elif child.tag == qn("w:tbl"):
            lines.extend(_docx_table_lines(Table(child, document), numbering))
        elif child.tag == qn("w:sdt") and child.find(f"{qn('w:sdtPr')}/{qn('w:docPartObj')}") is None:
            # A content control may wrap ordinary body text; building blocks
            # (docPartObj: generated table of contents, cover page) are not clauses.
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                lines.extend(_docx_block_lines(content, document, style_levels, headings, numbering))
        # Other children (sectPr, bookmarks) carry no text.
    return lines


def _open_docx(path: Path):
    with path.open("rb") as handle:
        head = handle.read(len(_OLE_MAGIC))
    if head == _OLE_MAGIC:
        raise UnreadableDocument("文件已加密或为旧版 .doc 格式，无法读取")
    _check_unpacked_size(path)
    try:
        return docx.Document(str(path))
    except (OSError, MemoryError):
        raise
    except Exception:  # not a zip, no [Content_Types].xml, wrong content type, bad XML
        raise UnreadableDocument("不是有效的 DOCX 文件") from None


def _check_unpacked_size(path: Path) -> None:
    """Refuse a zip bomb before inflating it: the sizes its entries declare are summed.

    Declared sizes cannot lie to us: `zipfile` stops reading an entry at its declared
    size, and a truncated entry then fails its CRC check (→ "不是有效的 DOCX 文件").
    """

    limit = active_limits().unpacked_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError):
        raise UnreadableDocument("不是有效的 DOCX 文件") from None
    if len(entries) > _MAX_ZIP_ENTRIES:
        raise UnreadableDocument(f"DOCX 内部文件过多（{len(entries)} 个），疑似异常文件")
    total = sum(entry.file_size for entry in entries)
    if total > limit:
        raise UnreadableDocument(
            f"DOCX 解压后超过 {limit // MB} MB 上限（约 {total // MB:,} MB），疑似压缩炸弹")


def _docx_paragraph_lines(p, numbering: Numbering) -> list[str]:  # type: ignore[no-untyped-def]
    # A manual line break (Shift+Enter) splits a title or signature block into lines.
    # Word's own list number (第%1条, （%1）) is not in the runs: it is counted for every
    # numbered paragraph, empty ones included, as Word counts them.
    label = numbering.label(p)
    text = "".join(run.text for run in p.xpath(_RUNS_XPATH))
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if label and lines:
        lines[0] = (label + lines[0]).strip()
    return lines


def _docx_table_lines(table, numbering: Numbering) -> list[str]:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    for row in table.rows:
        cells: list[list[str]] = []
        previous = None
        for cell in _docx_row_cells(row):
            # python-docx yields the same cell object once per grid column it spans.
            if cell is previous:
                continue
            previous = cell
            cells.append(_docx_cell_lines(cell, numbering))
        lines.extend(_table_row_lines(cells))
    return lines


def _docx_row_cells(row) -> list:
    try:
        return list(row.cells)
    except ValueError:
        # A vertical merge that "continues" from no row above (malformed files):
        # read the physical cells rather than lose the whole document.
        return [_Cell(tc, row.table) for tc in row._tr.tc_lst]


def _docx_cell_lines(cell, numbering: Numbering) -> list[str]:  # type: ignore[no-untyped-def]
    # Every paragraph inside the cell, nested tables included, in document order.
    lines: list[str] = []
    for p in cell._tc.iter(qn("w:p")):
        lines.extend(_docx_paragraph_lines(p, numbering))
    return lines


# ----------------------------------------------------------------------------- PDF

# Titles PDF producers fill in by themselves: a file name, "Microsoft Word - x.doc".
_SOFTWARE_TITLE = re.compile(
    r"(\.(docx?|wps|pdf|rtf|txt|xlsx?|pptx?|html?)$|^Microsoft \w+ - |^untitled$|^无标题)",
    re.I,
)


def pdf_text(path: Path) -> RawText:
    """Text of every page; `wrapped=None` lets cleaning detect hard wrapping."""

    limits = active_limits()
    reader = _open_pdf(path)
    try:
        count = len(reader.pages)
        if count > limits.pages:
            raise UnreadableDocument(f"PDF 页数过多（{count} 页，上限 {limits.pages} 页）")
        # A small file can hold content streams that decompress to tens of MB of drawing
        # operators (on one page, or shared by hundreds); extracting text from them keeps
        # pypdf busy for minutes per page. Real text pages hold a few KB to a few hundred
        # KB, so sizes are checked for every page before any text is extracted.
        content = 0
        for number, page in enumerate(reader.pages, 1):
            size = _page_content_size(page)
            if size > limits.page_content_bytes:
                raise UnreadableDocument(
                    f"PDF 第 {number} 页内容过大（解压后约 {size // MB} MB），疑似压缩炸弹")
            content += size
            if content > limits.pdf_content_bytes:
                raise UnreadableDocument(
                    f"PDF 内容解压后合计超过 {limits.pdf_content_bytes // MB} MB 上限（至第 {number} 页），疑似压缩炸弹")
        pages = []
        chars = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            chars += len(text)
            if chars > limits.chars:
                raise UnreadableDocument(f"提取的文字过多（超过 {limits.chars:,} 字上限）")
            pages.append(text)
    except DependencyError:  # AES streams without the optional crypto package
        raise UnreadableDocument("PDF 已加密，无法读取（缺少 AES 解密组件）") from None
    except LimitReachedError:  # pypdf's own cap on one decompressed stream
        raise UnreadableDocument("PDF 内容解压后超过上限，疑似压缩炸弹") from None
    text = "\n".join(strip_running_lines(pages))
    if not text.strip():
        raise UnreadableDocument("PDF 中没有可提取的文字（可能是扫描件）")
    meta: dict[str, str] = {}
    title = _pdf_title(reader)
    if title:
        meta["title"] = title
    return RawText(text, wrapped=None, meta=meta)


def _page_content_size(page) -> int:
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    total = 0
    for stream in streams:
        stream = stream.get_object()
        if hasattr(stream, "get_data"):
            total += len(stream.get_data())
    return total


def _open_pdf(path: Path):
    try:
        reader = PdfReader(path)
    except (OSError, MemoryError):
        raise
    except DependencyError:
        raise UnreadableDocument("PDF 已加密，无法读取（缺少 AES 解密组件）") from None
    except Exception:  # PdfReadError, or whatever a mangled xref makes pypdf raise
        raise UnreadableDocument("不是有效的 PDF 文件") from None
    if reader.is_encrypted:
        # Many published PDFs are encrypted only to restrict printing or editing,
        # with an empty user password: those open without asking anyone.
        try:
            opened = reader.decrypt("")
        except DependencyError:
            raise UnreadableDocument("PDF 已加密，无法读取（缺少 AES 解密组件）") from None
        if not opened:
            raise UnreadableDocument("PDF 已加密，无法读取")
    return reader


def _pdf_title(reader) -> str | None:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata else None
    except Exception:  # a broken info dictionary must not cost us the text
        return None
    if not isinstance(title, str):
        return None
    title = title.strip()
    if not title or _SOFTWARE_TITLE.search(title) or not any(ch.isalpha() for ch in title):
        return None
    return title


# ---------------------------------------------------------------------------- HTML

# Page furniture and non-text: menus, banners, footers, scripts, search boxes.
_REMOVED_TAGS = (
    "script", "style", "noscript", "nav", "header", "footer", "aside", "form",
    "title", "template", "iframe", "svg", "canvas",
)  # fmt: skip
# Elements that start and end a line; everything else is inline and joins its line.
_BLOCK_TAGS = frozenset(
    "address article blockquote caption center dd details div dl dt fieldset figcaption"
    " figure h1 h2 h3 h4 h5 h6 hr li main ol p section summary table ul".split()
)
_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
# Declared charsets are only searched for near the top, where <head> is.
_CHARSET_SCAN_BYTES = 64 * 1024
# Labels not worth honouring: a page whose markup we could regex is ASCII-compatible,
# so UTF-16/32 is a lie; and a Chinese page labelled latin-1 (a server or template
# default) would decode to mojibake without ever failing.
_UNTRUSTED_CHARSETS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
                       "iso8859-1", "cp1252")  # fmt: skip
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
# Government sites mostly mark their furniture with class or id, not <nav>/<footer>:
# <div class="footer">, <div id="bread">, <div class="share">… A class or id word (split at
# -, _ and camelCase) that is one of these, or starts with one, marks an element to drop.
_FURNITURE_WORDS = ("nav", "menu", "foot", "bread", "crumb", "share", "copyright", "toolbar", "sidebar",
                    "topbar", "banner", "qrcode", "ewm", "print", "fontsize", "zihao", "login", "search",
                    "skip", "dibu", "daohang", "weizhi", "fenxiang")  # fmt: skip
_CLASS_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def html_text(path: Path) -> RawText:
    """Visible text of the page: one line per block element, one per table row."""

    limit = active_limits().html_bytes
    if path.stat().st_size > limit:
        raise UnreadableDocument(f"HTML 文件超过 {limit // MB} MB 上限")
    data = path.read_bytes()
    if looks_binary(data):
        raise UnreadableDocument("不是 HTML 文件（含二进制内容）")
    soup = BeautifulSoup(_decode_html(data), "html.parser")
    page_title = _clean_inline(soup.title.get_text()) if soup.title else ""
    for tag in soup.find_all(list(_REMOVED_TAGS)):
        tag.decompose()
    _drop_marked_furniture(soup)
    heading = soup.find("h1")
    meta = _html_meta(soup)
    title = _html_title(page_title, _clean_inline(heading.get_text()) if heading else "")
    if title:
        meta["title"] = title
    lines = _LineBuilder()
    _walk_html(soup, lines)
    # Lines that say they are the site's own (ICP备, 当前位置…) go in build_document, for every format.
    return RawText("\n".join(lines.finish()), wrapped=False, meta=meta, headings=lines.headings)


def _is_furniture_word(word: str) -> bool:
    return word != "footnote" and any(word.startswith(mark) for mark in _FURNITURE_WORDS)


def _drop_marked_furniture(soup) -> None:  # type: ignore[no-untyped-def]
    """Remove elements whose class or id names page furniture (see _FURNITURE_WORDS).

    Guarded: an element holding a heading or half the page's text or more is the content
    under a careless name (<div class="main-nav-content">), and stays.
    """
    body = soup.body or soup
    total = len(body.get_text(strip=True)) or 1
    for tag in list(body.find_all(True)):
        if getattr(tag, "decomposed", False):  # inside one removed before
            continue
        names = " ".join([*(tag.get("class") or []), tag.get("id") or ""])
        if not names.strip():
            continue
        words = [w.lower() for w in _CLASS_WORD.findall(names)]
        if not any(_is_furniture_word(w) for w in words):
            continue
        if tag.find(["h1", "h2", "h3", "h4"]) is not None or tag.name in _HTML_HEADINGS:
            continue
        if len(tag.get_text(strip=True)) * 2 > total:
            continue
        tag.decompose()


def _html_meta(soup) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """<meta name="issuer|date|status|…" content="…"> pairs (names as in knowledge.metadata)."""
    from knowledge.metadata import field_name

    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        name = (tag.get("name") or "").strip()
        content = tag.get("content")
        if name and isinstance(content, str) and field_name(name) and field_name(name) != "title":
            meta.setdefault(name, content.strip())
    return meta


def _decode_html(data: bytes) -> str:
    # A byte order mark outranks any declaration (as browsers do); decode_text reads it.
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data)
    # Sites moved to UTF-8 often keep a stale charset=gb2312 in their templates.
    # GBK text is practically never valid UTF-8, so valid UTF-8 outranks the label.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _CHARSET.search(data[:_CHARSET_SCAN_BYTES])
    if match:
        try:
            codec = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            codec = None
        if codec and codec not in _UNTRUSTED_CHARSETS:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                pass  # the declaration is wrong: guess as for plain text
    return decode_text(data)


def _html_title(page_title: str, heading: str) -> str:
    # <title> usually carries a site suffix ("关于…的通知_某市人民政府"); the page's
    # <h1> is the same title without it, so prefer it when <title> contains it.
    if heading and page_title and heading in page_title:
        return heading
    return page_title or heading


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _collapse_space(match: re.Match[str]) -> str:
    # A source line break between two Chinese characters is not a space in
    # Chinese text (CSS Text 3 drops it too); any other run of spaces is one space.
    text = match.string
    start, end = match.start(), match.end()
    if "\n" in match.group(0) and 0 < start and end < len(text):
        if _is_wide(text[start - 1]) and _is_wide(text[end]):
            return ""
    return " "


def _clean_inline(text: str) -> str:
    return _HTML_SPACE.sub(_collapse_space, text).strip()


class _LineBuilder:
    """Collects inline text into the current line; a block boundary ends the line."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._parts: list[str] = []
        self.headings: dict[str, int] = {}  # line → <h1>..<h4> level

    def add(self, text: str) -> None:
        self._parts.append(text)

    def add_line(self, line: str) -> None:
        self.end_line()
        if line.strip():
            self.lines.append(line.strip())

    def end_line(self) -> None:
        line = _clean_inline("".join(self._parts))
        self._parts.clear()
        if line:
            self.lines.append(line)

    def finish(self) -> list[str]:
        self.end_line()
        return self.lines


def _walk_html(node, out: _LineBuilder) -> None:
    for child in node.children:
        if isinstance(child, PreformattedString):  # comments, doctype, CDATA, <?...?>
            continue
        if isinstance(child, NavigableString):
            out.add(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name == "br":
            out.end_line()
        elif child.name == "tr":
            for line in _html_row_lines(child):
                out.add_line(line)
        elif child.name == "pre":
            # Preformatted text keeps its own line breaks.
            for line in child.get_text().splitlines():
                out.add_line(line)
        elif child.name in _BLOCK_TAGS:
            out.end_line()
            _walk_html(child, out)
            out.end_line()
            if child.name in _HTML_HEADINGS and out.lines:
                out.headings.setdefault(out.lines[-1], _HTML_HEADINGS[child.name])
        else:
            _walk_html(child, out)


def _html_row_lines(row) -> list[str]:
    cells = row.find_all(["td", "th"], recursive=False)
    if not cells:
        lines = _LineBuilder()
        _walk_html(row, lines)
        return lines.finish()
    cell_lines: list[list[str]] = []
    for cell in cells:
        lines = _LineBuilder()
        _walk_html(cell, lines)
        cell_lines.append(lines.finish())
    return _table_row_lines(cell_lines)
