"""Specialists: registration by dialogue (?start=specialist, /register) and staff approval."""

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
from store.specialists import sync_index

log = logging.getLogger(__name__)


async def register_command(update: Update, context: TepaiContext) -> None:
    """Begin or resume a specialist's registration."""
    async with context.services.db.session() as session, session.begin():
        prompt = await registration.start(session, await current_user(session, update))
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))


async def in_registration(update: Update, context: TepaiContext) -> bool:
    async with context.services.db.session() as session, session.begin():
        user = await current_user(session, update)
        if await registration.active_draft(session, user) is None:
            return False
        prompt = await registration.on_text(session, user, update.effective_message.text or "")
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))
    return True


async def registration_button(update: Update, context: TepaiContext) -> None:
    query = update.callback_query
    async with context.services.db.session() as session, session.begin():
        user = await current_user(session, update)
        prompt = await registration.on_button(session, user, query.data or "")
        submitted = None
        if prompt is not None and prompt.finished:
            submitted = await registration.existing_specialist(session, user)
    if prompt is None:
        await query.answer(texts.SURVEY_STALE, show_alert=True)
        return
    await spend_buttons(query)
    await send_html(context, update.effective_chat.id, prompt.text, keyboard(prompt))
    if submitted is not None:
        await _notify_staff(context, submitted)


def _decision_buttons(specialist_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.APPROVE_BUTTON.format(id=specialist_id), callback_data=f"sp:ok:{specialist_id}"),
        InlineKeyboardButton(texts.REJECT_BUTTON.format(id=specialist_id), callback_data=f"sp:no:{specialist_id}"),
    ]])


def _summary(specialist) -> str:  # type: ignore[no-untyped-def]
    return texts.REG_TO_STAFF.format(
        id=specialist.id, name=esc(specialist.name), institution=esc(specialist.institution),
        institution_type=esc(specialist.institution_type or "—"), title=esc(specialist.title or "—"),
        field=esc(specialist.field), expertise=esc(specialist.expertise), capacity=specialist.capacity,
    )


async def _notify_staff(context: TepaiContext, specialist) -> None:  # type: ignore[no-untyped-def]
    for chat_id in await context.services.staff_chat_ids():
        try:
            await send_html(context, chat_id, _summary(specialist), _decision_buttons(specialist.id))
        except TelegramError as exc:
            log.warning("registration #%s not delivered to staff %s: %s", specialist.id, chat_id, exc)


async def pause_registration(update: Update, context: TepaiContext) -> bool:
    async with context.services.db.session() as session, session.begin():
        paused = await registration.pause(session, await current_user(session, update))
    if paused:
        await update.effective_message.reply_text(texts.REG_PAUSED)
    return paused


@staff_only
async def approve_command(update: Update, context: TepaiContext) -> None:
    """Pending registrations, each with approve / reject buttons."""
    async with context.services.db.session() as session:
        items = await registration.pending(session)
    if not items:
        await update.effective_message.reply_text(texts.PENDING_NONE)
        return
    await send_html(context, update.effective_chat.id, texts.PENDING_HEADER.format(count=len(items)))
    for specialist in items[:20]:
        await send_html(context, update.effective_chat.id, _summary(specialist), _decision_buttons(specialist.id))


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
            # Into the match index before the commit: an approved specialist is always findable.
            await asyncio.to_thread(sync_index, services.matcher, [specialist])
            if specialist.telegram_id:
                await repo.touch_user(session, specialist.telegram_id)
                await repo.set_role(session, specialist.telegram_id, "specialist")
    if not changed:
        await query.answer(texts.ALREADY_DECIDED.format(status=texts.REG_STATUS.get(specialist.status, "")), show_alert=True)
        return
    done = texts.APPROVED_STAFF if approve else texts.REJECTED_STAFF
    await spend_buttons(query, done.format(id=specialist.id, name=specialist.name))
    if specialist.telegram_id:
        try:
            await context.bot.send_message(specialist.telegram_id,
                                           texts.APPROVED_SPECIALIST if approve else texts.REJECTED_SPECIALIST)
        except TelegramError as exc:
            log.info("decision not delivered to specialist %s: %s", specialist.telegram_id, exc)


def register(application: Application) -> None:
    from handlers.qa import TEXT_DIALOGUES
    from handlers.start import CANCEL_HOOKS, PAYLOADS

    PAYLOADS["specialist"] = register_command
    for hooks, hook in ((CANCEL_HOOKS, pause_registration), (TEXT_DIALOGUES, in_registration)):
        if hook not in hooks:
            hooks.append(hook)
    application.add_handler(CommandHandler("register", register_command))
    application.add_handler(CommandHandler("approve", approve_command))
    application.add_handler(CallbackQueryHandler(registration_button, pattern=r"^rg:"))
    application.add_handler(CallbackQueryHandler(decide, pattern=r"^sp:"))
