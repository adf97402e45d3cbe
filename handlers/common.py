"""Cross-cutting pieces: user tracking, the flood guard, staff checks, safe replies."""

from __future__ import annotations

import functools
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ChatMemberHandler, TypeHandler

from core import texts
from bot.render import owe_rendered, split_message
from bot.services import TepaiContext
from store import repositories as repo

if TYPE_CHECKING:
    from store.models import Handoff

log = logging.getLogger(__name__)

Handler = Callable[[Update, TepaiContext], Awaitable[object]]


EDITS_TOLD_KEY = "tepai.edits_told"
_EDITS_REMEMBERED = 10_000  # (chat, message) pairs told about edits; the oldest are forgotten
# Callback data the bot itself writes: a short ASCII prefix, then ASCII segments. Anything else
# (superscript digits, emoji, a 23-digit "id" no column can hold) is forged or corrupted.
_CALLBACK_SHAPE = re.compile(r"[a-z]{2,4}(:[A-Za-z0-9_.=-]{1,60}){0,6}")
# A segment of digits is a row id or a count, and ids are PostgreSQL `integer`s: a larger
# number makes the query itself fail. `doc:` buttons carry a hash prefix and `as:` (approve a
# proposal) a digest of it instead of an id — hex that may happen to be all digits.
_MAX_ID = 2**31 - 1
_DIGEST_PREFIXES = frozenset({"doc", "as"})


def well_formed_callback(data: str | None) -> bool:
    """Whether `data` has the shape of a button this bot could have made."""
    if not data or not _CALLBACK_SHAPE.fullmatch(data):
        return False
    prefix, *parts = data.split(":")
    if prefix in _DIGEST_PREFIXES:
        return True
    return all(not (part.isdigit() and int(part) > _MAX_ID) for part in parts)


async def track_user(update: Update, context: TepaiContext) -> None:
    """Record who is talking; stop floods, edits and forged buttons before any feature sees them."""
    user = update.effective_user
    if user is None or user.is_bot:
        return
    query = update.callback_query
    if update.message is not None or update.edited_message is not None or query is not None:
        # Button presses count too: 300 presses a minute slow everyone else down as much as
        # 300 messages. A survey needs a few presses a minute, never the limit.
        verdict = context.services.flood.check(user.id)
        if verdict != "ok":
            if query is not None:  # answered anyway, or the client shows a spinner for a minute
                await _answer_quietly(query, texts.SLOW_DOWN if verdict == "warn" else None)
            elif verdict == "warn" and update.effective_chat is not None:
                await context.bot.send_message(update.effective_chat.id, texts.SLOW_DOWN)
            raise ApplicationHandlerStop
    if update.edited_message is not None:
        await _edit_ignored(update, context)
        raise ApplicationHandlerStop
    if query is not None and not well_formed_callback(query.data):
        log.info("malformed button from %s: %r", user.id, (query.data or "")[:80])
        await _answer_quietly(query, texts.BUTTON_INVALID, alert=True)
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return  # membership_changed decides reachability
    async with context.services.db.session() as session, session.begin():
        person = await repo.touch_user(session, user.id, user.full_name or "", user.username, user.language_code)
    context.person_id = person.id  # the channel's id becomes the person once; handlers pass the person on


async def person_id(update: Update, context: TepaiContext) -> int:
    """The sender's person (as `track_user` resolved it; resolved here if it did not run)."""
    if context.person_id is None:
        async with context.services.db.session() as session, session.begin():
            context.person_id = (await current_user(session, update)).id
    return context.person_id


async def _answer_quietly(query, text: str | None, alert: bool = False) -> None:  # type: ignore[no-untyped-def]
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as exc:  # too old to answer: nothing spins any more
        log.info("could not answer a button press: %s", exc)


async def _edit_ignored(update: Update, context: TepaiContext) -> None:
    """An edit is never answered again (100 edits were 100 answers and 100 hand-offs to staff).

    The first edit of a message gets one note saying so; later edits of it get nothing.
    """
    message = update.edited_message
    told: OrderedDict[tuple[int, int], None] = context.bot_data.setdefault(EDITS_TOLD_KEY, OrderedDict())
    key = (message.chat_id, message.message_id)
    if key in told:
        return
    told[key] = None
    while len(told) > _EDITS_REMEMBERED:
        told.popitem(last=False)
    if message.chat.type == "private":
        await context.bot.send_message(message.chat_id, texts.EDIT_IGNORED, reply_to_message_id=message.message_id)


async def current_user(session, update: Update):  # type: ignore[no-untyped-def]
    """The sender's User row (created on the spot if tracking has not stored it yet)."""
    tg = update.effective_user
    return await repo.get_user(session, tg.id) or await repo.touch_user(session, tg.id, tg.full_name or "")


async def spend_buttons(query, notice: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Answer a button press and remove that message's buttons: they are used up."""
    await query.answer(notice)
    try:
        await query.edit_message_reply_markup(None)
    except TelegramError:  # already gone, or "message is not modified"
        pass


async def role_of(update: Update, context: TepaiContext) -> str:
    """The rule is services.roles'; this reads it for the Telegram sender's person (configured staff
    need no database round trip)."""
    from services import roles

    if update.effective_user.id in context.services.settings.staff_ids:
        return roles.STAFF
    me = await person_id(update, context)
    async with context.services.db.session() as session:
        return await roles.role_of(session, me, context.services.settings.staff_ids)


def staff_only(handler: Handler) -> Handler:
    """Refuse the command to anyone who is not bureau staff."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: TepaiContext) -> object:
        user = update.effective_user
        if user is None or not await context.services.is_staff(user.id):
            if update.callback_query is not None:
                await update.callback_query.answer(texts.STAFF_ONLY, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(texts.STAFF_ONLY)
            return None
        return await handler(update, context)

    return guarded


async def send_html(
    context: TepaiContext, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> list[Message]:
    """Send `text` (HTML) split to Telegram's limit; buttons go on the last piece.

    A chat whose user blocked the bot is marked unreachable instead of raising.
    """
    pieces = split_message(text)
    sent: list[Message] = []
    try:
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            sent.append(
                await context.bot.send_message(
                    chat_id, piece, parse_mode=ParseMode.HTML,
                    reply_markup=reply_markup if last else None,
                    reply_to_message_id=reply_to if number == 0 else None,
                )
            )
    except Forbidden:
        async with context.services.db.session() as session, session.begin():
            await repo.mark_unreachable(session, chat_id)
        raise
    return sent


async def membership_changed(update: Update, context: TepaiContext) -> None:
    """A user blocked the bot (kicked) or came back: keep `reachable` current."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    async with context.services.db.session() as session, session.begin():
        if change.new_chat_member.status in ("kicked", "left"):
            await repo.mark_unreachable(session, change.from_user.id)
        else:
            await repo.touch_user(session, change.from_user.id, change.from_user.full_name or "")


async def stale_button(update: Update, context: TepaiContext) -> None:
    """A forged, empty or outdated button."""
    await update.callback_query.answer(texts.STALE_BUTTON, show_alert=True)


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, track_user), group=-1)
    # PTB hands a button with empty data to every pattern handler; catch it first.
    application.add_handler(CallbackQueryHandler(stale_button, pattern=lambda data: not data))
    application.add_handler(ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER))


async def credit_code_argument(update: Update, context: TepaiContext, usage: str) -> str | None:
    """A staff command's one argument, a credit code — or None, after telling the user why."""
    from store.validators import ValidationError, unified_credit_code

    args = context.args or []
    if len(args) != 1:
        await update.effective_message.reply_text(usage)
        return None
    try:
        return unified_credit_code(args[0])
    except ValidationError as exc:
        await update.effective_message.reply_text(exc.message)
        return None


async def owe_notices(session, context: TepaiContext, notices) -> None:  # type: ignore[no-untyped-def]
    """The core's notices for other people, owed in the deciding transaction (see `owe_rendered`)."""
    await owe_rendered(session, context.services.settings.staff_ids, notices)


async def owe_forward(session, services, handoff: Handoff) -> bool:  # type: ignore[no-untyped-def]
    """In the hand-off's transaction: owe every staff member the question (store/handoffs.py, shared
    with the web chat). When each is delivered, the sender records the staff message it became, so
    a reply to it routes back. False if no staff."""
    from store.handoffs import forward

    return bool(await owe_rendered(session, services.settings.staff_ids, [await forward(session, handoff)]))
