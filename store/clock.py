"""Times as the bureau reads them: Beijing time (Asia/Shanghai, UTC+8, no daylight saving), labelled.

The database keeps every moment in UTC. Anything a person reads — a chat message, an export
cell, a CLI line — goes through :func:`beijing_time`, so no UTC time is ever shown unlabelled.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core import texts

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # China has had no DST since 1991
MINUTES = "%Y-%m-%d %H:%M"
SHORT = "%m-%d %H:%M"


def to_beijing(moment: datetime) -> datetime:
    """`moment` in Beijing time; a naive value (SQLite returns them) is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(BEIJING)


def beijing_time(moment: datetime | None, fmt: str = MINUTES, labelled: bool = True) -> str:
    """`2026-12-01 09:00（北京时间）`; unlabelled where a header already says so; "" for None."""
    if moment is None:
        return ""
    shown = to_beijing(moment).strftime(fmt)
    return texts.BEIJING_TIME.format(time=shown) if labelled else shown
