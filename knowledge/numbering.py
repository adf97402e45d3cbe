"""Word's automatic list numbering, as the reader of a DOCX sees it printed.

A clause numbered by Word's list feature ("第%1条" in a multilevel list, "（%1）" items)
holds no number in its text: the number lives in the numbering part and is counted as
Word lays the document out. Without it, 第十二条 would reach the index as a bare sentence,
its heading path and citation lost. `Numbering.label(p)` gives the label Word prints before
paragraph `p` ("第十二条", "（三）", "3."), counting paragraphs in the order they are asked
about, which must be document order.

What is followed: the paragraph's own numPr or its style's; a list continues across the
list instances of one abstract definition unless an instance restarts it (startOverride);
a level restarts after any higher level (lvlRestart is not read: Word's default); formats
decimal (and zero-padded), Chinese counting (一…十一…一百零一), 甲乙丙丁 (ideographTraditional),
letters, Roman numerals and circled numbers. Bullets and level text Word would not print are
left out. A damaged numbering part costs the labels, never the text.
"""

from __future__ import annotations

from docx.oxml.ns import qn

_DIGITS = "零一二三四五六七八九"
_STEMS = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))  # fmt: skip
_LEVELS = 9


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 101 → 一百零一, 110 → 一百一十 (as laws number)."""
    if n <= 0:
        return _DIGITS[0] if n == 0 else str(n)
    if n >= 10_000:
        return str(n)
    parts: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                parts.append("零")
                zero = False
            parts.append(_DIGITS[digit] + unit)
        elif parts:
            zero = True
        if not n:
            break
    text = "".join(parts)
    return text[1:] if text.startswith("一十") else text


def format_number(n: int, fmt: str) -> str | None:
    """`n` in Word's number format `fmt`; None for a format that prints no number."""
    if fmt in ("bullet", "none"):
        return None
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "japaneseCounting",
               "taiwaneseCounting", "taiwaneseCountingThousand", "ideographDigital"):
        return chinese_number(n)
    if fmt == "ideographTraditional":
        return _STEMS[(n - 1) % len(_STEMS)] if n > 0 else str(n)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman, rest = "", n
        for value, symbol in _ROMAN:
            while 0 < value <= rest:
                roman, rest = roman + symbol, rest - value
        roman = roman or str(n)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)  # decimal and anything unknown: the number itself


class _Level:
    __slots__ = ("start", "fmt", "text", "suffix")

    def __init__(self, start: int, fmt: str, text: str | None, suffix: str) -> None:
        self.start, self.fmt, self.text, self.suffix = start, fmt, text, suffix


def _val(element, tag: str) -> str | None:  # type: ignore[no-untyped-def]
    child = element.find(qn(tag)) if element is not None else None
    return child.get(qn("w:val")) if child is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


class Numbering:
    """The numbering part of one document, with the counters of its lists."""

    def __init__(self, document) -> None:  # type: ignore[no-untyped-def]
        self._abstract: dict[str, dict[int, _Level]] = {}
        self._instances: dict[str, tuple[str, dict[int, int]]] = {}  # numId → (abstractNumId, restarts)
        self._style_numbers: dict[str | None, tuple[str, int]] = {}  # style id → (numId, ilvl)
        self._counters: dict[str, list[int | None]] = {}  # abstractNumId → count per level
        self._started: set[str] = set()  # instances whose restart has been applied
        try:
            self._read(document)
        except Exception:  # noqa: BLE001 - a damaged numbering part costs the labels, not the text
            self._abstract, self._instances, self._style_numbers = {}, {}, {}

    def _read(self, document) -> None:  # type: ignore[no-untyped-def]
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering = None
        if numbering is not None:
            for abstract in numbering.findall(qn("w:abstractNum")):
                levels: dict[int, _Level] = {}
                for lvl in abstract.findall(qn("w:lvl")):
                    ilvl = _int(lvl.get(qn("w:ilvl")), -1)
                    if 0 <= ilvl < _LEVELS:
                        levels[ilvl] = _Level(_int(_val(lvl, "w:start"), 1), _val(lvl, "w:numFmt") or "decimal",
                                              _val(lvl, "w:lvlText"), _val(lvl, "w:suff") or "tab")
                self._abstract[abstract.get(qn("w:abstractNumId")) or ""] = levels
            for num in numbering.findall(qn("w:num")):
                restarts = {}
                for override in num.findall(qn("w:lvlOverride")):
                    start = _val(override, "w:startOverride")
                    if start is not None:
                        restarts[_int(override.get(qn("w:ilvl")), 0)] = _int(start, 1)
                self._instances[num.get(qn("w:numId")) or ""] = (_val(num, "w:abstractNumId") or "", restarts)
        for style in document.styles.element.findall(qn("w:style")):
            num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if num_pr is not None and _val(num_pr, "w:numId") is not None and style.get(qn("w:styleId")):
                self._style_numbers[style.get(qn("w:styleId"))] = (
                    _val(num_pr, "w:numId") or "", _int(_val(num_pr, "w:ilvl"), 0))

    def label(self, p) -> str:  # type: ignore[no-untyped-def]
        """The label Word prints before paragraph `p`, with the space after it; "" if none."""
        if not self._instances:
            return ""
        ppr = p.find(qn("w:pPr"))
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        style = self._style_numbers.get(_val(ppr, "w:pStyle"))  # what the paragraph omits, its style gives
        num_id = _val(num_pr, "w:numId") or (style[0] if style else None)
        level_index = _int(_val(num_pr, "w:ilvl"), style[1] if style else 0)
        if num_id is None or num_id == "0" or num_id not in self._instances:  # numId 0: numbering removed
            return ""
        abstract_id, restarts = self._instances[num_id]
        levels = self._abstract.get(abstract_id)
        if not levels or level_index not in levels:
            return ""
        counters = self._counters.setdefault(abstract_id, [None] * _LEVELS)
        if num_id not in self._started:
            self._started.add(num_id)
            for index, start in restarts.items():
                if 0 <= index < _LEVELS:
                    counters[index] = start - 1
        level = levels[level_index]
        current = counters[level_index]
        counters[level_index] = (level.start if current is None else current + 1)
        for deeper in range(level_index + 1, _LEVELS):  # a level restarts after any higher one
            counters[deeper] = None
        return self._render(levels, counters, level)

    @staticmethod
    def _render(levels: dict[int, _Level], counters: list[int | None], level: _Level) -> str:
        text = level.text
        if not text:
            return ""
        for index in range(_LEVELS):
            placeholder = f"%{index + 1}"
            if placeholder not in text:
                continue
            at = levels.get(index)
            count = counters[index] if counters[index] is not None else (at.start if at else 1)
            formatted = format_number(count, at.fmt if at else "decimal")
            if formatted is None:
                return ""
            text = text.replace(placeholder, formatted)
        if level.fmt == "bullet" or not text.strip() or not any(ch.isalnum() for ch in text):
            return ""  # a bullet or a symbol: nothing a reader would quote
        return text.strip() + ("" if level.suffix == "nothing" else " ")
