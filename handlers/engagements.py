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
from handlers.common import person_id, send_html, spend_buttons, staff_only
from store import engagements as eng
from store import identities as ident
from store import membership
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
    async with services.db.session() as session, session.begin():
        campaign = await open_campaign(session)
        if campaign is None:
            await update.effective_message.reply_text(texts.ASSIGN_NO_CAMPAIGN)
            return
        proposal = await propose(session, services.matcher, campaign.year, DEFAULT_MIN_AFFINITY)
        digest = eng.drafts_digest(await eng.save_drafts(session, campaign.year, proposal))
    result = proposal.assignment
    parts = [texts.ASSIGN_PROPOSAL.format(year=campaign.year, total=result.served + len(result.manual_review),
                                          served=result.served, affinity=result.total_affinity,
                                          manual=len(result.manual_review))]
    if proposal.requests_met:
        parts.append(texts.ASSIGN_REQUESTS_MET.format(count=proposal.requests_met))
    unmet = [f"{esc(proposal.demand_names[d])} → {esc(proposal.specialist_names.get(key, key))}："
             f"{texts.ASSIGN_UNMET_REASONS.get(reason, reason)}" for d, (key, reason) in proposal.unmet_requests.items()]
    if unmet:
        parts.append(texts.ASSIGN_REQUESTS_UNMET.format(lines="\n".join(unmet[:20])))
    lowest = [f"{esc(proposal.demand_names[p.demand_id])} ← {esc(proposal.specialist_names.get(p.specialist_id, p.specialist_id))}"
              f"（{p.affinity:.2f}）{texts.ASSIGN_REQUESTED_MARK if p.requested else ''}" for p in result.lowest(5)]
    if lowest:
        parts.append(texts.ASSIGN_LOWEST.format(lines="\n".join(lowest)))
    manual = [f"{esc(proposal.demand_names[d])}：{texts.ASSIGN_REASONS.get(result.reasons.get(d, ''), '')}"
              for d in result.manual_review[:20]]
    if manual:
        parts.append(texts.ASSIGN_MANUAL_LIST.format(lines="\n".join(manual)))
    markup = _approve_markup(campaign.year, digest) if result.pairs else None
    await send_html(context, update.effective_chat.id, "\n".join(parts), markup)


def _approve_markup(year: int, digest: str) -> InlineKeyboardMarkup:
    # The digest binds the button to the proposal shown above it, not to whatever waits later.
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.ASSIGN_APPROVE_BUTTON, callback_data=f"as:ok:{year}:{digest}")]])


async def _current_proposal(session, year: int, drafts: list[Engagement]) -> str:  # type: ignore[no-untyped-def]
    """The proposal waiting now, as staff would review it (pairs, affinity, requests)."""
    lines = []
    for draft in drafts[:30]:
        enterprise = await session.get(Enterprise, draft.enterprise_id)
        specialist = await session.get(Specialist, draft.specialist_id)
        lines.append(f"{esc(enterprise.name)} ← {esc(specialist.name)}（{esc(specialist.institution)}）（{draft.affinity:.2f}）")
    return texts.ASSIGN_CURRENT.format(year=year, served=len(drafts), affinity=sum(d.affinity for d in drafts),
                                       lines="\n".join(lines))


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
        await send_html(context, update.effective_chat.id, current, _approve_markup(year, current_digest))
        return
    approved = drafts
    await spend_buttons(query)
    missing = len(approved) - queued
    await send_html(context, update.effective_chat.id, esc(texts.ASSIGN_QUEUED.format(
        queued=queued, missing=texts.ASSIGN_MISSING.format(count=missing) if missing else "")))


async def invitation(session, engagement: Engagement):  # type: ignore[no-untyped-def]
    """(the specialist's person id, text, buttons) of the invitation — the demand, never the
    phone — with 接受 / 婉拒; None if the specialist is nobody tepai can reach."""
    specialist = await session.get(Specialist, engagement.specialist_id)
    enterprise = await session.get(Enterprise, engagement.enterprise_id)
    submission = await eng.current_submission(session, engagement)
    if specialist is None or not specialist.user_id or submission is None:
        return None
    a = submission.answers
    text = texts.PROPOSAL_TO_SPECIALIST.format(
        enterprise=esc(enterprise.name), district=esc(a.get("district") or "—"), field=esc(a.get("field") or "—"),
        product=esc(a.get("product") or "—"), directions=esc("、".join(a.get("directions") or []) or "—"),
        description=esc(a.get("description") or "—"))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(texts.PROPOSAL_ACCEPT, callback_data=f"en:a:{engagement.id}"),
                                    InlineKeyboardButton(texts.PROPOSAL_DECLINE, callback_data=f"en:d:{engagement.id}")]])
    return specialist.user_id, text, markup


async def owe_invitation(session, engagement: Engagement, batch: str | None = None,  # type: ignore[no-untyped-def]
                         report_to: int | None = None) -> bool:
    """The invitation as an outbox row, in the caller's transaction. False if unreachable in Telegram."""
    built = await invitation(session, engagement)
    if built is None:
        return False
    person, text, markup = built
    await ob.owe(session, person, text, kind=ob.INVITATION, buttons=markup, ref=f"engagement:{engagement.id}",
                 key=f"invite:{engagement.id}", batch=batch, report_to=report_to)
    return True


async def notify_specialist(bot, services, engagement_id: int) -> bool:  # type: ignore[no-untyped-def]
    """The invitation sent straight to the specialist asking for it (/proposals, /start). False if
    it can't be reached. Delivered now: if the outbox never got it through, the 72 h start here."""
    async with services.db.session() as session:
        engagement = await session.get(Engagement, engagement_id)
        built = await invitation(session, engagement)
        chat_id = await ident.telegram_id_of(session, built[0]) if built is not None else None
    if built is None or chat_id is None:
        return False
    _, text, markup = built
    try:
        await bot.send_message(chat_id, text, parse_mode="HTML", reply_markup=markup)
    except TelegramError as exc:
        log.info("proposal %s not delivered: %s", engagement_id, exc)
        return False
    async with services.db.session() as session, session.begin():
        await ob.invitation_delivered(session, engagement_id)
    return True


async def answer_proposal(update: Update, context: TepaiContext) -> None:
    """接受 / 婉拒 from the addressed specialist only; a second tap changes nothing."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("a", "d") or not parts[2].isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    services = context.services
    me = await person_id(update, context)
    async with services.db.session() as session, session.begin():
        outcome, engagement, successor, project = await eng.answer(session, int(parts[2]), me,
                                                                  parts[1] == "a")
        details = await _pair_details(session, engagement) if engagement else None
        successor_name = (await session.get(Specialist, successor.specialist_id)).name if successor else None
        # What the answer owes is owed with it: both halves of the contact exchange, or staff's
        # notice and the next alternate's invitation.
        if outcome == "accepted":
            specialist, enterprise, submission, owner = details
            a = submission.answers if submission else {}
            await ob.owe(session, specialist.user_id, texts.ACCEPTED_SPECIALIST.format(
                contact=a.get("contact") or "—", phone=a.get("phone") or "—", enterprise=enterprise.name,
                project=project.title), kind=ob.CONTACT, html=False, ref=f"engagement:{engagement.id}",
                key=f"contact-specialist:{engagement.id}")
            if owner is not None:
                await ob.owe(session, owner.id, texts.ACCEPTED_ENTERPRISE.format(
                    name=esc(specialist.name), institution=esc(specialist.institution),
                    title=f"，{esc(specialist.title)}" if specialist.title else "", phone=esc(specialist.phone or "—"),
                    project=esc(project.title)), kind=ob.CONTACT, ref=f"engagement:{engagement.id}",
                    key=f"contact:{engagement.id}")
        elif outcome == "declined":
            specialist, enterprise, _, _ = details
            await owe_refusal(session, services.settings.staff_ids, texts.STAFF_DECLINED, specialist, enterprise,
                              successor, successor_name)
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
    if outcome == "declined":
        await context.bot.send_message(query.from_user.id, texts.DECLINED_SPECIALIST)


async def _pair_details(session, engagement: Engagement):  # type: ignore[no-untyped-def]
    specialist = await session.get(Specialist, engagement.specialist_id)
    enterprise = await session.get(Enterprise, engagement.enterprise_id)
    submission = await eng.current_submission(session, engagement)
    # The specialist's phone goes only to a verified member (the submitter while still one).
    owner = await membership.contact_member(session, enterprise.id, submission.submitted_by if submission else None)
    return specialist, enterprise, submission, owner


async def owe_refusal(session, staff, template: str, specialist, enterprise, successor,  # type: ignore[no-untyped-def]
                      successor_name) -> None:
    """In the refusal's transaction: the next alternate, if any, is invited; staff (TEPAI_STAFF_IDS
    `staff`, plus those granted) are told."""
    if successor is not None:
        await owe_invitation(session, successor)
    note = template.format(specialist=specialist.name, enterprise=enterprise.name,
                           next=texts.STAFF_NEXT.format(name=successor_name) if successor else texts.STAFF_NO_NEXT)
    await ob.owe_staff(session, staff, note, html=False)


async def expire_proposals(context: ContextTypes.DEFAULT_TYPE) -> None:
    """72 hours after an invitation was delivered without an answer counts as a decline: the next
    alternate is invited. An invitation never delivered never expires."""
    services = services_of(context.application)
    async with services.db.session() as session, session.begin():
        expired = await eng.expire_overdue(session)
        for old, successor in expired:
            specialist = await session.get(Specialist, old.specialist_id)
            enterprise = await session.get(Enterprise, old.enterprise_id)
            name = (await session.get(Specialist, successor.specialist_id)).name if successor else None
            await owe_refusal(session, services.settings.staff_ids, texts.STAFF_EXPIRED, specialist, enterprise,
                              successor, name)


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
