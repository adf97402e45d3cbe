"""1+1+1 in the chat: staff run and approve the assignment; specialists accept or decline;
an accepted pair becomes a project and both sides get each other's contact."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import texts
from bot.render import esc
from bot.services import TepaiContext, services_of
from handlers.common import send_html, spend_buttons, staff_only
from store import engagements as eng
from store import membership
from store.assignments import DEFAULT_MIN_AFFINITY, propose
from store.models import Engagement, Enterprise, Specialist
from store.survey import open_campaign

log = logging.getLogger(__name__)
EXPIRY_CHECK = timedelta(minutes=10)


@staff_only
async def assign_command(update: Update, context: TepaiContext) -> None:
    """/assign: propose pairs for the open campaign; staff review, then approve."""
    services = context.services
    async with services.db.session() as session, session.begin():
        campaign = await open_campaign(session)
        if campaign is None:
            await update.effective_message.reply_text(texts.ASSIGN_NO_CAMPAIGN)
            return
        proposal = await propose(session, services.matcher, campaign.year, DEFAULT_MIN_AFFINITY)
        await eng.save_drafts(session, campaign.year, proposal)
    result = proposal.assignment
    parts = [texts.ASSIGN_PROPOSAL.format(year=campaign.year, total=result.served + len(result.manual_review),
                                          served=result.served, affinity=result.total_affinity,
                                          manual=len(result.manual_review))]
    lowest = [f"{esc(proposal.demand_names[p.demand_id])} ← {esc(proposal.specialist_names.get(p.specialist_id, p.specialist_id))}"
              f"（{p.affinity:.2f}）" for p in result.lowest(5)]
    if lowest:
        parts.append(texts.ASSIGN_LOWEST.format(lines="\n".join(lowest)))
    manual = [f"{esc(proposal.demand_names[d])}：{texts.ASSIGN_REASONS.get(result.reasons.get(d, ''), '')}"
              for d in result.manual_review[:20]]
    if manual:
        parts.append(texts.ASSIGN_MANUAL_LIST.format(lines="\n".join(manual)))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.ASSIGN_APPROVE_BUTTON, callback_data=f"as:ok:{campaign.year}")]]) \
        if result.pairs else None
    await send_html(context, update.effective_chat.id, "\n".join(parts), markup)


@staff_only
async def approve_assignment(update: Update, context: TepaiContext) -> None:
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    async with context.services.db.session() as session, session.begin():
        approved = await eng.approve_drafts(session, int(parts[2]))
    if not approved:
        await query.answer(texts.ASSIGN_NOTHING, show_alert=True)
        return
    await spend_buttons(query)
    sent = 0
    for engagement in approved:
        sent += await notify_specialist(context.bot, context.services, engagement.id)
    missing = len(approved) - sent
    await send_html(context, update.effective_chat.id, esc(texts.ASSIGN_APPROVED.format(
        sent=sent, missing=texts.ASSIGN_MISSING.format(count=missing) if missing else "")))


async def notify_specialist(bot, services, engagement_id: int) -> bool:  # type: ignore[no-untyped-def]
    """The demand — never the phone — with 接受 / 婉拒. False if the specialist can't be reached."""
    async with services.db.session() as session:
        engagement = await session.get(Engagement, engagement_id)
        specialist = await session.get(Specialist, engagement.specialist_id)
        enterprise = await session.get(Enterprise, engagement.enterprise_id)
        submission = await eng.current_submission(session, engagement)
    if specialist is None or not specialist.telegram_id or submission is None:
        return False
    a = submission.answers
    text = texts.PROPOSAL_TO_SPECIALIST.format(
        enterprise=esc(enterprise.name), district=esc(a.get("district") or "—"), field=esc(a.get("field") or "—"),
        product=esc(a.get("product") or "—"), directions=esc("、".join(a.get("directions") or []) or "—"),
        description=esc(a.get("description") or "—"))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.PROPOSAL_ACCEPT, callback_data=f"en:a:{engagement.id}"),
                                    InlineKeyboardButton(texts.PROPOSAL_DECLINE, callback_data=f"en:d:{engagement.id}")]])
    try:
        await bot.send_message(specialist.telegram_id, text, parse_mode="HTML", reply_markup=markup)
    except TelegramError as exc:
        log.info("proposal %s not delivered: %s", engagement.id, exc)
        return False
    return True


async def answer_proposal(update: Update, context: TepaiContext) -> None:
    """接受 / 婉拒 from the addressed specialist only; a second tap changes nothing."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("a", "d") or not parts[2].isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    services = context.services
    async with services.db.session() as session, session.begin():
        outcome, engagement, successor, project = await eng.answer(session, int(parts[2]), query.from_user.id,
                                                                  parts[1] == "a")
        details = await _pair_details(session, engagement) if engagement else None
        successor_name = (await session.get(Specialist, successor.specialist_id)).name if successor else None
    if outcome == "stale":
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    if outcome == "not_yours":
        await query.answer(texts.PROPOSAL_NOT_YOURS, show_alert=True)
        return
    if outcome == "already":
        await query.answer(texts.PROPOSAL_ALREADY.format(status=texts.PROPOSAL_STATUS.get(engagement.status, "")),
                           show_alert=True)
        return
    await spend_buttons(query)
    specialist, enterprise, submission, owner = details
    if outcome == "accepted":
        a = submission.answers if submission else {}
        await context.bot.send_message(query.from_user.id, texts.ACCEPTED_SPECIALIST.format(
            contact=a.get("contact") or "—", phone=a.get("phone") or "—", enterprise=enterprise.name, project=project.title))
        if owner is not None:
            try:
                await send_html(context, owner.telegram_id, texts.ACCEPTED_ENTERPRISE.format(
                    name=esc(specialist.name), institution=esc(specialist.institution),
                    title=f"，{esc(specialist.title)}" if specialist.title else "", phone=esc(specialist.phone or "—"),
                    project=esc(project.title)))
            except TelegramError as exc:
                log.info("acceptance not delivered to enterprise %s: %s", owner.telegram_id, exc)
        return
    await context.bot.send_message(query.from_user.id, texts.DECLINED_SPECIALIST)
    await after_refusal(context.bot, services, texts.STAFF_DECLINED, specialist, enterprise, successor, successor_name)


async def _pair_details(session, engagement: Engagement):  # type: ignore[no-untyped-def]
    specialist = await session.get(Specialist, engagement.specialist_id)
    enterprise = await session.get(Enterprise, engagement.enterprise_id)
    submission = await eng.current_submission(session, engagement)
    # The specialist's phone goes only to a verified member (the submitter while still one).
    owner = await membership.contact_member(session, enterprise.id, submission.submitted_by if submission else None)
    return specialist, enterprise, submission, owner


async def after_refusal(bot, services, template: str, specialist, enterprise, successor, successor_name) -> None:  # type: ignore[no-untyped-def]
    """Staff are told; the next alternate, if any, is invited."""
    if successor is not None:
        await notify_specialist(bot, services, successor.id)
    note = template.format(specialist=specialist.name, enterprise=enterprise.name,
                           next=texts.STAFF_NEXT.format(name=successor_name) if successor else texts.STAFF_NO_NEXT)
    for chat_id in await services.staff_chat_ids():
        try:
            await bot.send_message(chat_id, note)
        except TelegramError as exc:
            log.info("staff note not delivered to %s: %s", chat_id, exc)


async def expire_proposals(context: ContextTypes.DEFAULT_TYPE) -> None:
    """72 hours without an answer counts as a decline: the next alternate is invited."""
    services = services_of(context.application)
    async with services.db.session() as session, session.begin():
        expired = await eng.expire_overdue(session)
        notes = []
        for old, successor in expired:
            specialist = await session.get(Specialist, old.specialist_id)
            enterprise = await session.get(Enterprise, old.enterprise_id)
            name = (await session.get(Specialist, successor.specialist_id)).name if successor else None
            notes.append((specialist, enterprise, successor, name))
    for specialist, enterprise, successor, name in notes:
        await after_refusal(context.bot, services, texts.STAFF_EXPIRED, specialist, enterprise, successor, name)


async def proposals_command(update: Update, context: TepaiContext, quiet: bool = False) -> None:
    """/proposals (and /start for a specialist): every invitation still waiting for an answer,
    re-sent with fresh buttons — one missed while the chat was closed is not lost."""
    async with context.services.db.session() as session:
        waiting = await eng.pending_for(session, update.effective_user.id)
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
