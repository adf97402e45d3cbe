"""Anything that is not text (photos, stickers, voice, video…) gets a polite reply."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from core import texts
from bot.services import TepaiContext


async def text_only(update: Update, context: TepaiContext) -> None:
    """We only read text for now."""
    await update.effective_message.reply_text(texts.TEXT_ONLY)


def register(application: Application) -> None:
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.COMMAND & ~filters.Document.ALL
                       & ~filters.StatusUpdate.ALL, text_only)
    )
