"""Cross-cutting pieces: user tracking, the flood guard, staff checks, safe replies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ChatMemberHandler, TypeHandler

from bot import texts
from bot.render import split_message
from bot.services import TepaiContext
from store import repositories as repo
from store.models import ROLE_STAFF

log = logging.getLogger(__name__)

Handler = Callable[[Update, TepaiContext], Awaitable[object]]


async def track_user(update: Update, context: TepaiContext) -> None:
    """Record who is talking; stop updates from a user who floods the bot."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    if update.message is not None:  # button presses are not messages: a survey needs many
        verdict = context.services.flood.check(user.id)
        if verdict == "warn" and update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, texts.SLOW_DOWN)
        if verdict != "ok":
            raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return  # membership_changed decides reachability
    async with context.services.db.session() as session, session.begin():
        await repo.touch_user(session, user.id, user.full_name or "", user.username, user.language_code)


async def current_user(session, update: Update):  # type: ignore[no-untyped-def]
    """The sender's User row (created on the spot if tracking has not stored it yet)."""
    tg = update.effective_user
    return await repo.get_user(session, tg.id) or await repo.touch_user(session, tg.id, tg.full_name or "")


async def spend_buttons(query, notice: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Answer a button press and remove that message's buttons: they are used up."""
    await query.answer(notice)
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:  # already gone, or "message is not modified"
        pass


async def role_of(context: TepaiContext, telegram_id: int) -> str:
    if await context.services.is_staff(telegram_id):
        return ROLE_STAFF
    async with context.services.db.session() as session:
        user = await repo.get_user(session, telegram_id)
        if user is not None and user.role != "enterprise":
            return user.role
        # A specialist staff imported with a Telegram id is one from their first /start.
        if await repo.is_active_specialist(session, telegram_id):
            return "specialist"
    return "enterprise"


def staff_only(handler: Handler) -> Handler:
    """Refuse the command to anyone who is not bureau staff."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: TepaiContext) -> object:
        user = update.effective_user
        if user is None or not await context.services.is_staff(user.id):
            if update.callback_query is not None:
                await update.callback_query.answer(texts.STAFF_ONLY, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(texts.STAFF_ONLY)
            return None
        return await handler(update, context)

    return guarded


async def send_html(
    context: TepaiContext, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send `text` (HTML) split to Telegram's limit; buttons go on the last piece.

    A chat whose user blocked the bot is marked unreachable instead of raising.
    """
    pieces = split_message(text)
    sent: list[Message] = []
    try:
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            sent.append(
                await context.bot.send_message(
                    chat_id, piece, parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup if last else None,
                    reply_to_message_id=reply_to if number == 0 else None,
                )
            )
    except Forbidden:
        async with context.services.db.session() as session, session.begin():
            await repo.mark_unreachable(session, chat_id)
        raise
    return sent


async def membership_changed(update: Update, context: TepaiContext) -> None:
    """A user blocked the bot (kicked) or came back: keep `reachable` current."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    async with context.services.db.session() as session, session.begin():
        if change.new_chat_member.status in ("kicked", "left"):
            await repo.mark_unreachable(session, change.from_user.id)
        else:
            await repo.touch_user(session, change.from_user.id, change.from_user.full_name or "")


async def stale_button(update: Update, context: TepaiContext) -> None:
    """A forged, empty or outdated button."""
    await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, track_user), group=-1)
    # PTB hands a button with empty data to every pattern handler; catch it first.
    application.add_handler(CallbackQueryHandler(stale_button, pattern=lambda data: not data))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))
