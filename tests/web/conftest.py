"""The web chat beside the real Telegram bot: one set of services (database, policy index), the
bot polling the local Bot API emulator (staff are there), the web app reached over ASGI by
visitors who keep their cookies like a browser."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.emulator import BotApiEmulator
from bot.web import build_web_app, load_web_config
from tests.handlers.conftest import STAFF, Bot, bot_settings, make_services, start_bot, stop_bot

SECRET = "test-web-secret-0123456789abcdefghijklmnop"


class Visitor:
    """One browser: its cookie jar, the CSRF token its page got, and its address."""

    def __init__(self, app: Any, address: str = "203.0.113.7", headers: dict[str, str] | None = None,
                 raise_errors: bool = True) -> None:
        transport = httpx.ASGITransport(app=app, client=(address, 50000), raise_app_exceptions=raise_errors)
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers or {})
        self.csrf = ""

    async def open(self) -> dict[str, Any]:
        """The page loads: it asks for its session (and gets a cookie the first time)."""
        response = await self.client.get("/api/session")
        assert response.status_code == 200, response.text
        state = response.json()
        self.csrf = state["csrf"]
        return state

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        return await self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf, **headers})

    async def say(self, text: str) -> dict[str, Any]:
        response = await self.post("/api/send", {"text": text})
        assert response.status_code == 200, response.text
        return response.json()

    async def press(self, result: dict[str, Any], label: str) -> dict[str, Any]:
        """Press the survey button whose label ends with `label` on a shown prompt."""
        data = next(b["data"] for row in result["buttons"] for b in row if b["label"] == label or b["label"].endswith(label))
        response = await self.post("/api/survey", {"data": data})
        assert response.status_code == 200, response.text
        return response.json()

    async def poll(self, after: int = 0) -> dict[str, Any]:
        response = await self.client.get("/api/messages", params={"after": after})
        assert response.status_code == 200, response.text
        return response.json()

    async def close(self) -> None:
        await self.client.aclose()


@dataclass
class Site:
    bot: Bot
    app: Any
    visitors: list[Visitor]

    def visitor(self, **kwargs: Any) -> Visitor:
        visitor = Visitor(self.app, **kwargs)
        self.visitors.append(visitor)
        return visitor

    def twin(self, visitor: Visitor) -> Visitor:
        """A new tab of the same browser: the same cookie, a fresh page."""
        tab = self.visitor()
        tab.client.cookies = visitor.client.cookies
        return tab


def web_environ(**extra: str) -> dict[str, str]:
    return {"TEPAI_WEB_SECRET": SECRET, **extra}


@pytest.fixture
async def emulator():  # type: ignore[no-untyped-def]
    async with BotApiEmulator() as emu:
        yield emu


async def open_site(emulator: BotApiEmulator, policy_kb, database_url: str, data_dir: Path,  # type: ignore[no-untyped-def]
                    **web_env: str) -> Site:
    services = make_services(bot_settings(emulator, data_dir, database_url), policy_kb)
    bot = Bot(emulator, services, await start_bot(emulator, services))
    app = build_web_app(services, load_web_config(data_dir, web_environ(**web_env)))
    return Site(bot, app, [])


async def close_site(site: Site) -> None:
    for visitor in site.visitors:
        await visitor.close()
    await stop_bot(site.bot.app)
    await site.bot.services.db.close()


@pytest.fixture
async def site(emulator: BotApiEmulator, policy_kb, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    running = await open_site(emulator, policy_kb, database_url, tmp_path / "data")
    await running.bot.say(STAFF, "/start", first_name="科技局小李")
    yield running
    await close_site(running)
