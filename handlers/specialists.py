"""Specialists: registration by dialogue (?start=specialist, /register), an enterprise's
nomination of an expert it already works with (/nominate, 企业自主申报), and staff approval.
A registration with a nominee's mobile is a merge claim staff decide (sm:), never a silent merge."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import texts
from bot.render import html
from bot.services import TepaiContext
from services import dialogues as dlg
from handlers import dialogues
from handlers.replies import AfterCommit
from handlers.common import current_user, send_html, spend_buttons, staff_only
from handlers.membership import markup
from store import identities as ident
from store import outbox as ob
from store import registration
from store import repositories as repo
from store.membership import Buttons
from store.models import EnterpriseMember, User
from store.specialists import sync_index

log = logging.getLogger(__name__)


async def register_command(update: Update, context: TepaiContext) -> None:
    """Begin or resume a specialist's registration."""
    await dialogues.begin(update, context, dlg.REGISTRATION)


async def nominate_command(update: Update, context: TepaiContext) -> None:
    """Begin or resume a nomination; only a member of a known enterprise can nominate."""
    async with context.services.db.session() as session:
        member = await session.get(EnterpriseMember, (await current_user(session, update)).id)
    if member is None:
        await update.effective_message.reply_text(texts.NOM_NEEDS_ENTERPRISE)
        return
    await dialogues.begin(update, context, dlg.NOMINATION)


_merge_summary = registration.merge_summary
_summary = registration.summary


async def _make_specialist(session, user_id: int) -> None:  # type: ignore[no-untyped-def]
    """An approved specialist is a bot user with the specialist role from now (their menu, broadcasts)."""
    address = await ident.address_for(session, user_id, ident.TELEGRAM)
    if address is not None:
        await repo.touch_user(session, address.external_id)
    await repo.set_role(session, user_id, "specialist")


def _merge_buttons(registration_id: int) -> Buttons:
    return registration.merge_choices(registration_id)


@staff_only
async def decide_merge(update: Update, context: TepaiContext) -> None:
    """合并 / 单独审核: staff decide whether a registration is the nominated expert it matches."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("ok", "sep") or not parts[2].isdigit() or len(parts[2]) > 12:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    services = context.services
    async with services.db.session() as session, session.begin():
        staff = await current_user(session, update)
        result = await registration.decide_merge(session, int(parts[2]), staff, parts[1] == "ok")
        nominee, registrant = result.nominee, result.registration
        separate_note = None
        if result.outcome == "merged" and nominee.status == "active":
            await _make_specialist(session, nominee.user_id)
        if result.outcome == "separated":
            separate_note = _summary(registrant)
            if registrant.user_id:
                await ob.owe(session, registrant.user_id, texts.REG_SEPARATED_SPECIALIST, kind=ob.NOTICE,
                             ref=f"specialist:{registrant.id}")
        elif result.outcome == "merged":
            status = texts.REG_STATUS.get(nominee.status, nominee.status)
            await ob.owe(session, nominee.user_id, texts.REG_MERGED_SPECIALIST.format(status=status),
                         kind=ob.NOTICE, ref=f"specialist:{nominee.id}")
            if result.nominator is not None:
                await ob.owe(session, result.nominator.id,
                             html(texts.REG_MERGED_NOMINATOR, name=nominee.name), kind=ob.NOTICE,
                             ref=f"specialist:{nominee.id}")
    if result.outcome == "stale":
        await query.answer(texts.REG_MERGE_STALE, show_alert=True)
        return
    if result.outcome == "merged" and nominee.status == "active":
        # The merged profile is what matching sees; embedded once committed, never inside the
        # write transaction (it would hold the database's lock against every other process).
        await _index(services, nominee)
    if result.outcome == "separated":
        await spend_buttons(query, texts.REG_SEPARATED_STAFF.format(reg_id=registrant.id, nominee_id=nominee.id if nominee else "—"))
        await send_html(context, update.effective_chat.id, html(separate_note), _decision_buttons(registrant.id))
        return
    await spend_buttons(query, texts.REG_MERGED_STAFF.format(reg_id=parts[2], nominee_id=nominee.id, name=nominee.name))


async def _index(services, specialist) -> None:  # type: ignore[no-untyped-def]
    try:
        await asyncio.to_thread(sync_index, services.matcher, [specialist])
    except Exception:  # the record stands; the next import or approval re-indexes it
        log.exception("specialist #%s not indexed for matching", specialist.id)


def _decision_buttons(specialist_id: int) -> InlineKeyboardMarkup | None:
    return markup(registration.decision_choices(specialist_id))


@staff_only
async def approve_command(update: Update, context: TepaiContext) -> None:
    """Pending registrations, each with approve / reject buttons."""
    async with context.services.db.session() as session:
        items = await registration.pending(session)
        nominators = {e.id: e.name for e in await registration.nominators(session, items)}
        merges = {s.id: await _merge_summary(session, s) for s in items[:20] if s.claims_specialist_id is not None}
    if not items:
        await update.effective_message.reply_text(texts.PENDING_NONE)
        return
    await send_html(context, update.effective_chat.id, html(texts.PENDING_HEADER, count=len(items)))
    for specialist in items[:20]:
        if specialist.id in merges:
            await send_html(context, update.effective_chat.id, html(merges[specialist.id]), markup(_merge_buttons(specialist.id)))
            continue
        await send_html(context, update.effective_chat.id, html(_summary(specialist, nominators.get(specialist.nominated_by))),
                        _decision_buttons(specialist.id))


@staff_only
async def decide(update: Update, context: TepaiContext) -> None:
    """Approve into the pool (and the match index) or reject; a second tap changes nothing."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("ok", "no") or not parts[2].isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    approve = parts[1] == "ok"
    services = context.services
    async with AfterCommit() as later, services.db.session() as session, session.begin():
        specialist, changed = await registration.decide(session, int(parts[2]), approve,
                                                        await current_user(session, update))
        if specialist is None:
            later(query.answer, texts.STALE_BUTTON, show_alert=True)
            return
        if changed and approve:
            if specialist.user_id:
                await _make_specialist(session, specialist.user_id)
        nominator = await session.get(User, specialist.nominated_user) if specialist.nominated_user else None
        if changed:  # the outcome is owed to the applicant (and the nominating enterprise) with the decision
            if specialist.user_id:
                await ob.owe(session, specialist.user_id,
                             texts.APPROVED_SPECIALIST if approve else texts.REJECTED_SPECIALIST, kind=ob.NOTICE,
                             html=False, ref=f"specialist:{specialist.id}")
            if nominator is not None:
                await ob.owe(session, nominator.id,
                             (texts.NOM_APPROVED if approve else texts.NOM_REJECTED).format(name=specialist.name),
                             kind=ob.NOTICE, html=False, ref=f"specialist:{specialist.id}")
    if changed and approve:
        # Into the match index once committed: embedding inside the write transaction would
        # hold the database's lock against every other process meanwhile.
        await _index(services, specialist)
    if not changed and specialist.status == "pending":  # a merge claim: same person as the nominee? first
        await query.answer(texts.REG_MERGE_FIRST, show_alert=True)
        return
    if not changed:
        await query.answer(texts.ALREADY_DECIDED.format(status=texts.REG_STATUS.get(specialist.status, "")), show_alert=True)
        return
    done = texts.APPROVED_STAFF if approve else texts.REJECTED_STAFF
    await spend_buttons(query, done.format(id=specialist.id, name=specialist.name))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("register", register_command))
    application.add_handler(CommandHandler("nominate", nominate_command))
    application.add_handler(CommandHandler("approve", approve_command))
    application.add_handler(CallbackQueryHandler(decide, pattern=r"^sp:"))
    application.add_handler(CallbackQueryHandler(decide_merge, pattern=r"^sm:"))
