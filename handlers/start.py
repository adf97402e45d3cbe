"""/start (with deep-link payloads), /help per role, /cancel."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import MappingProxyType

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler

from core import texts
from bot.render import html
from bot.services import TepaiContext
from services import dialogues as dlg
from handlers import dialogues
from handlers.common import role_of

log = logging.getLogger(__name__)


async def _nominate(update: Update, context: TepaiContext) -> None:
    from handlers.specialists import nominate_command

    await nominate_command(update, context)


async def _register(update: Update, context: TepaiContext) -> None:
    await dialogues.begin(update, context, dlg.REGISTRATION)


# Deep-link payloads (`t.me/<bot>?start=<payload>`): each begins or resumes its dialogue.
PayloadHandler = Callable[[Update, TepaiContext], Awaitable[None]]
PAYLOADS = MappingProxyType({"specialist": _register, "nominate": _nominate})


async def start(update: Update, context: TepaiContext) -> None:
    """Greet by role, or route a deep-link payload."""
    payload = (context.args or [""])[0].strip().lower()
    if payload in PAYLOADS:
        await PAYLOADS[payload](update, context)
        return
    user = update.effective_user
    role = await role_of(update, context)
    if role != "enterprise":  # the default menu already is the enterprise one
        await set_menu(context, user.id, role)
    markup = None
    if role == "enterprise":
        from handlers.survey import start_button
        from store.survey import open_campaign

        async with context.services.db.session() as session:
            if await open_campaign(session) is not None:
                markup = start_button()
    await update.effective_message.reply_html(html(texts.WELCOME[role], name=user.first_name or ""),
                                              reply_markup=markup)
    if role == "specialist":
        from handlers.engagements import proposals_command

        await proposals_command(update, context, quiet=True)


async def set_menu(context: TepaiContext, chat_id: int, role: str) -> None:
    """This chat's command menu for the user's role."""
    commands = [BotCommand(name, desc) for name, desc in texts.COMMANDS[role]]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not set the menu of chat %s: %s", chat_id, exc)


async def help_command(update: Update, context: TepaiContext) -> None:
    """What this user can do."""
    role = await role_of(update, context)
    await update.effective_message.reply_html(html(texts.HELP[role]))


async def cancel(update: Update, context: TepaiContext) -> None:
    """Leave whatever dialogue is running (its answers are kept)."""
    if not await dialogues.cancel(update, context):
        await update.effective_message.reply_text(texts.NOTHING_TO_CANCEL)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("cancel", cancel))
