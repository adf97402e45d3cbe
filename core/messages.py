"""Neutral messages: what the core says, for a channel to render and deliver.

A `Notice` is a message owed to someone other than the person being answered (a specialist,
an enterprise's members, every staff member), in the neutral markup (core/markup.py), with rows
of `Choice`s; the channel owes it in the deciding transaction and delivers it after the commit.
A choice's `action` is opaque to the channel: Telegram puts it in a button's callback data,
the terminal numbers it, a web page posts it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

STAFF = None  # a Notice addressed to every staff member


class Choice(NamedTuple):
    label: str
    action: str


Rows = list[list[Choice]]


@dataclass(frozen=True)
class Notice:
    """A message owed to the person `user_id` (None: every staff member), in the neutral markup. `kind`, `ref`,
    `key`, `batch` and `report_to` are the outbox's (store/outbox.py `owe`): what it is, what it
    is about, what makes it owed once, which batch reports to whom."""

    text: str
    user_id: int | None = STAFF
    choices: Rows | list[list[tuple[str, str]]] | None = None
    kind: str = "notice"
    ref: str | None = None
    key: str | None = None
    batch: str | None = None
    report_to: int | None = None
