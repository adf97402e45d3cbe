"""`tepai run --webhook URL`: Telegram pushes updates to PTB's webhook server with a secret."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from bot.app import build_application, webhook_options
from tests.handlers.conftest import OWNER, bot_settings, make_services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_updates_pushed_to_the_webhook_are_answered_and_forgeries_refused(
    emulator, policy_kb, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    port = free_port()
    settings = bot_settings(emulator, tmp_path / "data", f"sqlite:///{tmp_path / 'db.sqlite'}",
                            TEPAI_WEBHOOK_LISTEN="127.0.0.1", TEPAI_WEBHOOK_PORT=str(port),
                            TEPAI_WEBHOOK_SECRET="s3cret-token-" + "x" * 20)
    services = make_services(settings, policy_kb)
    app = build_application(settings, services)
    url = f"http://127.0.0.1:{port}/tepai-hook"
    await app.initialize()
    await app.start()
    options = webhook_options(settings, url)
    await app.updater.start_webhook(**options)
    try:
        after = len(emulator.messages(OWNER))
        emulator.user_sends_text(OWNER, "特派员征集选聘公告面向哪些单位发布？")
        answer = await emulator.wait_for_message(OWNER, after=after, timeout=20)
        assert "高等院校" in answer.plain_text
        async with httpx.AsyncClient() as client:
            forged = await client.post(url, json={"update_id": 1}, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
        assert forged.status_code == 403
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await services.db.close()
