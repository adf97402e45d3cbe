"""/broadcast for staff: compose (text, optional attachment, segment), preview exactly as it will
arrive, see the recipient count, send now or at a time; watch progress, cancel. The sending
itself is bot/broadcaster.py's."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import texts
from bot.broadcaster import cancel_markup, progress_text
from bot.render import esc, explain_html_error, html, keyboard
from bot.services import BROADCASTER_KEY, TepaiContext
from core import dialogue
from services import dialogues
from core.dialogue import REVIEW, Outcome
from handlers.common import current_user, send_html, spend_buttons, staff_only
from handlers.replies import AfterCommit
from store import broadcasts as bc
from store import identities as ident
from store import validators as v
from store.composer import COMPOSER, PAUSED, Composing, where
from store.models import Broadcast

log = logging.getLogger(__name__)


def _broadcaster(context: TepaiContext):  # type: ignore[no-untyped-def]
    return context.application.bot_data.get(BROADCASTER_KEY)


def _staff(context: TepaiContext) -> frozenset[int]:
    return frozenset(context.services.settings.staff_ids)


async def _draft(session, person_id: int) -> Broadcast | None:  # type: ignore[no-untyped-def]
    """The staff member's broadcast being composed (they are a person, whatever channel they use)."""
    return await session.scalar(select(Broadcast).where(Broadcast.created_by == person_id, Broadcast.status == "draft")
                                .order_by(Broadcast.id.desc()).limit(1))


def _composing(context: TepaiContext, draft: Broadcast, count: int | None = None) -> Composing:
    return Composing(draft, _staff(context), count)


async def _preview(context: TepaiContext, chat_id: int, text: str, document_file_id: str | None) -> str | None:
    """Send the announcement to staff exactly as recipients will get it; Telegram's complaint if any.
    Never called inside a transaction: this is the network call the composer waits on."""
    try:
        if document_file_id:
            await context.bot.send_document(chat_id, document_file_id, caption=text, parse_mode="HTML")
        else:
            await context.bot.send_message(chat_id, text, parse_mode="HTML")
    except BadRequest as exc:
        log.info("broadcast preview refused by Telegram: %s", exc)
        return explain_html_error(str(exc))  # Telegram's English stays in the log
    return None


async def prepare(context: TepaiContext, chat_id: int, staff_id: int, text: str, segment: str,
                  campaign_year: int | None, head: str) -> str:
    """A broadcast composed for staff (an announcement the bot suggests), waiting for their
    立即发送 / 定时 / 放弃 like one they wrote: "offered", "busy" (they are composing one) or "nobody"."""
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        staff = (await ident.person_for(session, ident.TELEGRAM, staff_id)).id
        if await _draft(session, staff) is not None:
            return "busy"
        count = len(await bc.recipients(session, segment, campaign_year, _staff(context)))
        if not count:
            return "nobody"
        draft = Broadcast(created_by=staff, text=text, segment=segment, status="draft", step=REVIEW,
                          campaign_year=campaign_year)
        session.add(draft)
        await session.flush()
        later(send_html, context, chat_id, esc(head))
        later(_preview, context, chat_id, draft.text, draft.document_file_id)
        _ask(later, context, chat_id, draft, count)
    return "offered"


def _say(later: AfterCommit, context: TepaiContext, chat_id: int, outcome: Outcome) -> None:
    later(send_html, context, chat_id, html(outcome.text), keyboard(outcome.choices))


def _ask(later: AfterCommit, context: TepaiContext, chat_id: int, draft: Broadcast, count: int | None = None) -> None:
    """The question for where the draft stands, said once the transaction has committed."""
    if draft.step in (None, PAUSED) or not draft.text:
        draft.step = "text" if not draft.text else "segment"
    _say(later, context, chat_id, dialogue.ask(COMPOSER, _composing(context, draft, count)))


@staff_only
async def broadcast_command(update: Update, context: TepaiContext) -> None:
    chat_id = update.effective_chat.id
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        # Composing is a dialogue like the survey: one at a time, the other one paused with its answers.
        paused = await dialogues.pause_others(session, await current_user(session, update), dialogues.BROADCAST)
        if paused:
            later(update.effective_message.reply_text, dialogues.paused_note(paused))
        staff = (await current_user(session, update)).id
        draft = await _draft(session, staff)
        if draft is None:
            campaign = await bc.campaign_for(session)
            draft = Broadcast(created_by=staff, text="", segment="", status="draft", step="text",
                              campaign_year=campaign.year if campaign else None)
            session.add(draft)
            await session.flush()
            _ask(later, context, chat_id, draft)
            return
        later(update.effective_message.reply_text, texts.BROADCAST_RESUMED.format(id=draft.id))
        draft.step = where(draft)
        count = None
        if draft.step == REVIEW:
            try:
                count = len(await bc.recipients(session, draft.segment, draft.campaign_year, _staff(context)))
            except v.ValidationError:
                draft.step = "segment"
        _ask(later, context, chat_id, draft, count)


async def in_broadcast(update: Update, context: TepaiContext) -> bool:
    """Text while composing: the body (kept once Telegram has shown it), or the time of a scheduled send."""
    user_id = update.effective_user.id
    chat_id = update.effective_chat.id
    text = update.effective_message.text or ""
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        draft = await _draft(session, (await current_user(session, update)).id)
        if draft is None or draft.step in (None, PAUSED) or not await context.services.is_staff(user_id):
            return False
        if draft.step != "text":  # the time of a scheduled send, or text where a button is asked
            _say(later, context, chat_id, await dialogue.on_text(COMPOSER, session, await current_user(session, update),
                                                                 _composing(context, draft), text))
            return True
        try:
            body = bc.check_text(text, with_document=bool(draft.document_file_id))
        except v.ValidationError as exc:
            later(update.effective_message.reply_text, exc.message)
            return True
        draft_id, document = draft.id, draft.document_file_id
    # Telegram judges the HTML by showing it: the preview goes out with no transaction open,
    # and the body is kept only if Telegram took it.
    problem = await _preview(context, chat_id, body, document)
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        draft = await session.get(Broadcast, draft_id)
        if draft is None or draft.status != "draft" or draft.step != "text":
            return True  # discarded or moved on meanwhile
        if problem:
            later(send_html, context, chat_id, esc(texts.BROADCAST_BAD_HTML.format(reason=problem)))
            return True
        outcome = await dialogue.on_text(COMPOSER, session, await current_user(session, update),
                                         _composing(context, draft), body)
        later(send_html, context, chat_id, esc(texts.BROADCAST_PREVIEW_HEAD))
        _say(later, context, chat_id, outcome)
    return True


async def attach_document(update: Update, context: TepaiContext) -> bool:
    """A file from staff while composing is the announcement's attachment (not a policy upload)."""
    chat_id = update.effective_chat.id
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        draft = await _draft(session, (await current_user(session, update)).id)
        if draft is None or draft.step not in ("text", "segment", "district", "field", REVIEW):
            return False  # no draft (or paused): a file from staff is a policy document
        if draft.step != "text":
            draft.step = "segment"  # the count and summary are shown again after the new preview
        document = update.effective_message.document
        draft.document_file_id, draft.document_name = document.file_id, (document.file_name or "附件")[:200]
        later(update.effective_message.reply_text, texts.BROADCAST_ATTACHED.format(name=draft.document_name))
        if draft.text:
            try:
                bc.check_text(draft.text, with_document=True)
            except v.ValidationError as exc:
                draft.text, draft.step = "", "text"
                later(update.effective_message.reply_text, exc.message)
                _ask(later, context, chat_id, draft)
                return True
            later(send_html, context, chat_id, esc(texts.BROADCAST_PREVIEW_HEAD))
            later(_logged_preview, context, chat_id, draft.text, draft.document_file_id)
            _ask(later, context, chat_id, draft)
    return True


async def _logged_preview(context: TepaiContext, chat_id: int, text: str, document_file_id: str | None) -> None:
    problem = await _preview(context, chat_id, text, document_file_id)
    if problem:
        log.info("attachment preview refused: %s", problem)


@staff_only
async def compose_button(update: Update, context: TepaiContext) -> None:
    """A composer button, parsed by the engine: stale (another question's, another draft's) or
    forged ones get an alert. 立即发送 and 确认定时 first send the status message progress is
    reported in — between transactions — then queue or schedule, the draft checked again."""
    query = update.callback_query
    data = query.data or ""
    chat_id = update.effective_chat.id
    parts = dialogue.parse(COMPOSER, data)
    if parts is None or len(parts) != 2:
        # `bs:<draft id>:…` is what the composer's buttons were before the engine: stale, not garbage.
        legacy = parts is not None and len(parts) > 2 and parts[0].isascii() and parts[0].isdigit()
        await query.answer(texts.BROADCAST_STALE if legacy else texts.STALE_BUTTON, show_alert=True)
        return
    services = context.services
    async with AfterCommit() as later, services.db.session() as session, session.begin():
        draft = await _draft(session, (await current_user(session, update)).id)
        composing = _composing(context, draft) if draft is not None else None
        value = dialogue.peek(COMPOSER, composing, data)
        if value is None:
            later(query.answer, texts.BROADCAST_STALE, show_alert=True)
            return
        if value not in ("now", "sched"):
            outcome = await dialogue.on_action(COMPOSER, session, await current_user(session, update), composing, data)
            later(spend_buttons, query)
            _say(later, context, chat_id, outcome)  # type: ignore[arg-type]
            return
        draft_id = draft.id
    await spend_buttons(query)
    status = await context.bot.send_message(chat_id, texts.BROADCAST_STATES["queued"])
    async with services.db.session() as session, session.begin():
        draft = await session.get(Broadcast, draft_id, with_for_update=True)
        composing = _composing(context, draft) if draft is not None else None
        outcome = None
        if draft is not None and draft.created_by == (await current_user(session, update)).id and dialogue.peek(COMPOSER, composing, data) == value:
            draft.status_chat_id, draft.status_message_id = chat_id, status.message_id
            outcome = await dialogue.on_action(COMPOSER, session, await current_user(session, update), composing, data)
        if outcome is None:
            text, markup = esc(texts.BROADCAST_STALE), None
        else:
            text = esc(outcome.text) if value == "sched" else progress_text(draft, await bc.progress(session, draft))
            markup = None if draft.status == "done" else cancel_markup(draft.id)
    try:
        await context.bot.edit_message_text(text, chat_id, status.message_id, parse_mode="HTML", reply_markup=markup)
    except TelegramError as exc:
        log.info("broadcast status message not updated: %s", exc)
    broadcaster = _broadcaster(context)
    if broadcaster is not None:
        broadcaster.wake()


async def pause_broadcast(update: Update, context: TepaiContext) -> bool:
    async with context.services.db.session() as session, session.begin():
        draft = await _draft(session, (await current_user(session, update)).id)
        if draft is None or draft.step in (None, PAUSED):
            return False
        draft.step = PAUSED
    await update.effective_message.reply_text(texts.BROADCAST_PAUSED)
    return True


async def _cancel(context: TepaiContext, broadcast_id: int) -> str:
    async with context.services.db.session() as session, session.begin():
        broadcast, changed, stopped = await bc.cancel(session, broadcast_id)
    if broadcast is None:
        return texts.BROADCAST_UNKNOWN.format(id=broadcast_id)
    if not changed:
        return texts.BROADCAST_ALREADY_OVER.format(id=broadcast_id, state=texts.BROADCAST_STATES.get(broadcast.status, ""))
    broadcaster = _broadcaster(context)
    if broadcaster is not None:
        broadcaster.cancelled(broadcast_id)
    return texts.BROADCAST_CANCELLED.format(id=broadcast_id, count=stopped)


async def _resend(context: TepaiContext, broadcast_id: int) -> str:
    async with context.services.db.session() as session, session.begin():
        broadcast, count = await bc.resend_interrupted(session, broadcast_id)
    if broadcast is None:
        return texts.BROADCAST_UNKNOWN.format(id=broadcast_id)
    if not count:
        return texts.BROADCAST_RESEND_NONE.format(id=broadcast_id)
    broadcaster = _broadcaster(context)
    if broadcaster is not None:
        broadcaster.wake()
    return texts.BROADCAST_RESENT.format(id=broadcast_id, count=count)


Action = Callable[[TepaiContext, int], Awaitable[str]]


def _command(action: Action, usage: str):  # type: ignore[no-untyped-def]
    """/broadcast_cancel ID, /broadcast_resend ID: staff only, the id checked, the action's reply."""

    @staff_only
    async def command(update: Update, context: TepaiContext) -> None:
        args = context.args or []
        if len(args) != 1 or not args[0].lstrip("#").isdigit():
            await update.effective_message.reply_text(usage)
            return
        await update.effective_message.reply_text(await action(context, int(args[0].lstrip("#"))))

    return command


def _button(action: Action, spend: bool):  # type: ignore[no-untyped-def]
    """⏹ / 🔁 on a broadcast's messages: the same action, answered as an alert."""

    @staff_only
    async def button(update: Update, context: TepaiContext) -> None:
        query = update.callback_query
        raw = (query.data or "").partition(":")[2]
        if not raw.isdigit():
            await query.answer(texts.STALE_BUTTON, show_alert=True)
            return
        await query.answer(await action(context, int(raw)), show_alert=True)
        if spend:
            try:
                await query.edit_message_reply_markup(None)  # used up, whatever the answer
            except TelegramError:
                pass

    return button


@staff_only
async def status_command(update: Update, context: TepaiContext) -> None:
    args = context.args or []
    async with context.services.db.session() as session:
        if args and args[0].lstrip("#").isdigit():
            one = await session.get(Broadcast, int(args[0].lstrip("#")))
            items = [one] if one is not None and one.status != "draft" else []
        else:
            items = await bc.recent(session)
        reports = [progress_text(b, await bc.progress(session, b)) for b in items]
    await send_html(context, update.effective_chat.id, "\n\n".join(reports) or esc(texts.BROADCAST_NONE))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("broadcast", broadcast_command))
    application.add_handler(CommandHandler("broadcast_status", status_command))
    application.add_handler(CommandHandler("broadcast_cancel", _command(_cancel, texts.BROADCAST_CANCEL_USAGE)))
    application.add_handler(CallbackQueryHandler(compose_button, pattern=r"^bs:"))
    application.add_handler(CommandHandler("broadcast_resend", _command(_resend, texts.BROADCAST_RESEND_USAGE)))
    application.add_handler(CallbackQueryHandler(_button(_cancel, spend=False), pattern=r"^bx:"))
    application.add_handler(CallbackQueryHandler(_button(_resend, spend=True), pattern=r"^br:"))
