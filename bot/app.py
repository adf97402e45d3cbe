"""Wire settings, store, knowledge base and handlers into one PTB `Application`."""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from core import texts
from bot.ratelimit import PacedRateLimiter
from bot.services import BROADCASTER_KEY, SERVICES_KEY, FloodGuard, PerUserUpdateProcessor, Services, TepaiContext
from bot.settings import Settings
from handlers import register_all

log = logging.getLogger(__name__)


def open_services(settings: Settings) -> Services:
    """Database (migrated), knowledge base (indexed on first run) and answerer."""
    from knowledge.answers import Answerer
    from knowledge.index import BUNDLED_CORPUS
    from knowledge.service import open_knowledge
    from store.db import Database

    db = Database.open(settings.db_url)
    kb = open_knowledge(settings.knowledge)
    kb.index.ensure_ready([BUNDLED_CORPUS])  # first run, or an index built with another model
    kb.embeddings.embed_array(["预热"])  # load the model before the first user waits for it
    generator = None
    if settings.answer_mode == "generative":
        from knowledge.generative import Generator

        generator = Generator.from_config(settings.llm)
    answerer = Answerer(kb.retriever, settings.min_confidence, generator=generator)
    return Services(settings, db, kb, answerer, FloodGuard(settings.flood_limit))




async def _post_init(application: Application) -> None:
    services: Services = application.bot_data.get(SERVICES_KEY) or await asyncio.to_thread(
        open_services, application.bot_data["settings"]
    )
    application.bot_data[SERVICES_KEY] = services
    await reconcile_match_index(services)
    await publish_commands(application, services)
    from bot.broadcaster import Broadcaster

    broadcaster = Broadcaster(application.bot, services.db, staff=frozenset(services.settings.staff_ids))
    await broadcaster.start()  # resumes what a restart interrupted; picks up scheduled broadcasts
    application.bot_data[BROADCASTER_KEY] = broadcaster


async def reconcile_match_index(services: Services) -> None:
    """The specialist index holds exactly the active pool (a new encoder or profile format starts
    an empty collection; a failed import's embedding left gaps). Read first, embed after."""
    from store.specialists import active_specialists, reconcile_index

    async with services.db.session() as session:
        active = await active_specialists(session)
    try:
        added, removed = await asyncio.to_thread(reconcile_index, services.matcher, active)
    except Exception:  # matching degrades until the next import or approval; the bot still answers
        log.exception("specialist index not reconciled at start")
        return
    if added or removed:
        log.info("specialist index reconciled: %d added, %d removed", added, removed)


async def publish_commands(application: Application, services: Services) -> None:
    """Command menus per role: the default menu, and the staff menu in each staff chat."""
    def menu(role: str) -> list[BotCommand]:
        return [BotCommand(name, desc) for name, desc in texts.COMMANDS[role]]

    try:
        await application.bot.set_my_commands(menu("enterprise"), scope=BotCommandScopeDefault())
        for chat_id in await services.staff_chat_ids():
            await application.bot.set_my_commands(menu("staff"), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # a staff member who never opened the bot, for one
        log.warning("could not publish command menus: %s", exc)


async def _post_shutdown(application: Application) -> None:
    broadcaster = application.bot_data.pop(BROADCASTER_KEY, None)
    if broadcaster is not None:
        await broadcaster.stop()
    services: Services | None = application.bot_data.get(SERVICES_KEY)
    if services is not None and application.bot_data.get("owns_services", True):
        await services.db.close()


def build_application(settings: Settings, services: Services | None = None) -> Application:
    """The bot. `services` may be passed in (tests share one knowledge base); else opened in post_init."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the Telegram application")
    from bot.logs import mask_every_handler

    mask_every_handler()  # whoever set logging up, the bot's records never carry a full phone number
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.file_base_url)
        .context_types(ContextTypes(context=TepaiContext))
        .rate_limiter(PacedRateLimiter(per_second=30, max_retries=3))  # bot/ratelimit.py
        .concurrent_updates(PerUserUpdateProcessor(16))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data["settings"] = settings
    if services is not None:
        application.bot_data[SERVICES_KEY] = services
        application.bot_data["owns_services"] = False
    register_all(application)
    return application


def webhook_options(settings: Settings, url: str) -> dict:
    """PTB webhook-server arguments for a public `url` (the path is taken from it)."""
    from urllib.parse import urlparse

    return {
        "listen": settings.webhook_listen, "port": settings.webhook_port,
        "url_path": urlparse(url).path.lstrip("/"), "webhook_url": url,
        "secret_token": settings.webhook_secret, "allowed_updates": Update.ALL_TYPES,
    }


async def start_polling(application: Application, poll_interval: float = 0.0, timeout: int = 10) -> None:
    """Start outside `run_polling` (terminal chat, tests, benchmarks), hooks included."""
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=poll_interval, timeout=timeout,
                                            allowed_updates=Update.ALL_TYPES)


def is_handling(application: Application) -> bool:
    """Whether the application has an update fetched and not yet fully handled (a handler that
    replies in several messages is handling its update between them): `BotApiEmulator.handling`."""
    return application.update_processor.current_concurrent_updates > 0 or not application.update_queue.empty()


async def stop_polling(application: Application) -> None:
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


__all__ = ["build_application", "is_handling", "open_services", "start_polling", "stop_polling"]
