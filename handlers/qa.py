"""Policy questions: any text outside a dialogue is answered from the knowledge base."""

from __future__ import annotations

import asyncio
import logging
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from core import texts
from bot.render import answer_html, esc
from bot.services import TepaiContext
from handlers import dialogues
from handlers.replies import AfterCommit
from handlers.common import current_user, owe_forward, person_id, send_html, stale_button
from knowledge.answers import MAX_QUESTION_CHARS, InvalidQuestion
from store import repositories as repo

log = logging.getLogger(__name__)
FEEDBACK = {"u": "up", "d": "down"}


def answer_buttons(qa_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.BUTTON_HELPFUL, callback_data=f"fb:u:{qa_id}"),
        InlineKeyboardButton(texts.BUTTON_UNHELPFUL, callback_data=f"fb:d:{qa_id}"),
        InlineKeyboardButton(texts.BUTTON_HANDOFF, callback_data=f"ho:{qa_id}"),
    ]])


async def on_text(update: Update, context: TepaiContext) -> None:
    """Text inside the person's active dialogue answers it; anything else is a policy question."""
    if await dialogues.on_text(update, context):
        return
    await answer_question(update, context)


async def answer_question(update: Update, context: TepaiContext) -> None:
    """Answer with quoted clauses (or decline), store it, and hand unanswered ones to staff."""
    message = update.effective_message
    services = context.services
    if services.settings.answer_mode == "generative":
        # Only a model call takes long enough to show "typing…"; an extractive answer is
        # ready in milliseconds, and the extra call would halve the answers Telegram's
        # 30 requests/s allow under load.
        try:
            await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
        except Exception:  # a typing indicator is never worth failing the answer
            pass
    try:
        answer = await asyncio.to_thread(services.answerer.answer, message.text or "")
    except InvalidQuestion as exc:
        await message.reply_text(texts.invalid_question(exc.code, MAX_QUESTION_CHARS))
        return
    citations = [{"doc": c.doc, "section": c.section, "text": c.text, "score": c.score} for c in answer.citations]
    async with services.db.session() as session, session.begin():
        user = await current_user(session, update)
        record = await repo.record_answer(session, user, answer.question, answer.answered, answer.confidence,
                                          answer.best_score, citations, answer.draft)
        handoff = None
        if not answer.answered:
            handoff, created = await repo.open_handoff(session, user, answer.question, "unanswered",
                                                       answer.best_score, record.id)
            # Owed in the hand-off's own transaction: a crash cannot open it without telling staff.
            delivered = await owe_forward(session, services, handoff) if created else True
    body = answer_html(answer)
    if handoff is not None:
        body += "\n\n" + esc(texts.UNANSWERED_LOGGED if delivered else texts.HANDOFF_NO_STAFF)
        await send_html(context, message.chat_id, body, reply_to=message.message_id)
        return
    await send_html(context, message.chat_id, body, answer_buttons(record.id), reply_to=message.message_id)


async def feedback(update: Update, context: TepaiContext) -> None:
    """👍 / 👎 on an answer: stored once per answer, only by the asker."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    kind, raw_id = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    if kind not in FEEDBACK or not (raw_id.isascii() and raw_id.isdigit()):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    me = await person_id(update, context)
    async with context.services.db.session() as session, session.begin():
        stored = await repo.set_feedback(session, int(raw_id), me, FEEDBACK[kind])
    if stored is None:
        await query.answer(texts.NOT_YOUR_BUTTON, show_alert=True)
        return
    if stored[1] == FEEDBACK[kind]:
        await query.answer(texts.FEEDBACK_ALREADY)
    else:
        await query.answer(texts.FEEDBACK_THANKS if kind == "u" else texts.FEEDBACK_SORRY,
                           show_alert=kind == "d")


async def request_handoff(update: Update, context: TepaiContext) -> None:
    """转人工 on an answer: log it and forward to staff (once)."""
    query = update.callback_query
    raw_id = (query.data or "").partition(":")[2]
    if not (raw_id.isascii() and raw_id.isdigit()):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    me = await person_id(update, context)
    async with AfterCommit() as later, context.services.db.session() as session, session.begin():
        record = await repo.get_qa(session, int(raw_id), me)
        if record is None:
            later(query.answer, texts.NOT_YOUR_BUTTON, show_alert=True)
            return
        user = await repo.get_user(session, query.from_user.id)
        handoff, created = await repo.open_handoff(session, user, record.question, "requested",
                                                   record.best_score, record.id)
        delivered = await owe_forward(session, context.services, handoff) if created else False
    if not created:
        await query.answer(texts.HANDOFF_ALREADY, show_alert=True)
        return
    await query.answer(texts.HANDOFF_ACCEPTED if delivered else texts.HANDOFF_NO_STAFF, show_alert=True)


async def unknown_command(update: Update, context: TepaiContext) -> None:
    """A command no feature handles (or one this user may not see)."""
    await update.effective_message.reply_text(texts.UNKNOWN_COMMAND)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, on_text))
    application.add_handler(CallbackQueryHandler(feedback, pattern=r"^fb:"))
    application.add_handler(CallbackQueryHandler(request_handoff, pattern=r"^ho:"))
    # Registered last in the default group: only buttons no feature claimed reach it.
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
