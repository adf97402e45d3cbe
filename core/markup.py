"""Neutral emphasis: the one markup convention of tepai's texts, rendered by each channel.

A text may mark emphasis as `**企业名称**`. Nothing else is markup. Values put into a text
come from people (names, questions, document titles) and must never turn into emphasis, so
they are escaped (`\\*`, `\\\\`) when formatted with `fmt`, and a formatted result is `Marked`
— inserting it into another template keeps its emphasis instead of escaping it again.

Channels turn marked text into their own dialect: Telegram HTML (`bot.render.html`), plain
text (`plain`), the web page's elements (`spans`).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator

BOLD = "**"


class Marked(str):
    """Text already in the neutral markup: formatting it into a template keeps its emphasis."""

    __slots__ = ()


def lit(value: object) -> Marked:
    """A value shown as it is: an asterisk in a person's name stays an asterisk."""
    if isinstance(value, Marked):
        return value
    return Marked(str(value).replace("\\", "\\\\").replace("*", "\\*"))


class _Formatter(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, Marked):
            return format(str(value), format_spec)
        return lit(format(value, format_spec))


_FORMATTER = _Formatter()


def fmt(template: str, /, *args: object, **values: object) -> Marked:
    """`template.format(...)` with every value escaped (a `Marked` value is inserted as is)."""
    return Marked(_FORMATTER.format(template, *args, **values))


def join(separator: str, parts: Iterable[str]) -> Marked:
    """Marked pieces joined (a plain str part is taken as template text, not escaped)."""
    return Marked(separator.join(parts))


def bold(value: object) -> Marked:
    return Marked(f"{BOLD}{lit(value)}{BOLD}")


def spans(marked: str) -> Iterator[tuple[str, bool]]:
    """(text, emphasised) runs of a marked text, escapes resolved. An unclosed `**` emphasises
    to the end."""
    text: list[str] = []
    emphasis = False
    i, n = 0, len(marked)
    while i < n:
        char = marked[i]
        if char == "\\" and i + 1 < n and marked[i + 1] in "\\*":
            text.append(marked[i + 1])
            i += 2
            continue
        if marked.startswith(BOLD, i):
            if text:
                yield "".join(text), emphasis
                text = []
            emphasis = not emphasis
            i += 2
            continue
        text.append(char)
        i += 1
    if text:
        yield "".join(text), emphasis


def plain(marked: str) -> str:
    """The text without emphasis, as a terminal or a log shows it."""
    return "".join(text for text, _ in spans(marked))
