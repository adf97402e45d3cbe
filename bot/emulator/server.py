"""``BotApiEmulator``: the HTTP server, its lifecycle, webhook delivery and fault injection."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from .clients import ClientApi, Greeter
from .models import ApiError, Fault, RequestRecord, TokenBucket
from .observe import Observation
from .params import chat_id_for_log

_LOGGER = logging.getLogger(__name__)
_dumps = functools.partial(json.dumps, ensure_ascii=False)


class BotApiEmulator(Observation):
    """A local, in-memory stand-in for ``https://api.telegram.org`` speaking real HTTP.

    Usage::

        async with BotApiEmulator() as emu:
            app = (ApplicationBuilder().token(emu.token).base_url(emu.base_url)
                   .base_file_url(emu.base_file_url).build())

    Options beyond the basics: ``strict_html`` (also reject a bare ``&`` in HTML,
    which real Telegram keeps literally), ``strict_chats`` (sending to a chat no
    simulated user opened -> 400 "chat not found"), ``flood_control`` (approximate
    Telegram limits: ~30 sends/s overall, bursts of 3 then 1/s per chat -> 429),
    ``latency`` (seconds added to every API call), ``seed`` (fault randomness, ids).
    """

    def __init__(self, token: str = "123456:TEST-TOKEN", host: str = "127.0.0.1",
                 port: int = 0, bot_username: str = "tepai_bot", *, seed: int = 0,
                 strict_html: bool = True, strict_chats: bool = True,
                 flood_control: bool = False, latency: float = 0.0):
        super().__init__(token, bot_username, seed=seed, strict_html=strict_html,
                         strict_chats=strict_chats)
        self.host, self.port = host, port
        self.latency = latency
        self.chat_actions: list[tuple[int, str, float]] = []
        self.webhook_deliveries: list[dict[str, Any]] = []
        self._handlers = {name[4:].lower(): getattr(self, name)
                          for name in dir(type(self)) if name.startswith("api_")}
        self._reply_description: str | None = None
        self._in_flight = 0
        # Set by whoever runs the bot beside the emulator: True while the bot is still handling
        # an update (between two of its replies it makes no call, and quiet is not done).
        self.handling: Callable[[], bool] | None = None
        self._flood_control = flood_control
        self._global_bucket = TokenBucket(rate=30, burst=30)
        self._chat_buckets: dict[int, TokenBucket] = {}
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._client_api: ClientApi | None = None

    # ================================================================== lifecycle

    @property
    def base_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_url(...)`` / ``Bot(base_url=...)``."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def tepai_environ(self) -> dict[str, str]:
        """The settings that point a tepai process (or `load_settings`) at this emulator."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_API_BASE_URL": self.base_url,
                "TELEGRAM_API_FILE_URL": self.base_file_url}

    def serve_clients(self, secret: str, greet: Greeter) -> None:
        """Also serve the user side to other processes (``clients.py``); call before ``start``."""
        self._client_api = ClientApi(self, secret, greet)

    async def start(self) -> BotApiEmulator:
        if self._runner is not None:
            return self
        self._closing = False
        self._loop = asyncio.get_running_loop()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        if self._client_api is not None:
            self._client_api.register(app)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._webhook_task = asyncio.create_task(self._webhook_worker(),
                                                 name="BotApiEmulator:webhook")
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        with self._lock:
            self._closing = True
        self._notify()  # release long polls and waiters
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def run_in_thread(self, timeout: float = 10.0) -> BotApiEmulator:
        """Serve from a daemon thread with its own loop; returns once listening."""
        if self._thread is not None and self._thread.is_alive():
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # noqa: BLE001 - reported to the caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.stop())
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=main, name="BotApiEmulator", daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise TimeoutError("emulator thread did not start listening")
        if failure:
            raise failure[0]
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        if not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = None

    def __enter__(self) -> BotApiEmulator:
        if self._thread is None:
            self.run_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_thread()

    # ================================================================== HTTP

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method not in ("POST", "PUT") or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError.bad_request("can't parse JSON encoded request") from None
            if isinstance(body, dict):
                params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded",
                                      "multipart/form-data"):
            form = await request.post()
            for key in form:
                params[key] = form.getone(key)
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        record = RequestRecord(method=method, chat_id=None, timestamp=time.time())
        polling = method.lower() == "getupdates"
        with self._lock:
            self.requests.append(record)
            if not polling:
                self._in_flight += 1
        body: dict[str, Any]
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            params = await self._read_params(request)
            record.chat_id = chat_id_for_log(params)
            handler = self._handlers.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            if self.latency:
                await asyncio.sleep(self.latency)
            self._check_faults(method, record.chat_id)
            self._check_flood(method, record.chat_id)
            self._reply_description = None
            result = handler(params)
            description = self._reply_description
            if inspect.isawaitable(result):
                result = await result
            body, status = {"ok": True, "result": result}, 200
            if description:
                body["description"] = description
        except ApiError as exc:
            body, status = exc.payload(), exc.code
            record.error = exc.description
        except Exception as exc:  # an emulator bug: say so loudly, like a 500 would
            _LOGGER.exception("emulator failed on %s", method)
            body = {"ok": False, "error_code": 500,
                    "description": f"Internal Server Error: emulator bug: {exc!r}"}
            status = 500
            record.error = body["description"]
        finally:
            with self._lock:
                if not polling:
                    self._in_flight -= 1
                self._last_activity = time.monotonic()
        record.status = status
        record.duration = time.time() - record.timestamp
        return web.json_response(body, status=status, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        record = RequestRecord(method="downloadFile", chat_id=None, timestamp=time.time())
        with self._lock:
            self.requests.append(record)
            rec = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or rec is None or rec.data is None:
            record.status = 404
            return web.json_response({"ok": False, "error_code": 404,
                                      "description": "Not Found"}, status=404)
        record.status = 200
        return web.Response(body=rec.data, content_type="application/octet-stream")

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"},
                                 status=404)

    # ================================================================== webhook delivery

    async def _webhook_worker(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            backoff = 0.05
            while not self._closing:
                def check() -> tuple[str, str | None, dict[str, Any]] | None:
                    url = self.webhook.get("url")
                    if url and self._updates:
                        return url, self.webhook.get("secret_token"), dict(self._updates[0])
                    return None

                item = await self._wait_until(check, None)
                if item is None:
                    continue
                url, secret, update = item
                headers = {"Content-Type": "application/json"}
                if secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = secret
                error = None
                try:
                    async with session.post(url, data=_dumps(update).encode(),
                                            headers=headers) as resp:
                        await resp.read()
                        if not 200 <= resp.status < 300:
                            error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
                except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                    error = f"Connection failed: {exc!r}"
                with self._lock:
                    self.webhook_deliveries.append({"update_id": update["update_id"],
                                                    "url": url, "error": error,
                                                    "timestamp": time.time()})
                    if error is None:
                        if self._updates and self._updates[0]["update_id"] == update["update_id"]:
                            self._updates.pop(0)
                        self._last_activity = time.monotonic()
                    elif self.webhook.get("url") == url:
                        self.webhook["last_error_date"] = self._now()
                        self.webhook["last_error_message"] = error
                if error is None:
                    backoff = 0.05
                    self._notify()
                else:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 1.0)

    # ================================================================== faults

    def inject(self, method: str | None = None, chat_id: int | None = None, error: int = 429,
               retry_after: int = 1, times: int | None = 1, rate: float | None = None,
               description: str | None = None) -> Fault:
        """Make matching API calls fail before they take effect.

        The next ``times`` calls to ``method`` (any method if None) for ``chat_id``
        (any chat if None) fail with ``error``: 429 (with ``retry_after``), 403
        ("bot was blocked by the user"), 400, 5xx ("Internal Server Error"), ...
        With ``rate``, each matching call fails with that probability (seeded,
        reproducible) until ``clear_faults()``; ``times`` is then ignored.
        ``times=None`` fails every matching call.
        """
        with self._lock:
            fault = Fault(method=method, chat_id=chat_id, error=error, retry_after=retry_after,
                          times=times, rate=rate, description=description,
                          rng=random.Random(f"{self._seed}:{len(self._faults)}"))
            self._faults.append(fault)
            return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def _check_faults(self, method: str, chat_id: Any) -> None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, chat_id) and fault.should_fire():
                    fault.fired += 1
                    error = fault.to_error()
                    self._faults = [f for f in self._faults if not f.exhausted]
                    raise error

    def _check_flood(self, method: str, chat_id: Any) -> None:
        lowered = method.lower()
        if not self._flood_control or lowered == "sendchataction" or not (
                lowered.startswith("send") or lowered in ("copymessage", "forwardmessage")):
            return
        wait = 0.0
        if isinstance(chat_id, int):
            with self._lock:
                bucket = self._chat_buckets.setdefault(chat_id, TokenBucket(rate=1, burst=3))
            wait = bucket.take()
        if not wait:
            wait = self._global_bucket.take()
        if wait:
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
