"""A faithful local stand-in for the Telegram Bot API, for tests, benchmarks and the terminal chat.

Runs a real aiohttp server on 127.0.0.1 that python-telegram-bot talks to over
HTTP exactly as it talks to api.telegram.org::

    async with BotApiEmulator() as emu:
        app = (ApplicationBuilder().token(emu.token)
               .base_url(emu.base_url).base_file_url(emu.base_file_url).build())
        ...
        emu.user_sends_text(42, "/start")
        reply = await emu.wait_for_message(42)

Modules: ``server`` (HTTP, lifecycle, webhook delivery, faults), ``observe``
(messages/buttons/commands, wait_for_message), ``users`` (simulated users),
``methods``/``bot_methods`` (the Bot API methods), ``core`` (state and
cross-thread waiting), ``formatting`` (HTML/MarkdownV2 parsing like Telegram),
``models`` (SentMessage & co.), ``params`` (request parameter decoding).
"""

from .formatting import EntityParseError, parse_formatted
from .models import AnsweredCallback, ApiError, Fault, RequestRecord, SentFile, SentMessage
from .server import BotApiEmulator

__all__ = [
    "AnsweredCallback",
    "ApiError",
    "BotApiEmulator",
    "EntityParseError",
    "Fault",
    "RequestRecord",
    "SentFile",
    "SentMessage",
    "parse_formatted",
]
