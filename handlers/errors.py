"""The last resort: log the error, tell the user something went wrong — never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from core import texts
from bot.services import TepaiContext

log = logging.getLogger("tepai.errors")

# A button whose data a handler could not take apart (a forged `fb:u`, a number no column
# holds): the press was bad, not the bot.
_BAD_BUTTON_ERRORS = (ValueError, IndexError, KeyError, OverflowError, TypeError)


async def on_error(update: object, context: TepaiContext) -> None:
    """Log with context; apologise to the user if there is one to apologise to."""
    if isinstance(context.error, Forbidden):
        log.info("user blocked the bot: %s", context.error)
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    if update.callback_query is not None and await _answer_button(update, context):
        return
    if update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.INTERNAL_ERROR_CHAT)
        except TelegramError:
            pass


async def _answer_button(update: Update, context: TepaiContext) -> bool:
    """Stop the button's spinner with a Chinese reason; False if the press was already answered."""
    bad_press = isinstance(context.error, _BAD_BUTTON_ERRORS)
    try:
        await update.callback_query.answer(texts.BUTTON_INVALID if bad_press else texts.BUTTON_FAILED, show_alert=True)
    except BadRequest:  # answered before the error: say it in the chat instead
        return False
    except TelegramError:
        return True
    return True


def register(application: Application) -> None:
    application.add_error_handler(on_error)
