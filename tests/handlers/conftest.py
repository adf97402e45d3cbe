"""A running tepai bot: the real PTB Application over real HTTP against the local Bot API emulator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, SentMessage
from bot.services import FloodGuard, Services
from bot.settings import load_settings
from knowledge.answers import Answerer
from store.db import Database

STAFF = 900
OWNER = 1001
OTHER = 1002


@dataclass
class Bot:
    emu: BotApiEmulator
    services: Services
    app: object

    async def say(self, user_id: int, text: str, predicate=None, timeout: float = 15.0, **kwargs) -> SentMessage:  # type: ignore[no-untyped-def]
        """The user sends `text`; returns the bot's next message to them."""
        after = len(self.emu.messages(user_id))
        self.emu.user_sends_text(user_id, text, **kwargs)
        return await self.emu.wait_for_message(user_id, predicate, timeout=timeout, after=after)

    async def press(self, user_id: int, message: SentMessage, label: str) -> str:
        """Press the button whose text contains `label`; returns the callback answer text."""
        data = next(d for text, d in message.buttons if label in text)
        update = self.emu.user_presses_button(user_id, message.message_id, data)
        answer = await self.emu.wait_for_callback_answer(update["callback_query"]["id"])
        return answer.text or ""


async def start_bot(emu: BotApiEmulator, services: Services):  # type: ignore[no-untyped-def]
    from bot.app import build_application, start_polling

    app = build_application(services.settings, services)
    await start_polling(app, timeout=1)
    return app


async def stop_bot(app) -> None:  # type: ignore[no-untyped-def]
    from bot.app import stop_polling

    await stop_polling(app)


def bot_settings(emu: BotApiEmulator, data_dir: Path, database_url: str, **extra: str):  # type: ignore[no-untyped-def]
    return load_settings({
        **emu.tepai_environ(), "TEPAI_DATA_DIR": str(data_dir), "DATABASE_URL": database_url,
        "TEPAI_STAFF_IDS": str(STAFF), "TEPAI_FLOOD_LIMIT": "200", **extra,
    })


def make_services(settings, kb) -> Services:  # type: ignore[no-untyped-def]
    from knowledge.matching import MatchIndex
    from knowledge.vectors import open_client

    services = Services(settings, Database.open(settings.db_url), kb, Answerer(kb.retriever),
                        FloodGuard(settings.flood_limit))
    # The policy index is shared between tests; each test's specialist pool is its own.
    services._matcher = MatchIndex.open(kb.embeddings, open_client(settings.data_dir / "pool-chroma", None),
                                        settings.embedding)
    return services


@pytest.fixture
async def emulator():  # type: ignore[no-untyped-def]
    async with BotApiEmulator() as emu:
        yield emu


@pytest.fixture
async def bot(emulator: BotApiEmulator, policy_kb, migrated_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The bot over the bundled policy (shared, read-only knowledge base)."""
    services = make_services(bot_settings(emulator, tmp_path / "data", migrated_url), policy_kb)
    running = Bot(emulator, services, await start_bot(emulator, services))
    yield running
    await stop_bot(running.app)  # a test may have restarted it
    await running.services.db.close()
