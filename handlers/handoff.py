"""Questions for a human: forwarded to staff; a staff reply to the forward reaches the asker."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import texts
from bot.render import esc
from bot.services import TepaiContext
from handlers.common import send_html, staff_only
from store import repositories as repo
from store.clock import SHORT, beijing_time
from store.models import Handoff, User

log = logging.getLogger(__name__)


async def forward_to_staff(context: TepaiContext, handoff_id: int) -> bool:
    """Send the hand-off to every staff chat; remember each message for replies. True if any got it."""
    services = context.services
    async with services.db.session() as session:
        handoff = await session.get(Handoff, handoff_id)
        user = await session.get(User, handoff.user_id)
    text = texts.HANDOFF_TO_STAFF.format(
        id=handoff.id, reason=texts.HANDOFF_REASONS.get(handoff.reason, handoff.reason),
        name=esc(user.display_name or "—"), telegram_id=user.telegram_id,
        question=esc(handoff.question), score=handoff.best_score,
    )
    delivered = False
    for chat_id in await services.staff_chat_ids():
        try:
            sent = await send_html(context, chat_id, text)
        except TelegramError as exc:  # a staff member who never started the bot, or blocked it
            log.warning("hand-off #%s not delivered to staff %s: %s", handoff.id, chat_id, exc)
            continue
        async with services.db.session() as session, session.begin():
            for message in sent:
                await repo.add_forward(session, handoff.id, chat_id, message.message_id)
        delivered = True
    return delivered


async def staff_reply(update: Update, context: TepaiContext) -> None:
    """A staff member replying to a forwarded question: relay the reply to the asker.

    Any other reply is an ordinary question.
    """
    from handlers.qa import on_text

    message = update.effective_message
    target = message.reply_to_message
    if target is None or not await context.services.is_staff(update.effective_user.id):
        await on_text(update, context)
        return
    async with context.services.db.session() as session:
        handoff = await repo.handoff_for_message(session, message.chat_id, target.message_id)
    if handoff is None:
        await on_text(update, context)
        return
    reply = (message.text or "").strip()
    body = texts.STAFF_REPLY_TO_USER.format(question=esc(handoff.question[:80]), reply=esc(reply))
    try:
        await send_html(context, handoff.user.telegram_id, body)
    except Forbidden:
        await message.reply_text(texts.STAFF_REPLY_UNREACHABLE.format(id=handoff.id))
        return
    async with context.services.db.session() as session, session.begin():
        fresh = await session.get(Handoff, handoff.id)
        await repo.mark_replied(session, fresh, update.effective_user.id, reply)
    await message.reply_text(texts.STAFF_REPLY_SENT.format(id=handoff.id))


@staff_only
async def unanswered(update: Update, context: TepaiContext) -> None:
    """Open hand-offs, newest first."""
    async with context.services.db.session() as session:
        items = await repo.list_handoffs(session, status="open", limit=20)
        total = await repo.count_handoffs(session)
    if not items:
        await update.effective_message.reply_text(texts.UNANSWERED_EMPTY)
        return
    lines = [texts.UNANSWERED_HEADER.format(count=total)]
    for item in items:
        lines.append(texts.UNANSWERED_ITEM.format(
            id=item.id, time=beijing_time(item.created_at, SHORT),
            name=esc(item.user.display_name or item.user.telegram_id), question=esc(item.question[:100]),
        ))
    await send_html(context, update.effective_chat.id, "\n".join(lines))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("unanswered", unanswered))
    application.add_handler(
        MessageHandler(filters.TEXT & filters.REPLY & ~filters.COMMAND & filters.ChatType.PRIVATE, staff_reply)
    )
