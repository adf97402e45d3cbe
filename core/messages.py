"""Neutral messages: what the core says, for a channel to render and deliver.

`Message` is the reply or notice (marked text, see core/markup.py; rows of choices;
attachments); `Notice` is a message owed to someone other than the person being answered
(a specialist, an enterprise's members, every staff chat), delivered after the decision's
transaction commits. A choice's `action` is opaque to the channel: Telegram puts it in a
button's callback data, the terminal numbers it, the web chat posts it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

STAFF = None  # a Notice addressed to every staff chat


class Choice(NamedTuple):
    label: str
    action: str


Rows = list[list[Choice]]


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    kind: str = "document"  # or "image"
    caption: str = ""


@dataclass(frozen=True)
class Message:
    text: str
    choices: Rows = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Notice:
    """A message owed to `chat_id` (None: every staff chat), in the neutral markup. `kind`, `ref`,
    `key`, `batch` and `report_to` are the outbox's (store/outbox.py `owe`): what it is, what it
    is about, what makes it owed once, which batch reports to whom."""

    text: str
    chat_id: int | None = STAFF
    choices: Rows | None = None
    kind: str = "notice"
    ref: str | None = None
    key: str | None = None
    batch: str | None = None
    report_to: int | None = None


def rows(*rows: list[tuple[str, str]]) -> Rows:
    return [[Choice(label, action) for label, action in row] for row in rows]
