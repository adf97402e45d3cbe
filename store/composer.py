"""Staff's broadcast composer as a definition on the dialogue engine (core/dialogue.py): the body,
the segment (by district or field as follow-ups, refused when nobody would receive it), then
send now, schedule (a time, then its confirmation) or discard.

The draft is the `Broadcast` row itself (status "draft", `step` the question; "paused" after
/cancel), seen by the engine through `Composing`. What only a channel can do stays the
channel's: Telegram judges an announcement's HTML by showing it (the preview), takes the
attachment, and reports progress in a status message sent before the rows are queued.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.dialogue import REVIEW, Definition, Outcome, Step
from core.markup import fmt
from store import broadcasts as bc
from store import validators as v
from store.models import Broadcast

PAUSED = "paused"
_PICK = ("district", "field")  # segment choices that ask for the district or field first
_KEPT = {"text", "segment", "document", "scheduled_at", "_year", "_staff"}  # what the row itself holds


class Composing:
    """The engine's view of a broadcast draft: answers are the row's columns (plus what a check
    stashed for the next question, kept for this message only)."""

    def __init__(self, row: Broadcast, staff: frozenset[int], count: int | None = None) -> None:
        self.row, self.staff = row, staff
        self.extra: dict[str, Any] = {"_count": count}

    @property
    def answers(self) -> dict[str, Any]:
        row = self.row
        return {"text": row.text or None, "segment": row.segment or None, "document": row.document_name,
                "scheduled_at": row.scheduled_at, "_year": row.campaign_year, "_staff": self.staff, **self.extra}

    @answers.setter
    def answers(self, answers: dict[str, Any]) -> None:
        row = self.row
        row.text = answers.get("text") or ""
        if answers.get("segment") not in _PICK:
            row.segment = answers.get("segment") or ""
        row.scheduled_at = answers.get("scheduled_at")
        self.extra = {k: val for k, val in answers.items() if k not in _KEPT}

    @property
    def step(self) -> str:
        return self.row.step or ""

    @step.setter
    def step(self, step: str) -> None:
        self.row.step = step

    @property
    def active(self) -> bool:
        return self.row.status == "draft" and self.row.step not in (None, PAUSED)

    @active.setter
    def active(self, active: bool) -> None:
        if not active and self.row.status == "draft":
            self.row.step = PAUSED

    editing = False  # the composer has no review to return to
    updated_at = None  # type: ignore[assignment]  # a broadcast draft is never reminded


async def _fits_document(session: AsyncSession, user: Any, body: object, answers: dict[str, Any]) -> None:
    bc.check_text(str(body), with_document=bool(answers.get("document")))  # a caption is shorter
    return None


async def _count(session: AsyncSession, user: Any, segment: object, answers: dict[str, Any]) -> None:
    """Who would receive it: a segment nobody is in is refused (another one is asked)."""
    if segment in _PICK:
        return None
    count = len(await bc.recipients(session, str(segment), answers.get("_year"), answers.get("_staff") or frozenset()))
    if not count:
        raise v.ValidationError(texts.BROADCAST_NO_RECIPIENTS)
    answers["_count"] = count
    return None


async def _count_now(session: AsyncSession, user: Any, at: object, answers: dict[str, Any]) -> None:
    answers["_count"] = len(await bc.recipients(session, answers.get("segment") or "", answers.get("_year"),
                                                answers.get("_staff") or frozenset()))
    return None


def _summary(answers: dict[str, Any]) -> str:
    count = answers.get("_count")
    return fmt(texts.BROADCAST_SUMMARY, segment=bc.segment_label(answers.get("segment") or ""),
               count=count if count is not None else "—", document=answers.get("document") or "无")


def _confirm_time(answers: dict[str, Any]) -> str:
    return fmt(texts.BROADCAST_CONFIRM_TIME, at=bc.beijing(answers.get("scheduled_at")),
               segment=bc.segment_label(answers.get("segment") or ""), count=answers.get("_count", "—"))


async def _submit(session: AsyncSession, user: Any, draft: Composing) -> Outcome:
    """Discard, queue every recipient's row now, or schedule — in the caller's transaction."""
    row, answers = draft.row, draft.answers
    how = answers.get("review") if draft.step == REVIEW else answers.get("confirm")
    if how == "drop":
        row.status, row.step = "cancelled", None
        return Outcome(texts.BROADCAST_DISCARDED, finished=True)
    if how == "sched":
        row.status, row.step = "scheduled", None
        return Outcome(texts.BROADCAST_SCHEDULED.format(id=row.id, at=bc.beijing(row.scheduled_at)), finished=True)
    await bc.enqueue(session, row, draft.staff)  # every recipient's row, in this transaction
    return Outcome(texts.BROADCAST_STATES["queued"], finished=True)


_SEGMENTS = tuple(texts.BROADCAST_SEGMENTS)
COMPOSER: Definition = Definition(
    name="broadcast", prefix="bs", labels={}, review_header="", confirm="", submit=_submit,  # type: ignore[arg-type]
    paused=texts.BROADCAST_PAUSED, buttons_only=texts.BROADCAST_TEXT_ONLY,
    steps=(
        Step("text", texts.BROADCAST_ASK_TEXT, lambda t: bc.check_text(t, with_document=False), check=_fits_document),
        Step("segment", texts.BROADCAST_ASK_SEGMENT,
             options=tuple(texts.BROADCAST_SEGMENTS.values()) + (texts.BROADCAST_SEGMENT_BY_DISTRICT,
                                                                 texts.BROADCAST_SEGMENT_BY_FIELD),
             values=_SEGMENTS + _PICK, follow={"district": "district", "field": "field"}, check=_count, columns=2),
        # The composer's own review: the summary with the recipient count, and how to send.
        Step(REVIEW, _summary, options=(texts.BROADCAST_SEND_NOW, texts.BROADCAST_SCHEDULE, texts.BROADCAST_DISCARD),
             values=("now", "later", "drop"), submits=("now", "drop"), follow={"later": "time"}),
    ),
    follow_ups=(
        Step("district", texts.BROADCAST_ASK_DISTRICT, options=tuple(texts.DISTRICTS),
             values=tuple(f"district:{d}" for d in texts.DISTRICTS), parent="segment", check=_count),
        Step("field", texts.BROADCAST_ASK_FIELD, options=tuple(texts.FIELDS),
             values=tuple(f"field:{f}" for f in texts.FIELDS), parent="segment", check=_count, columns=2),
        Step("time", texts.BROADCAST_ASK_TIME, bc.parse_time, parent=REVIEW, store="scheduled_at", check=_count_now,
             then="confirm_time"),
        Step("confirm_time", _confirm_time, options=(texts.BROADCAST_CONFIRM_SCHEDULE, texts.BROADCAST_DISCARD),
             values=("sched", "drop"), submits=("sched", "drop"), parent=REVIEW, store="confirm", columns=2),
    ),
)


def where(row: Broadcast) -> str:
    """The question a draft resumes at: the body until there is one, then the segment, then the review."""
    return "text" if not row.text else ("segment" if not row.segment else REVIEW)
