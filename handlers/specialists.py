"""Specialists: registration by dialogue (?start=specialist, /register), an enterprise's
nomination of an expert it already works with (/nominate, 企业自主申报), and staff approval."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import texts
from bot.render import esc
from bot.services import TepaiContext
from handlers.common import current_user, send_html, spend_buttons, staff_only
from handlers.survey import keyboard
from store import registration
from store import repositories as repo
from store.models import EnterpriseMember, Enterprise, User
from store.registration import NOMINATION, REGISTRATION
from store.specialists import sync_index

log = logging.getLogger(__name__)


async def register_command(update: Update, context: TepaiContext) -> None:
    """Begin or resume a specialist's registration."""
    async with context.services.db.session() as session, session.begin():
        prompt = await registration.start(session, await current_user(session, update))
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))


async def nominate_command(update: Update, context: TepaiContext) -> None:
    """Begin or resume a nomination; only a member of a known enterprise can nominate."""
    async with context.services.db.session() as session, session.begin():
        user = await current_user(session, update)
        if await session.get(EnterpriseMember, user.id) is None:
            await update.effective_message.reply_text(texts.NOM_NEEDS_ENTERPRISE)
            return
        prompt = await registration.start(session, user, NOMINATION)
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))


async def _in_form(update: Update, context: TepaiContext, form: registration.Form) -> bool:
    async with context.services.db.session() as session, session.begin():
        user = await current_user(session, update)
        if await registration.active_draft(session, user, form) is None:
            return False
        prompt = await registration.on_text(session, user, update.effective_message.text or "", form)
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))
    return True


async def in_registration(update: Update, context: TepaiContext) -> bool:
    return await _in_form(update, context, REGISTRATION)


async def in_nomination(update: Update, context: TepaiContext) -> bool:
    return await _in_form(update, context, NOMINATION)


async def form_button(update: Update, context: TepaiContext) -> None:
    query = update.callback_query
    form = NOMINATION if (query.data or "").startswith(f"{NOMINATION.prefix}:") else REGISTRATION
    async with context.services.db.session() as session, session.begin():
        user = await current_user(session, update)
        prompt = await registration.on_button(session, user, query.data or "", form)
        submitted = nominator = None
        if prompt is not None and prompt.finished:
            submitted = await (registration.existing_specialist(session, user) if form is REGISTRATION
                               else registration.submitted_nomination(session, user))
            nominator = await session.get(Enterprise, submitted.nominated_by) if submitted and submitted.nominated_by else None
    if prompt is None:
        await query.answer(texts.SURVEY_STALE, show_alert=True)
        return
    await spend_buttons(query)
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))
    if submitted is None:
        return
    if submitted.status == "active":  # a nominee registering themself: already in the pool
        await _linked(context, submitted)
        return
    await _notify_staff(context, submitted, nominator.name if nominator else None)


async def _linked(context: TepaiContext, specialist) -> None:  # type: ignore[no-untyped-def]
    """The nominee's own registration updated their record: re-index it, make them a specialist, tell staff."""
    services = context.services
    # Embedding runs before the write transaction, never inside it (other processes write too).
    await _index(services, specialist)
    async with services.db.session() as session, session.begin():
        await repo.set_role(session, specialist.telegram_id, "specialist")
    for chat_id in await services.staff_chat_ids():
        try:
            await context.bot.send_message(chat_id, texts.REG_LINKED_STAFF.format(id=specialist.id, name=specialist.name))
        except TelegramError as exc:
            log.info("link note not delivered to staff %s: %s", chat_id, exc)


async def _index(services, specialist) -> None:  # type: ignore[no-untyped-def]
    try:
        await asyncio.to_thread(sync_index, services.matcher, [specialist])
    except Exception:  # the record stands; the next import or approval re-indexes it
        log.exception("specialist #%s not indexed for matching", specialist.id)


def _decision_buttons(specialist_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.APPROVE_BUTTON.format(id=specialist_id), callback_data=f"sp:ok:{specialist_id}"),
        InlineKeyboardButton(texts.REJECT_BUTTON.format(id=specialist_id), callback_data=f"sp:no:{specialist_id}"),
    ]])


def _summary(specialist, nominator: str | None = None) -> str:  # type: ignore[no-untyped-def]
    if specialist.source == "nomination":
        return texts.NOM_TO_STAFF.format(
            id=specialist.id, enterprise=esc(nominator or "—"), name=esc(specialist.name),
            institution=esc(specialist.institution), institution_type=esc(specialist.institution_type or "—"),
            title=esc(specialist.title or "—"), field=esc(specialist.field), expertise=esc(specialist.expertise),
            note=esc(specialist.nomination_note or "—"))
    return texts.REG_TO_STAFF.format(
        id=specialist.id, name=esc(specialist.name), institution=esc(specialist.institution),
        institution_type=esc(specialist.institution_type or "—"), title=esc(specialist.title or "—"),
        field=esc(specialist.field), expertise=esc(specialist.expertise), capacity=specialist.capacity,
    )


async def _notify_staff(context: TepaiContext, specialist, nominator: str | None = None) -> None:  # type: ignore[no-untyped-def]
    for chat_id in await context.services.staff_chat_ids():
        try:
            await send_html(context, chat_id, _summary(specialist, nominator), _decision_buttons(specialist.id))
        except TelegramError as exc:
            log.warning("registration #%s not delivered to staff %s: %s", specialist.id, chat_id, exc)


async def pause_registration(update: Update, context: TepaiContext) -> bool:
    async with context.services.db.session() as session, session.begin():
        paused = await registration.pause(session, await current_user(session, update))
    if paused:
        await update.effective_message.reply_text(texts.REG_PAUSED)
    return paused


async def pause_nomination(update: Update, context: TepaiContext) -> bool:
    async with context.services.db.session() as session, session.begin():
        paused = await registration.pause(session, await current_user(session, update), NOMINATION)
    if paused:
        await update.effective_message.reply_text(texts.NOM_PAUSED)
    return paused


@staff_only
async def approve_command(update: Update, context: TepaiContext) -> None:
    """Pending registrations, each with approve / reject buttons."""
    async with context.services.db.session() as session:
        items = await registration.pending(session)
        nominators = {e.id: e.name for e in await registration.nominators(session, items)}
    if not items:
        await update.effective_message.reply_text(texts.PENDING_NONE)
        return
    await send_html(context, update.effective_chat.id, texts.PENDING_HEADER.format(count=len(items)))
    for specialist in items[:20]:
        await send_html(context, update.effective_chat.id, _summary(specialist, nominators.get(specialist.nominated_by)),
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
    async with services.db.session() as session, session.begin():
        specialist, changed = await registration.decide(session, int(parts[2]), approve)
        if specialist is None:
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        if changed and approve:
            if specialist.telegram_id:
                await repo.touch_user(session, specialist.telegram_id)
                await repo.set_role(session, specialist.telegram_id, "specialist")
        nominator = await session.get(User, specialist.nominated_user) if specialist.nominated_user else None
    if changed and approve:
        # Into the match index once committed: embedding inside the write transaction would
        # hold the database's lock against every other process meanwhile.
        await _index(services, specialist)
    if not changed:
        await query.answer(texts.ALREADY_DECIDED.format(status=texts.REG_STATUS.get(specialist.status, "")), show_alert=True)
        return
    done = texts.APPROVED_STAFF if approve else texts.REJECTED_STAFF
    await spend_buttons(query, done.format(id=specialist.id, name=specialist.name))
    told = []
    if specialist.telegram_id:
        told.append((specialist.telegram_id, texts.APPROVED_SPECIALIST if approve else texts.REJECTED_SPECIALIST))
    if nominator is not None:
        told.append((nominator.telegram_id, (texts.NOM_APPROVED if approve else texts.NOM_REJECTED).format(name=specialist.name)))
    for chat_id, text in told:
        try:
            await context.bot.send_message(chat_id, text)
        except TelegramError as exc:
            log.info("decision on #%s not delivered to %s: %s", specialist.id, chat_id, exc)


def register(application: Application) -> None:
    from handlers.qa import TEXT_DIALOGUES
    from handlers.start import CANCEL_HOOKS, PAYLOADS

    PAYLOADS["specialist"] = register_command
    PAYLOADS["nominate"] = nominate_command
    for hooks, hook in ((CANCEL_HOOKS, pause_registration), (CANCEL_HOOKS, pause_nomination),
                        (TEXT_DIALOGUES, in_registration), (TEXT_DIALOGUES, in_nomination)):
        if hook not in hooks:
            hooks.append(hook)
    application.add_handler(CommandHandler("register", register_command))
    application.add_handler(CommandHandler("nominate", nominate_command))
    application.add_handler(CommandHandler("approve", approve_command))
    application.add_handler(CallbackQueryHandler(form_button, pattern=r"^(rg|nm):"))
    application.add_handler(CallbackQueryHandler(decide, pattern=r"^sp:"))
