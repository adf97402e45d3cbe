"""The last resort: log the error, tell the user something went wrong — never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot import texts
from bot.services import TepaiContext

log = logging.getLogger("tepai.errors")


async def on_error(update: object, context: TepaiContext) -> None:
    """Log with context; apologise to the user if there is one to apologise to."""
    if isinstance(context.error, Forbidden):
        log.info("user blocked the bot: %s", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.INTERNAL_ERROR_CHAT)
        except TelegramError:
            pass


def register(application: Application) -> None:
    application.add_error_handler(on_error)
