"""The one rule for a campaign year, wherever a person types one (/campaign, /stats, /export,
`tepai campaign`, `tepai stats`)."""

from __future__ import annotations

FIRST_YEAR = 2000
LAST_YEAR = 2100


def valid_year(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR


def campaign_year(raw: object) -> int | None:
    """`raw` as a campaign year (digits — full-width ones too, as Chinese keyboards type them —
    from 2000 to 2100), or None."""
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 8:
        return None
    try:
        year = int(text)
    except ValueError:  # digits int() does not read, such as superscripts
        return None
    return year if valid_year(year) else None
