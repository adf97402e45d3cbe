"""The web chat as a Starlette ASGI app: one page, its static files, and a small JSON API.

Every POST carries the session's CSRF token in a header, passes two rate limits (the visitor's
and the client address's) and a body cap; every answer is JSON with Chinese text, which the
page puts into the DOM as text, never as HTML.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from string import Template
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from core import texts
from bot.services import Services
from bot.web.chat import WebChat
from bot.web.config import MAX_MESSAGE, SESSION_DAYS, WebConfig
from bot.web.security import (COOKIE, BodyTooLarge, RateLimiter, SecurityHeaders, Sessions, Visit, csrf_ok,
                              is_https, read_body)
from knowledge.answers import MAX_QUESTION_CHARS

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
PAGE = Path(__file__).resolve().parent / "page.html"
Handler = Callable[[Request, Visit, dict[str, Any]], Awaitable[dict[str, Any]]]


def error(key: str, status: int, **values: object) -> JSONResponse:
    return JSONResponse({"kind": "error", "error": key, "text": texts.WEB_ERRORS[key].format(**values)},
                        status_code=status)


def _id(value: object) -> int | None:
    """A database id the page got from us: a small positive integer, nothing else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 10**12:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 13:
        return int(value)
    return None


class WebApp:
    def __init__(self, services: Services, config: WebConfig) -> None:
        self.chat = WebChat(services)
        self.config = config
        self.sessions = Sessions(config.secret)
        self.per_session = RateLimiter(config.session_limit, config.window)
        self.per_address = RateLimiter(config.address_limit, config.window)
        # The page polls every 3 s (20 a minute); three times that is a client hammering the database.
        self.per_poll = RateLimiter(60, config.window)
        page = Template(PAGE.read_text(encoding="utf-8"))
        self.page = page.substitute({k: html.escape(v) for k, v in texts.WEB_PAGE.items()})

    # -- the session -----------------------------------------------------------------------

    def visit_of(self, request: Request) -> Visit | None:
        return self.sessions.load(request.cookies.get(COOKIE))

    def set_cookie(self, response: Response, request: Request, visit: Visit) -> None:
        secure = self.config.secure_cookie == "1" or (self.config.secure_cookie == "auto" and is_https(request))
        response.set_cookie(COOKIE, self.sessions.dump(visit), max_age=SESSION_DAYS * 86400, httponly=True,
                            samesite="lax", secure=secure, path="/")

    def limited(self, request: Request, visit: Visit | None) -> JSONResponse | None:
        address = request.scope.get("tepai.address") or "?"
        wait = self.per_address.check(f"a:{address}")
        if not wait and visit is not None:
            wait = self.per_session.check(f"s:{visit.visitor}")
        if wait:
            log.info("web rate limit for %s", address)
            response = error("rate", 429, seconds=wait)
            response.headers["retry-after"] = str(wait)
            return response
        return None

    # -- routes ------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        return HTMLResponse(self.page)

    async def session(self, request: Request) -> Response:
        """The visitor's CSRF token and state; a new visitor (and cookie) when there is no valid one."""
        visit = self.visit_of(request)
        fresh = visit is None
        if fresh:
            refused = self.limited(request, None)  # new sessions count against the address
            if refused is not None:
                return refused
            visit = self.sessions.new()
        body = {"csrf": visit.csrf, "labels": texts.WEB_LABELS, "limits": {"question": MAX_QUESTION_CHARS,
                                                                             "message": MAX_MESSAGE},
                **await self.chat.state(visit.visitor)}
        response = JSONResponse(body)
        if fresh:
            self.set_cookie(response, request, visit)
        return response

    async def messages(self, request: Request) -> Response:
        visit = self.visit_of(request)
        if visit is None:
            return error("session", 403)
        wait = self.per_poll.check(visit.visitor)
        if wait:
            response = error("rate", 429, seconds=wait)
            response.headers["retry-after"] = str(wait)
            return response
        raw = request.query_params.get("after") or "0"
        after = 0 if raw == "0" else _id(raw)
        if after is None:
            return error("bad_request", 400)
        return JSONResponse(await self.chat.poll(visit.visitor, after))

    def post(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            visit = self.visit_of(request)
            if visit is None:
                return error("session", 403)
            if not csrf_ok(request, visit):
                log.info("web request without a valid CSRF token from %s", request.scope.get("tepai.address"))
                return error("csrf", 403)
            refused = self.limited(request, visit)
            if refused is not None:
                return refused
            try:
                raw = await read_body(request)
            except BodyTooLarge:
                return error("too_large", 413)
            try:
                data = json.loads(raw.decode("utf-8")) if raw else {}
            except (UnicodeDecodeError, ValueError):
                return error("bad_request", 400)
            if not isinstance(data, dict):
                return error("bad_request", 400)
            return JSONResponse(await handler(request, visit, data))

        return endpoint

    async def send(self, request: Request, visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
        text = data.get("text")
        if not isinstance(text, str):
            return {"kind": "error", "error": "bad_request", "text": texts.WEB_ERRORS["bad_request"]}
        if len(text) > MAX_MESSAGE:
            return {"kind": "notice", "error": "too_long", "text": texts.WEB_ERRORS["too_long"].format(limit=MAX_MESSAGE)}
        return await self.chat.message(visit.visitor, text)

    async def feedback(self, request: Request, visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
        qa_id = _id(data.get("qa_id"))
        if qa_id is None or data.get("value") not in ("up", "down"):
            return {"kind": "notice", "error": "stale", "text": texts.STALE_BUTTON}
        return await self.chat.feedback(visit.visitor, qa_id, data["value"])

    async def handoff(self, request: Request, visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
        qa_id = _id(data.get("qa_id"))
        if qa_id is None:
            return {"kind": "notice", "error": "stale", "text": texts.STALE_BUTTON}
        return await self.chat.handoff(visit.visitor, qa_id)

    async def survey(self, request: Request, visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
        choice = data.get("data")
        # Survey buttons are the survey's own `sv:…` strings; anything else never reaches it.
        if choice is not None and not (isinstance(choice, str) and choice.isascii() and choice.startswith("sv:")
                                       and len(choice) <= 64 and choice.isprintable()):
            return {"kind": "notice", "error": "stale", "text": texts.SURVEY_STALE}
        return await self.chat.survey_step(visit.visitor, choice)

    async def request_specialist(self, request: Request, visit: Visit, data: dict[str, Any]) -> dict[str, Any]:
        specialist_id = _id(data.get("specialist"))
        if specialist_id is None:
            return {"kind": "notice", "error": "stale", "text": texts.STALE_BUTTON}
        return await self.chat.request_specialist(visit.visitor, specialist_id)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    key = {404: "not_found", 405: "method"}.get(status, "bad_request")
    if request.url.path.startswith("/api/") or status != 404:
        return error(key, status)
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>404</title><p>{html.escape(texts.WEB_ERRORS[key])}</p>",
                        status_code=status)


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("web chat: unexpected error on %s", request.url.path)
    return error("internal", 500)


def build_web_app(services: Services, config: WebConfig) -> Starlette:
    """The web chat over `services` (one database, knowledge base and matcher per process)."""
    web = WebApp(services, config)
    routes = [
        Route("/", web.index),
        Route("/api/session", web.session),
        Route("/api/messages", web.messages),
        Route("/api/send", web.post(web.send), methods=["POST"]),
        Route("/api/feedback", web.post(web.feedback), methods=["POST"]),
        Route("/api/handoff", web.post(web.handoff), methods=["POST"]),
        Route("/api/survey", web.post(web.survey), methods=["POST"]),
        Route("/api/request", web.post(web.request_specialist), methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders, config=config)],
                    exception_handlers={HTTPException: _http_error, Exception: _internal_error})
    app.state.web = web
    return app
