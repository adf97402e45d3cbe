"""Suggestions: an enterprise sees its top 3 specialists after the survey and can ask for one;
staff see the top 10 for any enterprise (/match)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.render import esc
from bot.services import TepaiContext
from handlers.common import send_html, staff_only
from knowledge.matching import Match
from store import outbox as ob
from store import repositories as repo
from store.assignments import demand_of
from store.models import Enterprise, EnterpriseMember, MatchRequest, Specialist, Submission
from store.survey import open_campaign
from store.validators import ValidationError, unified_credit_code

log = logging.getLogger(__name__)
SUGGESTIONS = 3
STAFF_TOP = 10


async def _db_ids(context: TepaiContext, matches: list[Match]) -> dict[str, int]:
    """Match-index id (external id or S<id>) → database id, for short callback data."""
    external = [m.id for m in matches if not m.id.startswith("S")]
    out = {m.id: int(m.id[1:]) for m in matches if m.id.startswith("S") and m.id[1:].isdigit()}
    if external:
        async with context.services.db.session() as session:
            rows = await session.execute(select(Specialist.external_id, Specialist.id)
                                         .where(Specialist.external_id.in_(external), Specialist.status == "active"))
            out.update({ext: sid for ext, sid in rows.all()})
    return out


def _listing(matches: list[Match]) -> str:
    return "\n\n".join(
        texts.SUGGEST_ITEM.format(n=n, name=esc(m.name), institution=esc(m.institution),
                                  title=f"，{esc(m.title)}" if m.title else "", expertise=esc(m.expertise),
                                  reason=esc(texts.match_reason(m)))
        for n, m in enumerate(matches, 1)
    )


async def _active_matches(context: TepaiContext, answers: dict, top: int) -> tuple[list[Match], dict[str, int]]:
    """The best `top` specialists who are active in the database (the index may lag behind it)."""
    matches = await asyncio.to_thread(context.services.matcher.match, demand_of(answers), top * 2)
    ids = await _db_ids(context, matches)
    return [m for m in matches if m.id in ids][:top], ids


async def suggest(context: TepaiContext, chat_id: int, answers: dict) -> None:
    """The enterprise's top 3 — name, institution, title, expertise; never a phone."""
    matches, ids = await _active_matches(context, answers, SUGGESTIONS)
    if not matches:
        await send_html(context, chat_id, esc(texts.SUGGEST_NONE))
        return
    buttons = [[InlineKeyboardButton(texts.SUGGEST_BUTTON.format(name=m.name), callback_data=f"mq:{ids[m.id]}")]
               for m in matches]
    await send_html(context, chat_id, texts.SUGGEST_HEADER + "\n\n" + _listing(matches),
                    InlineKeyboardMarkup(buttons) if buttons else None)


async def request_specialist(update: Update, context: TepaiContext) -> None:
    """Ask for a suggested specialist: recorded once, staff told."""
    query = update.callback_query
    raw = (query.data or "").split(":", 1)[1]
    services = context.services
    async with services.db.session() as session, session.begin():
        user = await repo.get_user(session, query.from_user.id)
        member = await session.get(EnterpriseMember, user.id) if user else None
        campaign = await open_campaign(session)
        specialist = await session.get(Specialist, int(raw)) if raw.isdigit() else None
        submission = None
        if member and campaign:
            submission = await session.scalar(select(Submission).where(
                Submission.enterprise_id == member.enterprise_id, Submission.campaign_year == campaign.year,
                Submission.current))
        if specialist is None or specialist.status != "active" or submission is None or not submission.answers.get("consent"):
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        key = specialist.external_id or f"S{specialist.id}"
        enterprise = await session.get(Enterprise, member.enterprise_id)
        try:
            async with session.begin_nested():
                session.add(MatchRequest(enterprise_id=member.enterprise_id, campaign_year=campaign.year,
                                         specialist_key=key, requested_by=user.id))
        except IntegrityError:
            await query.answer(texts.REQUEST_ALREADY, show_alert=True)
            return
        note = texts.REQUEST_TO_STAFF.format(enterprise=esc(enterprise.name), specialist=esc(specialist.name),
                                             year=campaign.year)
        await ob.owe_staff(session, services.settings.staff_ids, note)  # owed with the request itself
    await query.answer(texts.REQUEST_SENT, show_alert=True)


@staff_only
async def staff_match(update: Update, context: TepaiContext) -> None:
    """/match <credit code>: the top 10 for that enterprise's current demand."""
    args = context.args or []
    if len(args) != 1:
        await update.effective_message.reply_text(texts.STAFF_MATCH_USAGE)
        return
    try:
        code = unified_credit_code(args[0])
    except ValidationError as exc:
        await update.effective_message.reply_text(exc.message)
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
    matches, _ = await _active_matches(context, submission.answers, STAFF_TOP)
    header = texts.STAFF_MATCH_HEADER.format(enterprise=esc(submission.answers.get("name", code)), count=len(matches))
    await send_html(context, update.effective_chat.id, header + "\n\n" + (_listing(matches) or esc(texts.SUGGEST_NONE)))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("match", staff_match))
    application.add_handler(CallbackQueryHandler(request_specialist, pattern=r"^mq:"))
