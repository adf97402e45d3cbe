"""Suggestions: an enterprise sees its top 3 specialists after the survey and can ask for one;
staff see the top 10 for any enterprise (/match)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import texts
from bot.render import html
from core.markup import Marked, fmt, join, lit
from bot.services import TepaiContext
from handlers.common import credit_code_argument, current_user, owe_notices, person_id, send_html, staff_only
from services.matching import request_specialist as request_specialist_rule
from knowledge.matching import RELEVANCE_FLOOR, Match
from store import engagements as eng
from store.assignments import demand_of
from store.models import Enterprise, Specialist, Submission
from store.survey import latest_submission_by, open_campaign

log = logging.getLogger(__name__)
SUGGESTIONS = 3
STAFF_TOP = 10


def _listing(matches: list[Match]) -> Marked:
    return join("\n\n", (
        fmt(texts.SUGGEST_ITEM, n=n, name=m.name, institution=m.institution,
            title=f"，{m.title}" if m.title else "", expertise=m.expertise, reason=texts.match_reason(m))
        for n, m in enumerate(matches, 1)
    ))


async def _ranked(context: TepaiContext, answers: dict, top: int) -> list[tuple[Match, Specialist, str | None]]:
    """Candidates best first — more than `top`, so `top` remain once blocked and irrelevant
    ones are set aside — who are active in the database (the index may lag behind it), each
    with why they must not be proposed to this enterprise (a BlockedPair reason) or None."""
    matches = await asyncio.to_thread(context.services.matcher.match, demand_of(answers), top * 2 + 10)
    async with context.services.db.session() as session:
        by_key = await eng.specialists_by_key(session, [m.id for m in matches], active_only=True)
        enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == answers.get("credit_code")))
        blocked = await eng.blocked_for(session, enterprise.id) if enterprise else {}
    return [(m, by_key[m.id], blocked.get(by_key[m.id].id)) for m in matches if m.id in by_key]


async def suggest(context: TepaiContext, chat_id: int, answers: dict) -> None:
    """The enterprise's top 3 — name, institution, title, expertise; never a phone. Never a
    specialist who declined or must recuse themselves, never one below the relevance floor."""
    ranked = await _ranked(context, answers, SUGGESTIONS)
    usable = [(m, s) for m, s, reason in ranked if reason is None]
    relevant = [(m, s) for m, s in usable if m.relevant][:SUGGESTIONS]
    if not relevant:
        await send_html(context, chat_id, html(texts.SUGGEST_NONE_RELEVANT if usable else texts.SUGGEST_NONE))
        return
    buttons = [[InlineKeyboardButton(texts.SUGGEST_BUTTON.format(name=m.name), callback_data=f"mq:{s.id}")]
               for m, s in relevant]
    await send_html(context, chat_id, html(join("\n\n", [texts.SUGGEST_HEADER, _listing([m for m, _ in relevant])])),
                    InlineKeyboardMarkup(buttons))


async def request_specialist(update: Update, context: TepaiContext) -> None:
    """Ask for a suggested specialist: the rule is services.matching's; staff are owed the notice
    with the request, and the asker hears back once it has committed."""
    query = update.callback_query
    raw = (query.data or "").split(":", 1)[1]
    me = await person_id(update, context)
    async with context.services.db.session() as session, session.begin():
        outcome = await request_specialist_rule(session, me, raw)
        await owe_notices(session, context, outcome.notices)
    await query.answer(outcome.reply, show_alert=True)


@staff_only
async def staff_match(update: Update, context: TepaiContext) -> None:
    """/match <credit code>: the top 10 for that enterprise's current demand."""
    code = await credit_code_argument(update, context, texts.STAFF_MATCH_USAGE)
    if code is None:
        return
    async with context.services.db.session() as session:
        campaign = await open_campaign(session)
        submission = None
        if campaign:
            submission = await session.scalar(select(Submission).join(Enterprise).where(
                Enterprise.credit_code == code, Submission.campaign_year == campaign.year, Submission.current))
    if submission is None:
        await update.effective_message.reply_text(texts.STAFF_MATCH_UNKNOWN)
        return
    ranked = (await _ranked(context, submission.answers, STAFF_TOP))[:STAFF_TOP]
    async with context.services.db.session() as session:
        asked = set((await eng.requested_by(session, submission.campaign_year)).get(submission.enterprise_id, []))
    header = fmt(texts.STAFF_MATCH_HEADER, enterprise=submission.answers.get("name", code), count=len(ranked))
    if not ranked:
        await send_html(context, update.effective_chat.id, html(join("\n\n", [header, lit(texts.SUGGEST_NONE)])))
        return
    await send_html(context, update.effective_chat.id, html(join("\n\n", [
        header, _staff_listing(ranked, asked), fmt(texts.STAFF_MATCH_FOOTER, floor=RELEVANCE_FLOOR)])))


def _staff_listing(ranked: list[tuple[Match, Specialist, str | None]], asked: set[str]) -> Marked:
    """Every candidate, with what keeps them from the enterprise marked rather than hidden."""
    lines = []
    for n, (m, specialist, reason) in enumerate(ranked, 1):
        marks = [texts.STAFF_MATCH_MARKS.get(reason, reason)] if reason else []
        if not m.relevant:
            marks.append(texts.STAFF_MATCH_BELOW_FLOOR)
        if m.id in asked:
            marks.append(texts.STAFF_MATCH_REQUESTED)
        lines.append(fmt(texts.STAFF_MATCH_ITEM,
            n=n, name=m.name, id=specialist.id, institution=m.institution,
            title=f"，{m.title}" if m.title else "", expertise=m.expertise, relevance=m.relevance,
            reason=texts.match_reason(m), marks=f"\n   ⚠️ {'；'.join(marks)}" if marks else ""))
    return join("\n\n", lines)


async def suggest_after_submission(update: Update, context: TepaiContext) -> None:
    """With consent, a verified member sees their top 3 specialists right away (a pending claim sees none)."""
    async with context.services.db.session() as session:
        user = await current_user(session, update)
        submission = await latest_submission_by(session, user)
    if submission is not None and submission.answers.get("consent"):
        await suggest(context, update.effective_chat.id, submission.answers)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("match", staff_match))
    application.add_handler(CallbackQueryHandler(request_specialist, pattern=r"^mq:"))
