"""/stats for staff: programme coverage against the 2027 (50%) and 2030 (100%) targets, with a chart."""

from __future__ import annotations

import asyncio
import io

from telegram import Update
from telegram.ext import Application, CommandHandler

from core import texts
from bot.services import TepaiContext
from handlers.common import send_html, staff_only
from bot.render import html
from core.campaigns import campaign_year
from core.coverage import chart_caption, chart_png, summary
from store.coverage import coverage


@staff_only
async def stats_command(update: Update, context: TepaiContext) -> None:
    """/stats [年份]: totals, coverage vs the 50% target, by district; then the district chart."""
    args = context.args or []
    if len(args) > 1 or (args and campaign_year(args[0]) is None):
        await update.effective_message.reply_text(texts.COVERAGE_BAD_YEAR)
        return
    year = int(args[0]) if args else None
    async with context.services.db.session() as session:
        report = await coverage(session, year)
    chat_id = update.effective_chat.id
    await send_html(context, chat_id, html(summary(report)))
    if report["by_district"]:
        png = await asyncio.to_thread(chart_png, report)
        await context.bot.send_photo(chat_id, io.BytesIO(png), caption=chart_caption(report))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("stats", stats_command))
