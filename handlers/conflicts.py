"""/conflict for staff: a specialist who must never be paired with an enterprise (利益冲突)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from core import texts
from bot.render import html
from core.markup import fmt, join
from bot.services import TepaiContext
from handlers.replies import AfterCommit
from handlers.common import send_html, staff_only
from services import engagements as core_engagements
from handlers.common import owe_rendered
from store import engagements as eng
from store.models import Specialist


def _who(specialist: Specialist) -> str:
    return f"#{specialist.id} {specialist.name}（{specialist.institution}）"


@staff_only
async def conflict_command(update: Update, context: TepaiContext) -> None:
    args = context.args or []
    services = context.services
    if not args:
        async with services.db.session() as session:
            rows = await eng.conflicts(session)
        if not rows:
            await update.effective_message.reply_text(texts.CONFLICT_NONE)
            return
        lines = [fmt(texts.CONFLICT_HEADER, count=len(rows))]
        lines += [fmt(texts.CONFLICT_LINE, enterprise=e.name, code=e.credit_code, specialist=_who(s)) for _, e, s in rows]
        await send_html(context, update.effective_chat.id, html(join("\n", lines)))
        return
    remove = args[0].lower() in ("remove", "rm", "del", "删除", "取消")
    rest = args[1:] if remove else args
    if len(rest) != 2:
        await update.effective_message.reply_text(texts.CONFLICT_USAGE)
        return
    async with AfterCommit() as later, services.db.session() as session, session.begin():
        enterprise, specialist, error = await eng.resolve_pair(session, rest[0], rest[1])
        if error is not None:
            later(update.effective_message.reply_text, error)
            return
        if remove:
            removed = await eng.remove_conflict(session, enterprise.id, specialist.id)
            reply = texts.CONFLICT_REMOVED.format(specialist=_who(specialist), enterprise=enterprise.name) \
                if removed else texts.CONFLICT_NOT_FOUND
            withdrawn: list = []
        else:
            existing, withdrawn = await eng.add_conflict(session, enterprise.id, specialist.id)
            reply = texts.CONFLICT_EXISTS.format(reason=texts.BLOCK_REASONS.get(existing.reason, existing.reason)) \
                if existing else texts.CONFLICT_ADDED.format(specialist=_who(specialist), enterprise=enterprise.name)
            if withdrawn:
                reply += texts.CONFLICT_WITHDRAWN
        await owe_withdrawals(session, services.settings.staff_ids, specialist, enterprise, withdrawn)
    await update.effective_message.reply_text(reply)


async def owe_withdrawals(session, staff, specialist: Specialist, enterprise, withdrawn) -> None:  # type: ignore[no-untyped-def]
    """A withdrawal owes the specialist a note, staff a notice and the next alternate an
    invitation (services.engagements.withdrawals) — all in the withdrawal's transaction (the chat's or the shell's)."""
    await owe_rendered(session, staff, await core_engagements.withdrawals(session, specialist, enterprise, withdrawn))


def register(application: Application) -> None:
    application.add_handler(CommandHandler("conflict", conflict_command))
