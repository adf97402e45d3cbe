"""The web chat a bureau puts on its own site: `tepai web` (Starlette, served by uvicorn).

`build_web_app(services, config)` is the ASGI app; `serve(settings, host, port)` runs it.
"""

from __future__ import annotations

from bot.web.app import build_web_app
from bot.web.config import WebConfig, load_web_config

__all__ = ["WebConfig", "build_web_app", "load_web_config"]
