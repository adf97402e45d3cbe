"""Questions for a human: forwarded to staff; a staff reply to the forward reaches the asker."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from core import texts
from bot.render import html
from bot.services import TepaiContext
from handlers.common import owe_forward, send_html, staff_only
from store import identities as ident
from store import outbox as ob
from store import repositories as repo
from store.clock import SHORT, beijing_time
from store.models import Delivery, Handoff, Identity, User

log = logging.getLogger(__name__)


async def forward_to_staff(context: TepaiContext, handoff_id: int) -> bool:
    """The hand-off owed to every staff chat (its own transaction; prefer `owe_forward` inside
    the one that opened the hand-off). True if there is staff to tell."""
    async with context.services.db.session() as session, session.begin():
        handoff = await session.get(Handoff, handoff_id)
        return await owe_forward(session, context.services, handoff)


async def _handoff_replied_to(context: TepaiContext, chat_id: int, message_id: int):  # type: ignore[no-untyped-def]
    """The hand-off behind the staff message replied to. A forward is recorded when its delivery
    settles, a moment after Telegram has shown it: if one to this chat is still settling, wait for it."""
    for _ in range(30):
        async with context.services.db.session() as session:
            # Settling first, the forward second: each read sees the latest commit, so a forward
            # that settles between them is found by the second (the other order misses it).
            settling = await session.scalar(select(Delivery.id).where(
                Delivery.kind == ob.HANDOFF, Delivery.status == "sending", Identity.channel == ident.TELEGRAM,
                Identity.external_id == str(chat_id)).join(Identity, Identity.id == Delivery.identity_id).limit(1))
            handoff = await repo.handoff_for_message(session, chat_id, message_id)
            if handoff is not None:
                return handoff
        if settling is None:
            return None
        await asyncio.sleep(0.1)
    return None


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
    handoff = await _handoff_replied_to(context, message.chat_id, target.message_id)
    if handoff is None:
        await on_text(update, context)
        return
    reply = (message.text or "").strip()
    body = html(texts.STAFF_REPLY_TO_USER, question=handoff.question[:80], reply=reply)
    async with context.services.db.session() as session, session.begin():
        fresh = await session.get(Handoff, handoff.id)
        staff = await ident.person_for(session, ident.TELEGRAM, update.effective_user.id)
        await repo.mark_replied(session, fresh, staff.id, reply)
        # Owed with the reply itself; if it cannot be delivered, this staff member is told.
        await ob.owe(session, handoff.user_id, body, kind=ob.STAFF_REPLY, ref=f"reply:{handoff.id}",
                     report_to=staff.id)
    await message.reply_text(texts.STAFF_REPLY_QUEUED.format(id=handoff.id))


@staff_only
async def unanswered(update: Update, context: TepaiContext) -> None:
    """Open hand-offs, newest first."""
    async with context.services.db.session() as session:
        items = await repo.list_handoffs(session, status="open", limit=20)
        total = await repo.count_handoffs(session)
    if not items:
        await update.effective_message.reply_text(texts.UNANSWERED_EMPTY)
        return
    lines = [html(texts.UNANSWERED_HEADER, count=total)]
    for item in items:
        lines.append(html(texts.UNANSWERED_ITEM, id=item.id, time=beijing_time(item.created_at, SHORT),
            name=item.user.display_name or ident.shown_id(item.user), question=item.question[:100],
        ))
    await send_html(context, update.effective_chat.id, "\n".join(lines))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("unanswered", unanswered))
    application.add_handler(
        MessageHandler(filters.TEXT & filters.REPLY & ~filters.COMMAND & filters.ChatType.PRIVATE, staff_reply)
    )
