"""Who speaks for an enterprise, in Telegram: members and staff decide join claims (jc:),
staff see an enterprise's members, claims and history (/members, /claims) and remove a member (mb:).

The rules are in store/membership.py. Messages owed to other people arrive as `Notice`s and are
owed (outbox rows) in the deciding transaction by `owe_notices`.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import texts
from bot.render import html, keyboard
from core.markup import fmt, join
from bot.services import TepaiContext
from handlers.replies import AfterCommit
from handlers.common import credit_code_argument, current_user, owe_notices, send_html, spend_buttons, staff_only
from store import identities as ident
from store import membership
from store.membership import Buttons
from store.models import Enterprise

log = logging.getLogger(__name__)


def markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    return keyboard(buttons)




async def decide_claim(update: Update, context: TepaiContext) -> None:
    """同意 / 拒绝 a join claim: a verified member of that enterprise, or staff."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("ok", "no") or not parts[2].isdigit() or len(parts[2]) > 12:
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    is_staff = await context.services.is_staff(query.from_user.id)
    async with context.services.db.session() as session, session.begin():
        actor = await current_user(session, update)
        decision = await membership.decide_claim(session, int(parts[2]), actor, is_staff, parts[1] == "ok")
        await owe_notices(session, context, decision.notices)
        # The new member's suggestions go straight to their Telegram chat.
        chat_id = await ident.telegram_id_of(session, decision.suggest_to[0]) if decision.suggest_to else None
    if decision.outcome in ("stale", "not_yours", "already"):
        await query.answer(decision.reply, show_alert=True)
        return
    await spend_buttons(query, decision.reply)
    if decision.suggest_to is not None and chat_id is not None:  # verified now: a member's suggestions
        from handlers.matching import suggest

        answers = decision.suggest_to[1]
        try:
            await suggest(context, chat_id, answers)
        except TelegramError as exc:
            log.info("suggestions not delivered to %s: %s", chat_id, exc)


@staff_only
async def members_command(update: Update, context: TepaiContext) -> None:
    """/members <credit code>: verified members (each removable), pending claims, recent changes."""
    code = await credit_code_argument(update, context, texts.MEMBERS_USAGE)
    if code is None:
        return
    async with AfterCommit() as later, context.services.db.session() as session:
        enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
        if enterprise is None:
            later(update.effective_message.reply_text, texts.MEMBERS_UNKNOWN.format(code=code))
            return
        verified = await membership.members(session, enterprise.id)
        pending = await membership.claims(session, enterprise.id)
        changes = await membership.history(session, enterprise.id)
    lines = [fmt(texts.MEMBERS_HEADER, enterprise=enterprise.name, code=code)]
    lines += [fmt(texts.MEMBERS_LINE, who=membership.who(u), via=texts.MEMBERS_VIA.get(m.via, m.via),
                                        at=membership.beijing(m.linked_at)) for m, u in verified] or [texts.MEMBERS_NONE]
    if pending:
        lines.append(fmt(texts.MEMBERS_CLAIMS, count=len(pending)))
    if changes:
        lines.append(fmt(texts.MEMBERS_HISTORY, lines=join("\n", [
            fmt(texts.MEMBERS_HISTORY_LINE, at=membership.beijing(c.created_at),
                who=membership.who(u) if u else texts.MEMBERS_SYSTEM,
                action=texts.MEMBERS_ACTIONS.get(c.action, c.action))
            for c, u in changes])))
    buttons = [[(texts.MEMBER_REMOVE_BUTTON.format(name=(u.display_name or texts.MEMBER_NO_NAME)[:20]),
                 f"mb:rm:{enterprise.id}:{u.id}")] for _, u in verified]
    await send_html(context, update.effective_chat.id, html(join("\n", lines)), markup(buttons))
    for claim, claimant, _ in pending:
        await send_html(context, update.effective_chat.id, html(membership.claim_text(claim, claimant, enterprise)),
                        markup(membership.claim_buttons(claim.id)))


@staff_only
async def claims_command(update: Update, context: TepaiContext) -> None:
    """/claims: every join claim still waiting, each with its buttons."""
    async with context.services.db.session() as session:
        pending = await membership.claims(session)
    if not pending:
        await update.effective_message.reply_text(texts.CLAIMS_NONE)
        return
    await update.effective_message.reply_text(texts.CLAIMS_HEADER.format(count=len(pending)))
    for claim, claimant, enterprise in pending[:20]:
        await send_html(context, update.effective_chat.id, html(membership.claim_text(claim, claimant, enterprise)),
                        markup(membership.claim_buttons(claim.id)))


@staff_only
async def remove_member(update: Update, context: TepaiContext) -> None:
    """移除: staff take a person off an enterprise; they and the other members are told."""
    query = update.callback_query
    parts = (query.data or "").split(":")
    if len(parts) != 4 or parts[1] != "rm" or not all(p.isdigit() and len(p) <= 12 for p in parts[2:]):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    async with context.services.db.session() as session, session.begin():
        staff = await current_user(session, update)
        decision = await membership.remove_member(session, int(parts[2]), int(parts[3]), staff)
        await owe_notices(session, context, decision.notices)
    if decision.outcome == "stale":
        await query.answer(decision.reply, show_alert=True)
        return
    await spend_buttons(query, decision.reply)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("members", members_command))
    application.add_handler(CommandHandler("claims", claims_command))
    application.add_handler(CallbackQueryHandler(decide_claim, pattern=r"^jc:"))
    application.add_handler(CallbackQueryHandler(remove_member, pattern=r"^mb:"))
