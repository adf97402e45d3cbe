"""Telegram rendering: the core's neutral texts and choices as Telegram HTML and inline
keyboards, with everything user- or document-derived escaped, and splitting of long replies
at sentence ends within Telegram's 4,096 characters."""

from __future__ import annotations

import html as _html
import re
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import texts
from core.markup import fmt, spans
from core.messages import Choice
from knowledge.answers import Answer

TELEGRAM_LIMIT = 4096


def esc(value: object) -> str:
    return _html.escape(str(value), quote=False)


def html(marked: str, /, **values: object) -> str:
    """A core text (neutral emphasis `**…**`) as Telegram HTML; with `values`, the text is a
    template formatted first (values escaped, never markup)."""
    if values:
        marked = fmt(marked, **values)
    return "".join(f"<b>{esc(text)}</b>" if bold else esc(text) for text, bold in spans(marked))


def keyboard(rows: Sequence[Sequence[Choice | tuple[str, str]]] | None) -> InlineKeyboardMarkup | None:
    """Neutral choices as inline buttons: the action is the button's callback data."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=action) for label, action in row]
                                 for row in rows])


def choices(markup: InlineKeyboardMarkup | None) -> list[list[Choice]] | None:
    """Inline buttons back as neutral rows of (label, action), e.g. for the outbox."""
    if markup is None:
        return None
    return [[Choice(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]


def answer_html(answer: Answer) -> str:
    if not answer.answered:
        return esc(texts.NOT_COVERED)
    lines: list[str] = []
    if answer.generated:
        lines += [esc(answer.generated.strip()), "", f"<b>{esc(texts.GENERATED_SOURCES)}</b>"]
    else:
        lines.append(esc(texts.ANSWER_LEAD))
    for number, citation in enumerate(answer.citations, 1):
        lines += ["", f"<b>[{number}] {esc(texts.source_line(citation))}</b>", f"<blockquote>{esc(citation.text)}</blockquote>"]
    notes = texts.validity_notes(answer)
    if notes:
        lines += [""] + [f"<i>{esc(n)}</i>" for n in notes]
    return "\n".join(lines)


_BREAKS = ("\n\n", "\n", "。", "；", "！", "？", ". ", "，", " ")


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph or sentence ends.

    Cuts never fall inside an HTML tag or entity; open tags are closed at the cut and
    reopened in the next piece, so every piece parses on its own.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit - 64]  # room to close and reopen tags
        cut = -1
        for mark in _BREAKS:
            pos = window.rfind(mark)
            if pos > limit // 3:
                cut = pos + len(mark)
                break
        if cut <= 0:
            cut = len(window)
        cut = _outside_markup(rest, cut)
        head, rest = rest[:cut], rest[cut:]
        open_tags = _open_tags(head)
        pieces.append(head + "".join(f"</{t}>" for t in reversed(open_tags)))
        rest = "".join(f"<{t}>" for t in open_tags) + rest.lstrip("\n")
    if rest.strip():
        pieces.append(rest)
    return pieces


def _outside_markup(text: str, cut: int) -> int:
    tag_start = text.rfind("<", 0, cut)
    if tag_start > text.rfind(">", 0, cut):
        cut = tag_start
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    return cut


def _open_tags(fragment: str) -> list[str]:
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z]+)[^>]*>", fragment):
        if closing:
            if stack and stack[-1] == name:
                stack.pop()
        else:
            stack.append(name)
    return stack


def check_html(text: str) -> str:
    """Telegram-HTML the way Telegram parses it (the emulator's parser implements its rules):
    the plain text, or ValidationError with Telegram's complaint. For places that cannot send
    a preview, like the command line."""
    from bot.emulator.formatting import EntityParseError, parse_html
    from store.validators import ValidationError

    try:
        plain, _ = parse_html(text)
    except EntityParseError as exc:
        raise ValidationError(texts.BROADCAST_BAD_HTML.format(reason=exc)) from exc
    return plain


def html_to_plain(text: str) -> str:
    try:
        return check_html(text)
    except ValueError:
        return text


_HTML_ERRORS = (
    (re.compile(r'unsupported start tag "([^"]{1,30})"', re.I), "unsupported"),
    (re.compile(r'can\'t find end tag corresponding to start tag "([^"]{1,30})"', re.I), "no_end"),
    (re.compile(r"unclosed (?:start|end) tag", re.I), "unclosed"),
    (re.compile(r"unexpected end tag", re.I), "unexpected_end"),
    (re.compile(r"can't find end of", re.I), "entity_end"),
)


def explain_html_error(message: str) -> str:
    """Telegram's "Can't parse entities: …" in Chinese, naming the tag when it can."""
    for pattern, key in _HTML_ERRORS:
        found = pattern.search(message or "")
        if found:
            tag = found.group(1) if found.groups() else ""
            return texts.BROADCAST_HTML_REASONS[key].format(tag=tag)  # the caller escapes
    return texts.BROADCAST_HTML_REASONS["other"]


async def owe_rendered(session, staff_ids, notices) -> int:  # type: ignore[no-untyped-def]
    """The core's notices for other people (`core.messages.Notice`), rendered for Telegram and owed
    in the deciding transaction — the outbox sends them once it commits. A notice without a
    recipient goes to every staff member (`store.outbox.owe_staff`, the one way staff are told).
    How many were owed to someone reachable."""
    from store import outbox as ob

    owed = 0
    for notice in notices:
        if notice.user_id is not None:
            row = await ob.owe(session, notice.user_id, html(notice.text), kind=notice.kind, buttons=notice.choices,
                               ref=notice.ref, key=notice.key, batch=notice.batch, report_to=notice.report_to)
            owed += row is not None
        else:
            kind = ob.STAFF_NOTICE if notice.kind == ob.NOTICE else notice.kind
            owed += bool(await ob.owe_staff(session, staff_ids, html(notice.text), kind=kind,
                                            buttons=notice.choices, ref=notice.ref, key=notice.key))
    return owed
