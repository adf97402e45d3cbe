"""/stats for staff: programme coverage against the 2027 (50%) and 2030 (100%) targets, with a chart."""

from __future__ import annotations

import asyncio
import io

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import texts
from bot.services import TepaiContext
from handlers.common import send_html, staff_only
from store.coverage import chart_caption, coverage, coverage_chart_png, summary_text


@staff_only
async def stats_command(update: Update, context: TepaiContext) -> None:
    """/stats [年份]: totals, coverage vs the 50% target, by district; then the district chart."""
    args = context.args or []
    if len(args) > 1 or (args and not (args[0].isdigit() and 2000 <= int(args[0]) <= 2100)):
        await update.effective_message.reply_text(texts.COVERAGE_BAD_YEAR)
        return
    year = int(args[0]) if args else None
    async with context.services.db.session() as session:
        report = await coverage(session, year)
    chat_id = update.effective_chat.id
    await send_html(context, chat_id, summary_text(report))
    if report["by_district"]:
        png = await asyncio.to_thread(coverage_chart_png, report)
        await context.bot.send_photo(chat_id, io.BytesIO(png), caption=chart_caption(report))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("stats", stats_command))
