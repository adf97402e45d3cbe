"""`tepai chat` as a client of a running `tepai emulator`: one person in one terminal.

The emulator and the bot run in the `tepai emulator` process; this process only talks to its
loopback client API (bot/emulator/clients.py) with the secret from the data dir, as the
person named by `--as NAME` or `--user-id N`. What the bot sends this person — answers, a
staff reply to a hand-off, an announcement, an invitation — is printed when it arrives, also
while the prompt waits for input. Keys are those of the single-user chat: a number presses a
button of the latest message, `@消息号 文本` replies to a message, `/file 路径` uploads, `/quit`
or Ctrl-D leaves. Piped input works: each line waits until the bot has answered the last one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from core import texts
from bot.emulator.clients import MAX_TEXT, MAX_UPLOAD, PREFIX, SECRET_HEADER
from bot.settings import Settings
from bot.chat_server import EmulatorBusy, SharedEmulator, read_connection
from bot.terminal import PROMPT, TERMINAL_FILES, printable, read_line

log = logging.getLogger(__name__)
_REPLY = re.compile(r"^@(\d{1,9})\s+(.+)$", re.S)
REACTION_WAIT = 60.0  # how long a line waits for the bot's first reaction before the next one
POLL = 25.0

# exit codes, as bot/cli.py's
EXIT_OK, EXIT_INPUT, EXIT_SETTINGS, EXIT_UNAVAILABLE = 0, 2, 3, 4


class Refused(Exception):
    """The emulator refused a request; ``code`` is the client API's word for why."""

    def __init__(self, code: str, status: int) -> None:
        super().__init__(code)
        self.code, self.status = code, status


class Unreachable(Exception):
    """Nothing answers at the address in the connection file (the emulator has stopped)."""


class Remote:
    """The client API of one emulator, over HTTP with the secret."""

    def __init__(self, url: str, secret: str) -> None:
        self.url, self._headers = url.rstrip("/") + PREFIX, {SECRET_HEADER: secret}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Remote:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=10))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | bytes:
        assert self._session is not None
        try:
            async with self._session.request(method, self.url + path, headers=self._headers, **kwargs) as resp:
                if resp.status == 200 and resp.content_type == "application/octet-stream":
                    return await resp.read()
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = {}
                if resp.status != 200 or not isinstance(body, dict) or not body.get("ok"):
                    code = body.get("error") if isinstance(body, dict) else None
                    raise Refused(str(code or resp.status), resp.status)
                return body
        except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as exc:
            raise Unreachable(str(exc)) from exc

    async def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        result = await self._call(method, path, **kwargs)
        assert isinstance(result, dict)
        return result

    async def hello(self, name: str | None, user_id: int | None, role: str | None) -> dict[str, Any]:
        return await self.json("POST", "/hello", json={"name": name, "user_id": user_id, "role": role})

    async def events(self, user_id: int, cursor: dict[str, int], timeout: float) -> dict[str, Any]:
        return await self.json("GET", "/events", params={
            "user_id": user_id, "events": cursor["events"], "alerts": cursor["alerts"], "timeout": timeout})

    async def idle(self, timeout: float = 30.0) -> dict[str, Any]:
        return await self.json("GET", "/idle", params={"timeout": timeout})

    async def file(self, user_id: int, message_id: int) -> bytes:
        result = await self._call("GET", f"/file/{user_id}/{message_id}")
        return result if isinstance(result, bytes) else b""


class RemoteScreen:
    """Prints one person's chat as it changes; remembers the latest buttons and the cursor."""

    def __init__(self, remote: Remote, user_id: int, out: TextIO, files: Path, cursor: dict[str, int]) -> None:
        self.remote, self.user_id, self.out, self.files = remote, user_id, out, files
        self.cursor = dict(cursor)
        self.seen: dict[int, tuple[str, str]] = {}
        self.choices: list[tuple[int, str]] = []
        self.alerts_shown = -1
        self.acting = False  # a line of this person's is being answered
        self.prompting = False  # the prompt is on screen: an arriving message goes above a new one
        self._lock = asyncio.Lock()
        self._pending: list[str] = []

    async def fetch(self, since: dict[str, int] | None = None, timeout: float = 0.0) -> bool:
        """Wait up to ``timeout`` for news since ``since`` (default: what was shown); show it."""
        found = await self.remote.events(self.user_id, since or self.cursor, timeout)
        async with self._lock:
            for key in ("events", "alerts"):
                self.cursor[key] = max(self.cursor[key], found["cursor"][key])
            self._pending: list[str] = []
            for message in found["messages"]:
                await self._show(message)
            for position, alert in found["alerts"]:
                if position > self.alerts_shown:  # the listener and a settling line may both fetch it
                    self.alerts_shown = position
                    self._write(f"  （提示）{printable(alert)}\n")
            if self._pending:
                # Arrived while the prompt waits: print above a fresh prompt, as chat apps do.
                text = "".join(self._pending)
                if self.prompting:
                    text = "\n" + text.lstrip("\n") + PROMPT
                self.out.write(text)
            self.out.flush()
        return bool(found["messages"] or found["alerts"])

    def _write(self, text: str) -> None:
        self._pending.append(text)

    async def _show(self, message: dict[str, Any]) -> None:
        message_id = message["message_id"]
        state = (message["text"], repr(message["buttons"]))
        previous = self.seen.get(message_id)
        if message["deleted"] or previous == state:
            return
        self.seen[message_id] = state
        if previous is not None and previous[0] == state[0]:
            # Only the buttons changed (spent after a press): nothing new to read.
            if not message["buttons"] and self.choices and self.choices[0][0] == message_id:
                self.choices = []
            return
        head = f"tepai [#{message_id}{' 已编辑' if previous is not None else ''}]"
        body = printable(message["text"] or "")
        sent = message["file"]
        if sent is not None and sent["kind"] == "document":
            body = f"{body}\n📎 文件：{printable(str(sent['filename']))}（{sent['size']} 字节）".strip()
        elif sent is not None:
            body = f"{body}\n🖼 图片（{sent['size']} 字节）".strip()
        self._write(f"\n{head}\n{body}\n")
        if sent is not None and previous is None:
            saved = await self._save(message_id, sent)
            if saved is not None:
                self._write(texts.CHAT_FILE_SAVED.format(path=saved) + "\n")
        # Numbers pick buttons of the latest message only; otherwise they are text (a phone number).
        # A message from elsewhere without buttons (an announcement arriving mid-survey) leaves
        # the buttons of the conversation in hand as they were.
        if message["buttons"] or self.acting:
            self.choices = [(message_id, data) for _, data in message["buttons"]]
        if message["buttons"]:
            labels = "  ".join(f"[{n}] {printable(text)}" for n, (text, _) in enumerate(message["buttons"], 1))
            self._write(f"  {labels}\n")

    async def _save(self, message_id: int, sent: dict[str, Any]) -> Path | None:
        """A document or chart the bot sent, written where the user can open it."""
        default = f"图片-{message_id}.png" if sent["kind"] == "photo" else f"文件-{message_id}"
        name = printable(Path(sent["filename"] or default).name or default)  # never a path the bot chose
        target = self.files / f"{message_id}-{name}"
        try:
            data = await self.remote.file(self.user_id, message_id)
            self.files.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except (OSError, Refused, Unreachable) as exc:
            log.warning("could not save %s: %s", target, exc)
            return None
        return target.resolve()


class Session:
    """One person at one terminal: reads lines, acts, and shows what arrives."""

    def __init__(self, remote: Remote, screen: RemoteScreen, stdin: TextIO, out: TextIO) -> None:
        self.remote, self.screen, self.stdin, self.out = remote, screen, stdin, out
        self.user_id = screen.user_id
        self.gone = asyncio.Event()  # the emulator stopped

    async def listen(self) -> None:
        """Show what the bot sends this person whenever it arrives."""
        while True:
            try:
                await self.screen.fetch(timeout=POLL)
            except Unreachable:
                self.out.write("\n" + texts.CHAT_EMULATOR_GONE + "\n")
                self.out.flush()
                self.gone.set()
                return
            except Refused as exc:
                log.warning("events refused: %s", exc.code)
                if exc.status == 401:  # another emulator (a new secret) now answers at this address
                    self.out.write("\n" + texts.CHAT_EMULATOR_GONE + "\n")
                    self.out.flush()
                    self.gone.set()
                    return
                await asyncio.sleep(1)

    async def act(self, line: str) -> None:
        """Send one line as this person would, then wait for the bot to answer it."""
        since = dict(self.screen.cursor)
        stripped = line.strip()
        self.screen.acting = True
        try:
            if not await self._send(line, stripped):
                return
            # The first reaction, then quiet: the next line should see the answer to this one.
            await self.screen.fetch(since, timeout=REACTION_WAIT)
            await self.remote.idle()
            await self.screen.fetch()
        except Refused as exc:
            self.out.write(texts.CHAT_CLIENT_REFUSED.get(exc.code, texts.CHAT_CLIENT_FAILED) + "\n")
        finally:
            self.screen.acting = False

    async def _send(self, line: str, stripped: str) -> bool:
        if not stripped:
            self.out.write(texts.CHAT_EMPTY_LINE + "\n")
            return False
        choices = self.screen.choices
        if stripped.isdigit() and len(stripped) <= 2 and choices:
            number = int(stripped)
            if not 1 <= number <= len(choices):
                self.out.write(texts.CHAT_NO_SUCH_CHOICE.format(count=len(choices)) + "\n")
                return False
            message_id, data = choices[number - 1]
            await self.remote.json("POST", "/press", json={"user_id": self.user_id, "message_id": message_id, "data": data})
            return True
        if stripped.startswith("/file "):
            return await self._upload(Path(stripped[6:].strip()).expanduser())
        if len(line) > MAX_TEXT:
            self.out.write(texts.CHAT_LINE_TOO_LONG.format(limit=MAX_TEXT) + "\n")
            return False
        reply = _REPLY.match(stripped)
        body: dict[str, Any] = {"user_id": self.user_id, "text": line}
        if reply:
            body = {"user_id": self.user_id, "text": reply.group(2), "reply_to": int(reply.group(1))}
        await self.remote.json("POST", "/send", json=body)
        return True

    async def _upload(self, path: Path) -> bool:
        try:
            size = path.stat().st_size
            if size > MAX_UPLOAD:
                self.out.write(texts.CHAT_FILE_TOO_LARGE.format(path=path, limit=MAX_UPLOAD // (1024 * 1024)) + "\n")
                return False
            data = path.read_bytes()
        except OSError as exc:
            self.out.write(texts.CHAT_FILE_UNREADABLE.format(path=path, reason=exc.strerror or exc) + "\n")
            return False
        form = aiohttp.FormData()
        form.add_field("user_id", str(self.user_id))
        form.add_field("file", data, filename=path.name, content_type="application/octet-stream")
        await self.remote.json("POST", "/document", data=form)
        return True

    async def run(self) -> None:
        listener = asyncio.create_task(self.listen(), name=f"tepai-chat:{self.user_id}")
        try:
            while not self.gone.is_set():
                self.out.write(PROMPT)
                self.screen.prompting = True
                self.out.flush()
                reading = asyncio.ensure_future(read_line(self.stdin))
                stopped = asyncio.ensure_future(self.gone.wait())
                await asyncio.wait({reading, stopped}, return_when=asyncio.FIRST_COMPLETED)
                stopped.cancel()
                self.screen.prompting = False
                if not reading.done():  # the emulator stopped while the prompt waited
                    reading.cancel()
                    break
                line = reading.result()
                if not line:  # Ctrl-D, or the end of piped input
                    self.out.write("\n")
                    break
                line = line.rstrip("\n")
                if line.strip() in ("/quit", "/exit"):
                    break
                try:
                    await self.act(line)
                except Unreachable:
                    self.out.write(texts.CHAT_EMULATOR_GONE + "\n")
                    break
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)


async def connect(settings: Settings, name: str | None = None, user_id: int | None = None,
                  role: str | None = None, stdin: TextIO | None = None, out: TextIO | None = None,
                  connection: dict[str, Any] | None = None) -> int | None:
    """Chat through this data dir's running emulator; None if there is none (or it has stopped)."""
    stdin, out = stdin or sys.stdin, out or sys.stdout
    connection = connection or read_connection(settings.data_dir)
    if connection is None:
        return None
    async with Remote(str(connection["url"]), str(connection["secret"])) as remote:
        try:
            me = await remote.hello(name, user_id, role)
        except Unreachable:
            log.info("no emulator at %s (a stale connection file)", connection["url"])
            return None
        except Refused as exc:
            out.write(texts.CHAT_CLIENT_REFUSED.get(exc.code, texts.CHAT_CLIENT_FAILED) + "\n")
            out.flush()
            return EXIT_INPUT if exc.status in (400, 403, 409) else EXIT_SETTINGS
        user_id = int(me["user_id"])
        screen = RemoteScreen(remote, user_id, out, Path(settings.data_dir) / TERMINAL_FILES, me["cursor"])
        out.write(texts.CHAT_CLIENT_HELP.format(name=me["name"], user=user_id) + "\n")
        session = Session(remote, screen, stdin, out)
        try:
            # The chat so far, as Telegram shows it on opening; a first visit starts with /start.
            if not await screen.fetch():
                await session.act("/start")
            await session.run()
        except Unreachable:
            out.write(texts.CHAT_EMULATOR_GONE + "\n")
    out.write(texts.BYE + "\n")
    out.flush()
    return EXIT_OK


async def chat_together(settings: Settings, stdin: TextIO | None = None, out: TextIO | None = None,
                        make_services=None) -> int | None:  # type: ignore[no-untyped-def]
    """`make run` without a token: the shared emulator in this process and its first client,
    so others can join from other terminals with `tepai chat --as NAME`. None if another
    process already serves this data dir (then join it as a client instead)."""
    from bot.logs import configure

    out = out or sys.stdout
    configure(settings.data_dir, logging.getLevelName(logging.getLogger().level) if logging.getLogger().level else "INFO")
    out.write(texts.CHAT_STARTING + "\n")
    out.flush()
    try:
        async with SharedEmulator(settings, make_services=make_services) as shared:
            out.write(texts.CHAT_OTHERS_MAY_JOIN + "\n")
            code = await connect(settings, stdin=stdin, out=out,
                                 connection={"url": shared.url, "secret": shared.secret})
    except EmulatorBusy:
        return None
    return code if code is not None else 0


def run_together(settings: Settings) -> int | None:
    try:
        return asyncio.run(chat_together(settings))
    except KeyboardInterrupt:
        print("\n" + texts.BYE)
        return 0
