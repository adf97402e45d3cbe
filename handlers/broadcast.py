"""/broadcast for staff: compose (text, optional attachment, segment), preview exactly as it will
arrive, see the recipient count, send now or at a time; watch progress, cancel. The sending
itself is bot/broadcaster.py's."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import texts
from bot.broadcaster import cancel_markup, progress_text
from bot.render import esc, explain_html_error, html
from bot.services import TepaiContext
from core import dialogues
from handlers.common import current_user, send_html, spend_buttons, staff_only
from handlers.replies import AfterCommit
from store import broadcasts as bc
from store import validators as v
from store.models import Broadcast

log = logging.getLogger(__name__)


def _broadcaster(context: TepaiContext):  # type: ignore[no-untyped-def]
    from bot.app import BROADCASTER_KEY

    return context.application.bot_data.get(BROADCASTER_KEY)


def _staff(context: TepaiContext) -> frozenset[int]:
    return frozenset(context.services.settings.staff_ids)


async def _draft(session, telegram_id: int) -> Broadcast | None:  # type: ignore[no-untyped-def]
    return await session.scalar(select(Broadcast).where(Broadcast.created_by == telegram_id, Broadcast.status == "draft")
                                .order_by(Broadcast.id.desc()).limit(1))


def _rows(buttons: list[tuple[str, str]], per_row: int = 2) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in buttons[i:i + per_row]]
                                 for i in range(0, len(buttons), per_row)])


def _segment_markup(draft_id: int) -> InlineKeyboardMarkup:
    simple = [(label, f"bs:{draft_id}:seg:{key}") for key, label in texts.BROADCAST_SEGMENTS.items()]
    return _rows(simple + [(texts.BROADCAST_SEGMENT_BY_DISTRICT, f"bs:{draft_id}:seg:district"),
                           (texts.BROADCAST_SEGMENT_BY_FIELD, f"bs:{draft_id}:seg:field")])


def _review_markup(draft_id: int) -> InlineKeyboardMarkup:
    return _rows([(texts.BROADCAST_SEND_NOW, f"bs:{draft_id}:now"), (texts.BROADCAST_SCHEDULE, f"bs:{draft_id}:later"),
                  (texts.BROADCAST_DISCARD, f"bs:{draft_id}:drop")], per_row=3)


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
        if await _draft(session, staff_id) is not None:
            return "busy"
        count = len(await bc.recipients(session, segment, campaign_year, _staff(context)))
        if not count:
            return "nobody"
        draft = Broadcast(created_by=staff_id, text=text, segment=segment, status="draft", step="review",
                          campaign_year=campaign_year)
        session.add(draft)
        await session.flush()
        later(send_html, context, chat_id, esc(head))
        later(_preview, context, chat_id, draft.text, draft.document_file_id)
        _ask(later, context, chat_id, draft, count)
    return "offered"


def _ask(later: AfterCommit, context: TepaiContext, chat_id: int, draft: Broadcast, count: int | None = None) -> None:
    """The question for where the draft stands, said once the transaction has committed."""
    if draft.step == "text" or not draft.text:
        draft.step = "text"
        later(send_html, context, chat_id, html(texts.BROADCAST_ASK_TEXT))
    elif draft.step in ("segment", "paused"):
        later(send_html, context, chat_id, esc(texts.BROADCAST_ASK_SEGMENT), _segment_markup(draft.id))
    elif draft.step == "district":
        later(send_html, context, chat_id, esc(texts.BROADCAST_ASK_DISTRICT),
              _rows([(d, f"bs:{draft.id}:d:{n}") for n, d in enumerate(texts.DISTRICTS)], 3))
    elif draft.step == "field":
        later(send_html, context, chat_id, esc(texts.BROADCAST_ASK_FIELD),
              _rows([(f, f"bs:{draft.id}:f:{n}") for n, f in enumerate(texts.FIELDS)], 2))
    elif draft.step == "time":
        later(send_html, context, chat_id, esc(texts.BROADCAST_ASK_TIME))
    else:
        later(send_html, context, chat_id,
              html(texts.BROADCAST_SUMMARY, segment=bc.segment_label(draft.segment),
                   count=count if count is not None else "—", document=draft.document_name or "无"),
              _review_markup(draft.id))


@staff_only
async def broadcast_command(update: Update, context: TepaiContext) -> None:
    chat_id = update.effective_chat.id
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        # Composing is a dialogue like the survey: one at a time, the other one paused with its answers.
        paused = await dialogues.pause_others(session, await current_user(session, update), dialogues.BROADCAST)
        if paused:
            later(update.effective_message.reply_text, dialogues.paused_note(paused))
        draft = await _draft(session, update.effective_user.id)
        if draft is None:
            campaign = await bc.campaign_for(session)
            draft = Broadcast(created_by=update.effective_user.id, text="", segment="", status="draft", step="text",
                              campaign_year=campaign.year if campaign else None)
            session.add(draft)
            await session.flush()
            _ask(later, context, chat_id, draft)
            return
        later(update.effective_message.reply_text, texts.BROADCAST_RESUMED.format(id=draft.id))
        draft.step = "text" if not draft.text else ("segment" if not draft.segment else "review")
        count = None
        if draft.step == "review":
            try:
                count = len(await bc.recipients(session, draft.segment, draft.campaign_year, _staff(context)))
            except v.ValidationError:
                draft.step = "segment"
        _ask(later, context, chat_id, draft, count)


async def in_broadcast(update: Update, context: TepaiContext) -> bool:
    """Text while composing: the body, or the time of a scheduled send."""
    user_id = update.effective_user.id
    chat_id = update.effective_chat.id
    text = update.effective_message.text or ""
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        draft = await _draft(session, user_id)
        if draft is None or draft.step in (None, "paused") or not await context.services.is_staff(user_id):
            return False
        try:
            if draft.step == "text":
                body = bc.check_text(text, with_document=bool(draft.document_file_id))
                draft_id, document = draft.id, draft.document_file_id
            elif draft.step == "time":
                draft.scheduled_at = bc.parse_time(text)
                count = len(await bc.recipients(session, draft.segment, draft.campaign_year, _staff(context)))
                draft.step = "confirm_time"
                later(send_html, context, chat_id, esc(texts.BROADCAST_CONFIRM_TIME.format(
                    at=bc.beijing(draft.scheduled_at), segment=bc.segment_label(draft.segment), count=count)),
                    _rows([(texts.BROADCAST_CONFIRM_SCHEDULE, f"bs:{draft.id}:sched"),
                           (texts.BROADCAST_DISCARD, f"bs:{draft.id}:drop")]))
                return True
            else:
                later(update.effective_message.reply_text, texts.BROADCAST_TEXT_ONLY)
                return True
        except v.ValidationError as exc:
            later(update.effective_message.reply_text, exc.message)
            return True
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
        draft.text, draft.step = body, "segment"
        later(send_html, context, chat_id, esc(texts.BROADCAST_PREVIEW_HEAD))
        _ask(later, context, chat_id, draft)
    return True


async def attach_document(update: Update, context: TepaiContext) -> bool:
    """A file from staff while composing is the announcement's attachment (not a policy upload)."""
    chat_id = update.effective_chat.id
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        draft = await _draft(session, update.effective_user.id)
        if draft is None or draft.step not in ("text", "segment", "district", "field", "review"):
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
    query = update.callback_query
    parts = (query.data or "").split(":")
    chat_id = update.effective_chat.id
    if len(parts) < 3 or not parts[1].isdigit():
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    draft_id, action, arg = int(parts[1]), parts[2], (parts[3] if len(parts) > 3 else "")
    services = context.services
    expected = {"seg": ("segment",), "d": ("district",), "f": ("field",), "now": ("review",),
                "later": ("review",), "sched": ("confirm_time",), "drop": ("review", "confirm_time")}

    def usable(draft: Broadcast | None) -> bool:
        return (draft is not None and draft.status == "draft" and draft.created_by == query.from_user.id
                and draft.step in expected.get(action, ()))

    async with AfterCommit() as later, services.db.session() as session, session.begin():
        draft = await session.get(Broadcast, draft_id, with_for_update=True)
        if not usable(draft):
            later(query.answer, texts.BROADCAST_STALE, show_alert=True)
            return
        later(spend_buttons, query)
        if action == "seg" and arg in ("district", "field"):
            draft.step = arg
            _ask(later, context, chat_id, draft)
            return
        if action in ("seg", "d", "f"):
            try:
                if action == "seg":
                    segment = bc.parse_segment(arg)
                else:
                    names = texts.DISTRICTS if action == "d" else texts.FIELDS
                    if not arg.isdigit() or int(arg) >= len(names):
                        raise v.ValidationError(texts.BROADCAST_BAD_SEGMENT.format(segment=arg))
                    segment = f"{'district' if action == 'd' else 'field'}:{names[int(arg)]}"
                count = len(await bc.recipients(session, segment, draft.campaign_year, _staff(context)))
            except v.ValidationError as exc:
                draft.step = "segment"
                later(send_html, context, chat_id, esc(exc.message))
                _ask(later, context, chat_id, draft)
                return
            if not count:
                draft.step = "segment"
                later(send_html, context, chat_id, esc(texts.BROADCAST_NO_RECIPIENTS))
                _ask(later, context, chat_id, draft)
                return
            draft.segment, draft.step = segment, "review"
            _ask(later, context, chat_id, draft, count)
            return
        if action == "later":
            draft.step = "time"
            _ask(later, context, chat_id, draft)
            return
        if action == "drop":
            draft.status, draft.step = "cancelled", None
            later(send_html, context, chat_id, esc(texts.BROADCAST_DISCARDED))
            return
    # now / sched: the status message first, so progress always has somewhere to go — sent
    # between transactions, and the draft checked again once it exists.
    status = await context.bot.send_message(chat_id, texts.BROADCAST_STATES["queued"])
    async with services.db.session() as session, session.begin():
        draft = await session.get(Broadcast, draft_id, with_for_update=True)
        if not usable(draft):
            text, markup = esc(texts.BROADCAST_STALE), None
        else:
            draft.status_chat_id, draft.status_message_id = chat_id, status.message_id
            if action == "sched":
                draft.status, draft.step = "scheduled", None
                text = texts.BROADCAST_SCHEDULED.format(id=draft.id, at=bc.beijing(draft.scheduled_at))
            else:
                await bc.enqueue(session, draft, _staff(context))  # every recipient's row, in this transaction
                progress = await bc.progress(session, draft)
                text = progress_text(draft, progress)
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
        draft = await _draft(session, update.effective_user.id)
        if draft is None or draft.step in (None, "paused"):
            return False
        draft.step = "paused"
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
