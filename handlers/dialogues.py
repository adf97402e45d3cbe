"""The dialogues in Telegram: read the update, call services/dialogues.py, render HTML and inline
buttons, send once the transaction has committed. Which dialogue a message belongs to is one
query (`services.dialogues.active`); a text in none is a policy question."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.render import html, keyboard
from bot.services import TepaiContext
from core import texts
from services import dialogues
from core.dialogue import Outcome
from handlers.common import current_user, owe_notices, send_html, spend_buttons


async def _show(update: Update, context: TepaiContext, outcome: Outcome) -> None:
    await send_html(context, update.effective_chat.id, html(outcome.text), keyboard(outcome.choices))


async def _current(session, update: Update, context: TepaiContext):  # type: ignore[no-untyped-def]
    """(person, the dialogue their messages go to): the composer only for staff."""
    user = await current_user(session, update)
    names = await dialogues.active(session, user, composer=True)
    if names and names[0] == dialogues.BROADCAST and not await context.services.is_staff(update.effective_user.id):
        names = names[1:]
    return user, (names[0] if names else None)


async def on_text(update: Update, context: TepaiContext) -> bool:
    """True (and handled) if this text answers the person's active dialogue."""
    async with context.services.db.session() as session, session.begin():
        user, name = await _current(session, update, context)
        if name is None or name == dialogues.BROADCAST:
            outcome = None
        else:
            outcome = await dialogues.on_text(session, user, name, update.effective_message.text or "")
            await owe_notices(session, context, outcome.notices)
    if name == dialogues.BROADCAST:
        from handlers.broadcast import in_broadcast

        return await in_broadcast(update, context)
    if outcome is None:
        return False
    await _show(update, context, outcome)
    return True


async def cancel(update: Update, context: TepaiContext) -> bool:
    """/cancel inside a dialogue pauses it, every answer kept; False if there is none."""
    async with context.services.db.session() as session, session.begin():
        user, name = await _current(session, update, context)
        said = await dialogues.pause(session, user, name) if name not in (None, dialogues.BROADCAST) else None
    if name == dialogues.BROADCAST:
        from handlers.broadcast import pause_broadcast

        return await pause_broadcast(update, context)
    if said is None:
        return False
    await update.effective_message.reply_text(said)
    return True


async def begin(update: Update, context: TepaiContext, name: str) -> None:
    """/survey, /register, /nominate and their deep links: begin or resume; any other dialogue pauses."""
    async with context.services.db.session() as session, session.begin():
        outcome = await dialogues.start(session, await current_user(session, update), name)
    await _show(update, context, outcome)


async def button(update: Update, context: TepaiContext) -> None:
    """A dialogue's button: the answer commits at once; the message's buttons are spent and the
    next question follows. A stale, forged or someone else's button gets an alert."""
    query = update.callback_query
    async with context.services.db.session() as session, session.begin():
        user = await current_user(session, update)
        outcome = await dialogues.on_action(session, user, query.data or "")
        if outcome is not None:
            await owe_notices(session, context, outcome.notices)
    if outcome is None:
        await query.answer(texts.SURVEY_STALE, show_alert=True)
        return
    await spend_buttons(query)
    await _show(update, context, outcome)
    if outcome.suggest:
        from handlers.matching import suggest_after_submission

        await suggest_after_submission(update, context)


def register(application: Application) -> None:
    prefixes = "|".join(sorted(dialogues.BY_PREFIX))
    application.add_handler(CallbackQueryHandler(button, pattern=rf"^({prefixes}):"))
