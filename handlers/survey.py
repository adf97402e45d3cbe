"""The demand survey in Telegram (/survey), campaigns (/campaign), statistics and exports."""

from __future__ import annotations

import io
import logging
import tempfile
from datetime import timedelta
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from core import texts
from bot import render
from bot.render import html
from core.campaigns import campaign_year
from core.markup import fmt, join
from bot.services import TepaiContext, services_of
from services import dialogues as dlg
from handlers import dialogues
from handlers.replies import AfterCommit
from handlers.common import send_html, staff_only
from store import outbox as ob
from store import repositories as repo
from store import survey
from store.exports import write_table

log = logging.getLogger(__name__)
START = "sv:start"  # the welcome's button (services/dialogues.py `on_action` begins the survey)
REMINDER_INTERVAL = timedelta(minutes=10)


def keyboard(prompt: survey.Prompt) -> InlineKeyboardMarkup | None:
    return render.keyboard(prompt.choices)


async def survey_command(update: Update, context: TepaiContext) -> None:
    """Start, resume or revise this year's survey (any other dialogue pauses)."""
    await dialogues.begin(update, context, dlg.SURVEY)


@staff_only
async def campaign_command(update: Update, context: TepaiContext) -> None:
    """/campaign, /campaign open 2026, /campaign close 2026."""
    args = context.args or []
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        if not args:
            items = await survey.campaigns(session)
            if not items:
                later(update.effective_message.reply_text, texts.CAMPAIGN_NONE)
                return
            lines = "\n".join(texts.CAMPAIGN_LINE.format(year=c.year, status=texts.CAMPAIGN_STATES[c.status]) for c in items)
            later(update.effective_message.reply_html, html(texts.CAMPAIGN_STATUS, lines=lines))
            return
        if len(args) != 2 or args[0] not in ("open", "close") or not _is_year(args[1]):
            later(update.effective_message.reply_text, texts.CAMPAIGN_BAD)
            return
        year = int(args[1])
        try:
            await survey.set_campaign(session, year, "open" if args[0] == "open" else "closed")
        except survey.CampaignConflict as exc:
            later(update.effective_message.reply_text, texts.CAMPAIGN_ALREADY_OPEN.format(open=exc.open_year, year=year))
            return
    done = texts.CAMPAIGN_OPENED if args[0] == "open" else texts.CAMPAIGN_CLOSED
    await update.effective_message.reply_text(done.format(year=year))
    if args[0] == "open":
        await _offer_announcement(update, context, year)


async def _offer_announcement(update: Update, context: TepaiContext, year: int) -> None:
    """A broadcast to every enterprise, prepared for staff to confirm (立即发送 / 定时 / 放弃)."""
    from handlers.broadcast import prepare

    outcome = await prepare(context, update.effective_chat.id, update.effective_user.id,
                            html(texts.CAMPAIGN_ANNOUNCEMENT, year=year), "enterprises", year,
                            head=texts.CAMPAIGN_NOTIFY_OFFER)
    if outcome == "busy":
        await update.effective_message.reply_text(texts.CAMPAIGN_NOTIFY_BUSY)
    elif outcome == "nobody":
        await update.effective_message.reply_text(texts.CAMPAIGN_NOTIFY_NOBODY)


def _is_year(raw: str) -> bool:
    return campaign_year(raw) is not None


async def _year(context: TepaiContext, args: list[str]) -> int | None:
    if args and _is_year(args[0]):
        return int(args[0])
    async with context.services.db.session() as session:
        campaign = await survey.open_campaign(session) or next(iter(await survey.campaigns(session)), None)
    return campaign.year if campaign else None


@staff_only
async def stats_command(update: Update, context: TepaiContext) -> None:
    """Counts by district, field and direction; completion rate."""
    year = await _year(context, context.args or [])
    if year is None:
        await update.effective_message.reply_text(texts.CAMPAIGN_NONE)
        return
    async with context.services.db.session() as session:
        stats = await survey.statistics(session, year)
    rate = "—" if stats["completion_rate"] is None else f"{stats['completion_rate']:.0%}"
    parts = [fmt(texts.STATS_HEADER, year=year, submitted=stats["submitted"], drafts=stats["in_progress"], rate=rate)]
    for key, title in texts.STATS_SECTIONS.items():
        lines = "\n".join(texts.STATS_LINE.format(name=name, count=count) for name, count in stats[key].items()) or "—"
        parts.append(fmt(texts.STATS_SECTION, title=title, lines=lines))
    await send_html(context, update.effective_chat.id, html(join("", parts)))


@staff_only
async def export_command(update: Update, context: TepaiContext) -> None:
    """/export [年份] [csv]: the campaign's submissions as a document, one row per enterprise."""
    args = context.args or []
    fmt = "csv" if "csv" in args else "xlsx"
    year = await _year(context, [a for a in args if a != "csv"])
    if year is None:
        await update.effective_message.reply_text(texts.CAMPAIGN_NONE)
        return
    async with context.services.db.session() as session:
        submissions = await survey.current_submissions(session, year)
    if not submissions:
        await update.effective_message.reply_text(texts.EXPORT_EMPTY.format(year=year))
        return
    with tempfile.TemporaryDirectory() as tmp:
        name = f"{texts.EXPORT_FILE_SURVEY.format(year=year)}.{fmt}"
        path = write_table(Path(tmp) / name, survey.EXPORT_COLUMNS, survey.export_rows(submissions),
                           fmt, sheet=f"{year}需求调查")
        data = path.read_bytes()
    await context.bot.send_document(update.effective_chat.id, io.BytesIO(data), filename=name,
                                    caption=texts.EXPORT_CAPTION.format(year=year, count=len(submissions)))


async def remind_idle_drafts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Once per idle draft: a day without progress gets one reminder."""
    services = services_of(context.application)
    async with services.db.session() as session, session.begin():
        pending = await survey.drafts_to_remind(session)
        for draft, user in pending:  # owed with the mark that it was reminded: once, and never lost
            await ob.owe(session, user.id, texts.SURVEY_REMINDER.format(year=draft.campaign_year),
                         kind=ob.REMINDER, html=False, ref=f"draft:{draft.id}")
            draft.reminded_at = survey.utcnow()


def start_button() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(texts.SURVEY_START_BUTTON, callback_data=START)]])


def register(application: Application) -> None:
    from handlers import membership

    application.add_handler(CommandHandler("survey", survey_command))
    application.add_handler(CommandHandler("campaign", campaign_command))
    application.add_handler(CommandHandler("survey_stats", stats_command))
    application.add_handler(CommandHandler("export", export_command))
    membership.register(application)
    if application.job_queue is not None:
        application.job_queue.run_repeating(remind_idle_drafts, interval=REMINDER_INTERVAL, first=60,
                                            name="survey-reminders")
