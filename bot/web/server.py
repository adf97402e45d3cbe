"""`tepai web`: the web chat served by uvicorn, over the same database and knowledge base as the bot."""

from __future__ import annotations

import logging

from core import texts
from bot.settings import Settings

log = logging.getLogger(__name__)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080) -> int:
    import uvicorn

    from bot.app import open_services
    from bot.web.app import build_web_app
    from bot.web.config import load_web_config

    config = load_web_config(settings.data_dir)  # a bad setting fails before the model loads
    services = open_services(settings)
    app = build_web_app(services, config)
    print(texts.WEB_STARTING.format(host=host, port=port), flush=True)
    # The client address and scheme are read from X-Forwarded-* only when the peer is one of
    # TEPAI_WEB_TRUSTED_PROXIES (bot/web/security.py), so uvicorn's own proxy handling is off.
    uvicorn.run(app, host=host, port=port, proxy_headers=False, server_header=False, log_level="warning",
                timeout_keep_alive=30)
    return 0
