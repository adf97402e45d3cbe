"""What stands between the public internet and the chat: the signed session, CSRF, rate limits,
the client's address, the body cap and the security headers."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.config import MAX_BODY, SESSION_DAYS, WebConfig

COOKIE = "tepai_web"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Visit:
    """A visitor as the cookie names them: `visitor` is their web identity's id, `csrf` the
    token every POST must carry."""

    visitor: str
    csrf: str


class Sessions:
    """Signed cookies: the visitor's random id and CSRF token. A cookie that does not verify (forged,
    altered, signed with another secret, too old) is no visitor at all — the page gets a new one."""

    def __init__(self, secret: str) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="tepai-web-session")

    def new(self) -> Visit:
        return Visit(secrets.token_urlsafe(24), secrets.token_urlsafe(24))

    def dump(self, visit: Visit) -> str:
        return self._signer.dumps({"v": visit.visitor, "c": visit.csrf})

    def load(self, cookie: str | None) -> Visit | None:
        if not cookie or len(cookie) > 400:
            return None
        try:
            data = self._signer.loads(cookie, max_age=SESSION_DAYS * 86400)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and 16 <= len(data[k]) <= 64
                                                 for k in ("v", "c")):
            return None
        return Visit(data["v"], data["c"])


def csrf_ok(request: Request, visit: Visit) -> bool:
    """The token from the page's JavaScript (a header no other site can set) matches the session's,
    and a browser that names the origin names this one."""
    token = request.headers.get(CSRF_HEADER, "")
    if not token or not hmac.compare_digest(token.encode(), visit.csrf.encode()):
        return False
    origin = request.headers.get("origin")
    if origin is None:  # not a browser's cross-site request (those always name their origin on POST)
        return True
    return origin == own_origin(request)


def own_origin(request: Request) -> str:
    scheme = request.url.scheme
    forwarded = request.scope.get("tepai.forwarded_proto")
    if forwarded:
        scheme = forwarded
    host = request.headers.get("host", "")
    return f"{scheme}://{host}"


def client_address(scope: Scope, config: WebConfig) -> str:
    """The visitor's address: the peer, or — when the peer is a trusted proxy — the nearest address
    in X-Forwarded-For that is not one of ours. A client cannot fake it by sending the header itself:
    only what trusted proxies appended is believed."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    if not config.trusts(peer):
        return peer
    headers = dict((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", []))
    chain = [part.strip() for part in headers.get("x-forwarded-for", "").split(",") if part.strip()]
    for address in reversed(chain):
        if not config.trusts(address):
            return address[:64]
    return chain[0][:64] if chain else peer


class RateLimiter:
    """At most `limit` requests per `window` seconds per key (sliding window, this process's memory;
    each web worker counts its own, so N workers allow up to N times the limit)."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def check(self, key: str, now: float | None = None) -> int:
        """0 if allowed (and counted), else the seconds until the next request is allowed."""
        now = time.monotonic() if now is None else now
        if len(self._seen) > self.max_keys:  # a flood of distinct keys must not grow memory forever
            self._forget(now)
        seen = self._seen[key]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            return max(1, int(seen[0] + self.window - now + 0.999))
        seen.append(now)
        return 0

    def _forget(self, now: float) -> None:
        for key in [k for k, v in self._seen.items() if not v or v[-1] <= now - self.window]:
            del self._seen[key]
        if len(self._seen) > self.max_keys:
            self._seen.clear()


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, refusing more than `limit` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class SecurityHeaders:
    """Pure ASGI middleware: headers on every response, the client's address and scheme resolved
    once (from a trusted proxy's headers only)."""

    def __init__(self, app: ASGIApp, config: WebConfig) -> None:
        self.app, self.config = app, config
        self.csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                    f"frame-ancestors {config.frame_ancestors}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["tepai.address"] = client_address(scope, self.config)
        peer = (scope.get("client") or ("", 0))[0]
        if self.config.trusts(peer):
            for key, value in scope.get("headers", []):
                if key == b"x-forwarded-proto" and value.decode("latin-1").strip() in ("http", "https"):
                    scope["tepai.forwarded_proto"] = value.decode("latin-1").strip()
        api = scope.get("path", "").startswith("/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", self.csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if self.config.frame_ancestors == "'none'":
                    headers.append((b"x-frame-options", b"DENY"))
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def is_https(request: Request) -> bool:
    return (request.scope.get("tepai.forwarded_proto") or request.url.scheme) == "https"
