"""1+1+1 in the chat: staff run and approve the assignment; specialists accept or decline;
an accepted pair becomes a project and both sides get each other's contact."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from core import texts
from bot.render import html, keyboard
from services import engagements as core_engagements
from core.markup import Marked, fmt, join, lit
from bot.services import TepaiContext, services_of
from handlers.replies import AfterCommit
from handlers.common import owe_notices, owe_rendered, person_id, send_html, spend_buttons, staff_only
from store import engagements as eng
from store import identities as ident
from store import outbox as ob
from store.assignments import DEFAULT_MIN_AFFINITY, propose
from store.models import Engagement, Enterprise, Specialist
from store.survey import open_campaign

log = logging.getLogger(__name__)
EXPIRY_CHECK = timedelta(minutes=10)


@staff_only
async def assign_command(update: Update, context: TepaiContext) -> None:
    """/assign: propose pairs for the open campaign; staff review, then approve."""
    services = context.services
    async with AfterCommit() as later, services.db.session() as session, session.begin():
        campaign = await open_campaign(session)
        if campaign is None:
            later(update.effective_message.reply_text, texts.ASSIGN_NO_CAMPAIGN)
            return
        proposal = await propose(session, services.matcher, campaign.year, DEFAULT_MIN_AFFINITY)
        digest = eng.drafts_digest(await eng.save_drafts(session, campaign.year, proposal))
    result = proposal.assignment
    parts = [fmt(texts.ASSIGN_PROPOSAL, year=campaign.year, total=result.served + len(result.manual_review),
                                          served=result.served, affinity=result.total_affinity,
                                          manual=len(result.manual_review))]
    if proposal.requests_met:
        parts.append(fmt(texts.ASSIGN_REQUESTS_MET, count=proposal.requests_met))
    unmet = [f"{lit(proposal.demand_names[d])} → {lit(proposal.specialist_names.get(key, key))}："
             f"{texts.ASSIGN_UNMET_REASONS.get(reason, reason)}" for d, (key, reason) in proposal.unmet_requests.items()]
    if unmet:
        parts.append(fmt(texts.ASSIGN_REQUESTS_UNMET, lines=join("\n", unmet[:20])))
    lowest = [f"{lit(proposal.demand_names[p.demand_id])} ← {lit(proposal.specialist_names.get(p.specialist_id, p.specialist_id))}"
              f"（{p.affinity:.2f}）{texts.ASSIGN_REQUESTED_MARK if p.requested else ''}" for p in result.lowest(5)]
    if lowest:
        parts.append(fmt(texts.ASSIGN_LOWEST, lines=join("\n", lowest)))
    manual = [f"{lit(proposal.demand_names[d])}：{texts.ASSIGN_REASONS.get(result.reasons.get(d, ''), '')}"
              for d in result.manual_review[:20]]
    if manual:
        parts.append(fmt(texts.ASSIGN_MANUAL_LIST, lines=join("\n", manual)))
    markup = _approve_markup(campaign.year, digest) if result.pairs else None
    await send_html(context, update.effective_chat.id, html(join("\n", parts)), markup)


def _approve_markup(year: int, digest: str) -> InlineKeyboardMarkup:
    # The digest binds the button to the proposal shown above it, not to whatever waits later.
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.ASSIGN_APPROVE_BUTTON, callback_data=f"as:ok:{year}:{digest}")]])


async def _current_proposal(session, year: int, drafts: list[Engagement]) -> Marked:  # type: ignore[no-untyped-def]
    """The proposal waiting now, as staff would review it (pairs, affinity, requests)."""
    lines = []
    for draft in drafts[:30]:
        enterprise = await session.get(Enterprise, draft.enterprise_id)
        specialist = await session.get(Specialist, draft.specialist_id)
        lines.append(f"{lit(enterprise.name)} ← {lit(specialist.name)}（{lit(specialist.institution)}）（{draft.affinity:.2f}）")
    return fmt(texts.ASSIGN_CURRENT, year=year, served=len(drafts), affinity=sum(d.affinity for d in drafts),
                                       lines=join("\n", lines))


@staff_only
async def approve_assignment(update: Update, context: TepaiContext) -> None:
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) not in (3, 4) or parts[1] != "ok" or not parts[2].isdigit() or len(parts[2]) > 4:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    year = int(parts[2])
    # A button from before proposals carried a digest is stale by definition: it saw no particular proposal.
    digest = parts[3] if len(parts) == 4 else ""
    staff_id = await person_id(update, context)
    queued = 0
    async with context.services.db.session() as session, session.begin():
        outcome, drafts = await eng.approve_drafts(session, year, digest)
        current = await _current_proposal(session, year, drafts) if outcome == "stale" else ""
        current_digest = eng.drafts_digest(drafts) if outcome == "stale" else ""
        if outcome not in ("none", "stale"):
            # Each invitation is owed in the approval's own transaction: a crash after the commit
            # loses none, and the sender reports to this staff member once the last one is settled.
            batch = f"assign:{year}:{drafts[0].id}" if drafts else None
            for engagement in drafts:
                queued += await owe_invitation(session, engagement, batch=batch, report_to=staff_id)
    if outcome == "none":
        await query.answer(texts.ASSIGN_NOTHING, show_alert=True)
        return
    if outcome == "stale":
        await query.answer(texts.ASSIGN_STALE, show_alert=True)
        try:  # the old proposal's button is spent: only the one under the current proposal approves
            await query.edit_message_reply_markup(None)
        except TelegramError:
            pass
        await send_html(context, update.effective_chat.id, html(current), _approve_markup(year, current_digest))
        return
    approved = drafts
    await spend_buttons(query)
    missing = len(approved) - queued
    await send_html(context, update.effective_chat.id, html(texts.ASSIGN_QUEUED,
        queued=queued, missing=texts.ASSIGN_MISSING.format(count=missing) if missing else ""))


async def owe_invitation(session, engagement: Engagement, batch: str | None = None,  # type: ignore[no-untyped-def]
                         report_to: int | None = None) -> bool:
    """The invitation as an outbox row, in the caller's transaction. False if unreachable in Telegram."""
    notice = await core_engagements.invitation(session, engagement, batch=batch, report_to=report_to)
    if notice is None:
        return False
    await owe_rendered(session, (), [notice])
    return True


async def notify_specialist(bot, services, engagement_id: int) -> bool:  # type: ignore[no-untyped-def]
    """The invitation sent straight to the specialist asking for it (/proposals, /start). False if
    it can't be reached. Delivered now: if the outbox never got it through, the 72 h start here."""
    async with services.db.session() as session:
        engagement = await session.get(Engagement, engagement_id)
        notice = await core_engagements.invitation(session, engagement)
        chat_id = await ident.telegram_id_of(session, notice.user_id) if notice is not None else None
    if notice is None or chat_id is None:
        return False
    try:
        await bot.send_message(chat_id, html(notice.text), parse_mode="HTML", reply_markup=keyboard(notice.choices))
    except TelegramError as exc:
        log.info("proposal %s not delivered: %s", engagement_id, exc)
        return False
    async with services.db.session() as session, session.begin():
        await ob.invitation_delivered(session, engagement_id)
    return True


async def answer_proposal(update: Update, context: TepaiContext) -> None:
    """接受 / 婉拒 from the addressed specialist only; a second tap changes nothing. What each side
    is told is services.engagements'; it is owed with the answer itself."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("a", "d") or not parts[2].isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    me = await person_id(update, context)
    async with context.services.db.session() as session, session.begin():
        answered = await core_engagements.answer(session, int(parts[2]), me, parts[1] == "a")
        await owe_notices(session, context, answered.notices)
    if answered.reply is not None:
        await query.answer(answered.reply, show_alert=True)
        return
    await spend_buttons(query)
    if answered.outcome == "declined":
        await context.bot.send_message(query.from_user.id, texts.DECLINED_SPECIALIST)


async def expire_proposals(context: ContextTypes.DEFAULT_TYPE) -> None:
    """72 hours after an invitation was delivered without an answer counts as a decline: the next
    alternate is invited. An invitation never delivered never expires."""
    services = services_of(context.application)
    async with services.db.session() as session, session.begin():
        await owe_rendered(session, services.settings.staff_ids, await core_engagements.expire(session))


async def proposals_command(update: Update, context: TepaiContext, quiet: bool = False) -> None:
    """/proposals (and /start for a specialist): every invitation still waiting for an answer,
    re-sent with fresh buttons — one missed while the chat was closed is not lost."""
    me = await person_id(update, context)
    async with context.services.db.session() as session:
        waiting = await eng.pending_for(session, me)
    if not waiting:
        if not quiet:
            await update.effective_message.reply_text(texts.PROPOSALS_NONE)
        return
    await update.effective_message.reply_text(texts.PROPOSALS_HEADER.format(count=len(waiting)))
    for engagement in waiting:
        await notify_specialist(context.bot, context.services, engagement.id)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("assign", assign_command))
    application.add_handler(CommandHandler("proposals", proposals_command))
    application.add_handler(CallbackQueryHandler(approve_assignment, pattern=r"^as:"))
    application.add_handler(CallbackQueryHandler(answer_proposal, pattern=r"^en:"))
    if application.job_queue is not None:
        application.job_queue.run_repeating(expire_proposals, interval=EXPIRY_CHECK, first=120,
                                            name="proposal-expiry")
