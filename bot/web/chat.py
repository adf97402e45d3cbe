"""What the web chat does for a visitor, as plain JSON-ready dicts: the same store flows and
knowledge base as the Telegram bot, rendered as text (never HTML) for the page.

A visitor is a person with a `web` identity whose external id is the random id in their signed
cookie. The person is made on their first question or survey step, not on a page view (crawlers
and link previews open pages too).

Messages owed to a visitor (a staff reply to their hand-off, a survey reminder) are outbox rows
addressed to that web identity. The Telegram sender never takes them (it drains only Telegram
rows, store/outbox.py `queued_direct`); the page fetches them (`poll`) and fetching is their
delivery: queued → sending → sent in the fetching transaction, through the outbox's own claim
and settle.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from sqlalchemy import select

from core import texts
from bot.render import html_to_plain, owe_rendered
from bot.services import Services
from knowledge.answers import MAX_QUESTION_CHARS, Answer, InvalidQuestion
from store import identities as ident
from store import outbox as ob
from store import repositories as repo
from store import survey
from store.clock import SHORT, beijing_time
from services import dialogues
from core.markup import plain
from store.handoffs import forward
from store.models import Delivery, User

log = logging.getLogger(__name__)
FEEDBACK = ("up", "down")
POLL_BATCH = 20
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


def clean(text: str) -> str:
    """Control characters out (a newline stays: a survey answer may have lines)."""
    return _CONTROL.sub(" ", text or "").strip()


def answer_json(answer: Answer, qa_id: int) -> dict[str, Any]:
    """The answer as the page shows it: lead, each clause quoted verbatim under its source line
    (《title》 issuer, 文号, date, section), the validity notes; or the honest decline."""
    if not answer.answered:
        return {"kind": "answer", "qa_id": qa_id, "answered": False, "lead": texts.NOT_COVERED,
                "citations": [], "notes": [], "offer": texts.WEB_HANDOFF_OFFER}
    lead = answer.generated.strip() if answer.generated else texts.ANSWER_LEAD
    citations = [{"n": n, "source": texts.source_line(c), "text": c.text, "draft": c.draft,
                  "amended": bool(c.amended_by)} for n, c in enumerate(answer.citations, 1)]
    return {"kind": "answer", "qa_id": qa_id, "answered": True, "lead": lead,
            "sources_label": texts.GENERATED_SOURCES if answer.generated else "",
            "citations": citations, "notes": texts.validity_notes(answer)}


def notice(text: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "notice", "text": text, **extra}


def prompt_json(prompt: survey.Prompt) -> dict[str, Any]:
    """A survey prompt: its text as plain text, its button rows as (label, data) to post back."""
    return {"kind": "survey", "text": plain(prompt.text), "finished": prompt.finished,
            "buttons": [[{"label": label, "data": data} for label, data in row] for row in prompt.choices]}


class WebChat:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def staff_ids(self) -> frozenset[int]:
        return self.services.settings.staff_ids

    async def _visitor(self, session, visitor: str, create: bool) -> User | None:  # type: ignore[no-untyped-def]
        if not create:
            return await ident.person_for(session, ident.WEB, visitor, create=False)
        # Named 网页访客 for staff (/unanswered, exports), never by their session id.
        return await repo.touch_user(session, visitor, texts.WEB_VISITOR, channel=ident.WEB)

    async def state(self, visitor: str) -> dict[str, Any]:
        """What the page needs on load: is a survey open, and is this visitor in the middle of one."""
        async with self.services.db.session() as session:
            campaign = await survey.open_campaign(session)
            user = await self._visitor(session, visitor, create=False)
            active = user is not None and await survey.active_draft(session, user) is not None
            paused = False
            if user is not None and campaign is not None and not active:
                draft = await survey._draft(session, user, campaign.year)
                paused = draft is not None and draft.step != "done"
        return {"survey_open": campaign is not None, "survey_active": active, "survey_paused": paused}

    async def message(self, visitor: str, raw: str) -> dict[str, Any]:
        """Typed text: an answer to the survey question in progress, else a policy question."""
        text = clean(raw)
        if not text:
            return notice(texts.WEB_ERRORS["empty"], error="empty")
        if text.lower() in ("/survey", "/cancel"):  # the survey's texts name them, as in Telegram
            return await self.survey_step(visitor, None) if text.lower() == "/survey" else await self.pause(visitor)
        async with self.services.db.session() as session, session.begin():
            # Looked up, not touched: a question writes once, with its answer (SQLite has one writer).
            user = await self._visitor(session, visitor, create=False)
            # One query finds the dialogue the text answers; a campaign closed while they typed
            # is told once (survey_closed), not taken as a question.
            active = await dialogues.active(session, user) if user is not None else []
            if active:
                if active[0] == dialogues.SURVEY:
                    await self._visitor(session, visitor, create=True)
                outcome = await dialogues.on_text(session, user, active[0], text)
                await owe_rendered(session, self.staff_ids, outcome.notices)
                return prompt_json(outcome)
        return await self.ask(visitor, text)

    async def pause(self, visitor: str) -> dict[str, Any]:
        """/cancel: the survey pauses with every answer kept; typed text is a question again."""
        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=False)
            active = await dialogues.active(session, user) if user is not None else []
            said = await dialogues.pause(session, user, active[0]) if active else None
        return notice(said or texts.WEB_NOTHING_TO_CANCEL)

    async def ask(self, visitor: str, question: str) -> dict[str, Any]:
        """A cited answer, or the honest decline with 转人工 offered (not forwarded by itself: a
        public page's visitors are anonymous, and staff read only what someone asked them to)."""
        try:
            answer = await asyncio.to_thread(self.services.answerer.answer, question)
        except InvalidQuestion as exc:
            return notice(texts.invalid_question(exc.code, MAX_QUESTION_CHARS), error=exc.code)
        citations = [{"doc": c.doc, "section": c.section, "text": c.text, "score": c.score} for c in answer.citations]
        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=True)
            record = await repo.record_answer(session, user, answer.question, answer.answered, answer.confidence,
                                              answer.best_score, citations, answer.draft)
        return answer_json(answer, record.id)

    async def feedback(self, visitor: str, qa_id: int, value: str) -> dict[str, Any]:
        """👍 / 👎, stored on the visitor's own answer as the Telegram bot stores it."""
        if value not in FEEDBACK:
            return notice(texts.STALE_BUTTON, error="stale")
        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=False)
            stored = await repo.set_feedback(session, qa_id, user.id, value) if user else None
        if stored is None:
            return notice(texts.NOT_YOUR_BUTTON, error="not_yours")
        if stored[1] == value:
            return notice(texts.FEEDBACK_ALREADY)
        return notice(texts.FEEDBACK_THANKS if value == "up" else texts.FEEDBACK_SORRY)

    async def handoff(self, visitor: str, qa_id: int) -> dict[str, Any]:
        """转人工: a hand-off opened and its forward owed to every staff member's Telegram in one
        transaction, as the bot does; staff answer by replying to the forward."""
        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=False)
            record = await repo.get_qa(session, qa_id, user.id) if user else None
            if record is None:
                return notice(texts.NOT_YOUR_BUTTON, error="not_yours")
            handoff, created = await repo.open_handoff(session, user, record.question, "requested",
                                                       record.best_score, record.id)
            delivered = bool(await owe_rendered(session, self.staff_ids, [await forward(session, handoff)])) if created else False
        if not created:
            return notice(texts.HANDOFF_ALREADY)
        return notice(texts.WEB_HANDOFF_WAITING if delivered else texts.HANDOFF_NO_STAFF, handoff=handoff.id)

    async def poll(self, visitor: str, after: int) -> dict[str, Any]:
        """Messages owed to this visitor with ids above `after` (the page's cursor). Those not yet
        fetched are delivered now: a reply shows up once per page, and again after a reload (it is
        the visitor's record, as a chat history would be)."""
        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=False)
            if user is None:
                return {"messages": [], "cursor": after}
            address = await ident.identity_for(session, ident.WEB, visitor)
            rows = (await session.scalars(select(Delivery).where(
                Delivery.identity_id == address.id, Delivery.broadcast_id.is_(None), Delivery.id > after,
                Delivery.status.in_(("queued", "sent"))).order_by(Delivery.id).limit(POLL_BATCH))).all()
            shown = []
            for row in rows:
                if row.status == "queued":  # fetched = delivered: the outbox's own state machine
                    if await ob.claim(session, row.id) is not None:
                        await ob.settle(session, row.id, "sent")
                text = html_to_plain(row.text) if row.parse_mode == "HTML" else row.text
                shown.append({"id": row.id, "kind": row.kind, "text": text,
                              "from": texts.WEB_STAFF_REPLY if row.kind == ob.STAFF_REPLY else texts.WEB_LABELS["bot"],
                              "time": beijing_time(row.created_at, SHORT)})
        return {"messages": shown, "cursor": shown[-1]["id"] if shown else after}

    async def survey_step(self, visitor: str, data: str | None) -> dict[str, Any]:
        """Start or resume the survey (no data), or press one of its choices (the action the
        dialogue engine made, posted back). Notices for other people (members, staff) are owed in the same transaction."""
        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=True)
            if data is None:
                prompt = await dialogues.start(session, user, dialogues.SURVEY)
            else:  # the engine parses its own actions: a forged or stale one is None
                prompt = await dialogues.on_action(session, user, data)
            if prompt is not None:  # rendered for Telegram, where members and staff are told
                await owe_rendered(session, self.staff_ids, prompt.notices)
        if prompt is None:
            return notice(texts.SURVEY_STALE, error="stale")
        shown = prompt_json(prompt)
        if prompt.suggest:
            shown["suggestions"] = await self.suggestions(visitor)
        return shown

    async def suggestions(self, visitor: str) -> dict[str, Any]:
        """After a submitted survey with consent: the top relevant specialists, as Telegram shows them."""
        from store.assignments import demand_of
        from store.suggestions import suggestable

        async with self.services.db.session() as session:
            user = await self._visitor(session, visitor, create=False)
            submission = await survey.latest_submission_by(session, user) if user else None
        if submission is None or not submission.answers.get("consent"):
            return {"text": "", "items": []}
        matches = await asyncio.to_thread(self.services.matcher.match, demand_of(submission.answers), 16)
        async with self.services.db.session() as session:
            relevant, any_usable = await suggestable(session, matches, submission.answers.get("credit_code"))
        if not relevant:
            return {"text": plain(texts.SUGGEST_NONE_RELEVANT if any_usable else texts.SUGGEST_NONE), "items": []}
        items = [{"id": s.id, "name": m.name, "institution": m.institution, "title": m.title or "",
                  "expertise": m.expertise, "reason": plain(texts.match_reason(m))} for m, s in relevant]
        return {"text": plain(texts.SUGGEST_HEADER), "items": items}

    async def request_specialist(self, visitor: str, specialist_id: int) -> dict[str, Any]:
        """The rule is services.matching's, as in Telegram; the page words the outcome its own way."""
        from services.matching import request_specialist

        async with self.services.db.session() as session, session.begin():
            user = await self._visitor(session, visitor, create=False)
            if user is None:
                outcome = "stale"
            else:
                asked = await request_specialist(session, user.id, str(specialist_id))
                await owe_rendered(session, self.staff_ids, asked.notices)
                outcome = asked.outcome
        return notice(texts.WEB_REQUEST_OUTCOMES[outcome], error=None if outcome == "sent" else outcome)
