"""`tepai chat`: the same bot and handlers, talking to the local Bot API emulator in-process.

Bot messages are printed as plain text; inline buttons become numbered choices picked by
typing the number. `@<消息号> 文本` replies to a message (staff answering a hand-off),
`/file PATH` sends a document, `/quit` leaves. Piped input works too: each line waits
until the bot has answered the previous one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path
from typing import TextIO

from bot import texts
from bot.settings import Settings

PROMPT = "你> "
TERMINAL_FILES = "terminal-files"  # under the data dir: exports and charts the bot sends
log = logging.getLogger(__name__)
_REPLY = re.compile(r"^@(\d+)\s+(.+)$", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text as it may reach a terminal: what another person typed (forwarded, listed, quoted)
    must not carry escape sequences that move the cursor or retitle the window."""
    return _CONTROL.sub("\ufffd", text)


class Screen:
    """Prints new and edited bot messages for one chat, and remembers the latest buttons."""

    def __init__(self, emu, chat_id: int, out: TextIO, files: Path | None = None) -> None:  # type: ignore[no-untyped-def]
        self.emu, self.chat_id, self.out = emu, chat_id, out
        self.files = files  # where documents and charts the bot sends are saved
        self.seen: dict[int, tuple[str | None, str]] = {}  # message id -> (text, buttons) printed
        self.alerts = 0
        self.choices: list[tuple[int, str]] = []  # (message id, callback data)

    def refresh(self) -> int:
        """Print what changed; the number of things printed."""
        printed = 0
        for message in self.emu.messages(self.chat_id, include_deleted=False):
            state = (message.plain_text, str(message.reply_markup))
            if self.seen.get(message.message_id) == state:
                continue
            previous = self.seen.get(message.message_id)
            self.seen[message.message_id] = state
            if previous is not None and previous[0] == state[0]:
                # Only the buttons changed (spent after a press): nothing new to read.
                if not message.buttons and self.choices and self.choices[0][0] == message.message_id:
                    self.choices = []
                continue
            self._print_message(message, previous is not None)
            printed += 1
        answers = [a for a in self.emu.answered_callbacks if a.user_id == self.chat_id]
        for answer in answers[self.alerts:]:
            if answer.text:
                self.out.write(f"  （提示）{answer.text}\n")
                printed += 1
        self.alerts = len(answers)
        self.out.flush()
        return printed

    def _print_message(self, message, edited: bool) -> None:  # type: ignore[no-untyped-def]
        head = f"tepai [#{message.message_id}{' 已编辑' if edited else ''}]"
        body = printable(message.plain_text or message.text or "")
        if message.document is not None:
            body = f"{body}\n📎 文件：{message.document.filename}（{len(message.document.data or b'')} 字节）".strip()
        elif message.photo is not None:
            body = f"{body}\n🖼 图片（{len(message.photo.data or b'')} 字节）".strip()
        self.out.write(f"\n{head}\n{body}\n")
        saved = self._save(message)
        if saved is not None:
            self.out.write(texts.CHAT_FILE_SAVED.format(path=saved) + "\n")
        buttons = [(text, data) for text, data in message.buttons if data]
        # Numbers pick buttons of the latest message only; otherwise they are text (a phone number).
        self.choices = [(message.message_id, data) for _, data in buttons]
        if buttons:
            labels = "  ".join(f"[{n}] {printable(text)}" for n, (text, _) in enumerate(buttons, 1))
            self.out.write(f"  {labels}\n")


    def _save(self, message) -> Path | None:  # type: ignore[no-untyped-def]
        """A document or chart the bot sent, written where the user can open it."""
        sent = message.document or message.photo
        if sent is None or self.files is None or not sent.data:
            return None
        default = f"图片-{message.message_id}.png" if message.photo is not None else f"文件-{message.message_id}"
        name = Path(sent.filename or default).name or default  # never a path the bot chose
        target = self.files / f"{message.message_id}-{name}"
        try:
            self.files.mkdir(parents=True, exist_ok=True)
            target.write_bytes(sent.data)
        except OSError as exc:
            log.warning("could not save %s: %s", target, exc)
            return None
        return target.resolve()


async def read_line(stdin: TextIO) -> str:
    """One typed line ("" at the end of input), read in a daemon thread: Ctrl-C while the
    prompt waits must not leave the process waiting for that thread to finish."""
    import threading

    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def deliver(line: str) -> None:
        if not future.done():
            future.set_result(line)

    def work() -> None:
        try:
            line = stdin.readline()
        except (OSError, ValueError, UnicodeDecodeError):  # closed stdin, undecodable bytes
            line = ""
        try:
            loop.call_soon_threadsafe(deliver, line)
        except RuntimeError:  # the chat has ended meanwhile
            pass

    threading.Thread(target=work, name="tepai-chat-input", daemon=True).start()
    return await future


async def _settle(emu, screen: Screen, before_messages: int, before_alerts: int, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for the bot's reaction to one input, then for it to go quiet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        changed = len(emu.messages(screen.chat_id)) > before_messages or len(emu.answered_callbacks) > before_alerts
        if changed:
            break
        await asyncio.sleep(0.05)
    try:
        await emu.wait_until_idle(quiet=0.3, timeout=timeout)
    except TimeoutError:
        pass
    screen.refresh()


async def chat(settings: Settings, role: str = "enterprise", user_id: int = 10001, name: str | None = None,
               stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    from bot.app import build_application, open_services, start_polling, stop_polling
    from bot.emulator import BotApiEmulator
    from store import repositories as repo

    from bot.logs import configure

    stdin, out = stdin or sys.stdin, out or sys.stdout
    # The screen is the conversation: library warnings, tracebacks and PTB's logs go to the file.
    configure(settings.data_dir, logging.getLevelName(logging.getLogger().level) if logging.getLogger().level else "INFO")
    name = name or texts.CHAT_DEFAULT_NAMES.get(role, "用户")
    # Other people in the database are "elsewhere": messages to them are accepted, shown to nobody.
    emu = BotApiEmulator(strict_chats=False)
    await emu.start()
    staff = settings.staff_ids_raw + (f",{user_id}" if role == "staff" else "")
    chat_settings = settings.model_copy(update={
        "telegram_bot_token": emu.token, "telegram_api_base_url": emu.base_url,
        "telegram_api_file_url": emu.base_file_url, "staff_ids_raw": staff.strip(","),
    })
    out.write(texts.CHAT_STARTING + "\n")
    out.flush()
    services = await asyncio.to_thread(open_services, chat_settings)
    if role == "specialist":
        async with services.db.session() as session, session.begin():
            await repo.touch_user(session, user_id, name)
            await repo.set_role(session, user_id, "specialist")
    application = build_application(chat_settings, services)
    await start_polling(application, timeout=1)
    screen = Screen(emu, user_id, out, files=Path(settings.data_dir) / TERMINAL_FILES)
    out.write(texts.CHAT_HELP.format(role=texts.ROLE_NAMES[role], user=user_id) + "\n")
    try:
        emu.user_sends_text(user_id, "/start", first_name=name)
        await _settle(emu, screen, 0, len(emu.answered_callbacks))
        while True:
            out.write(PROMPT)
            out.flush()
            line = await read_line(stdin)
            if not line:
                out.write("\n")
                break
            line = line.rstrip("\n")
            if line.strip() in ("/quit", "/exit"):
                break
            before = (len(emu.messages(user_id)), len(emu.answered_callbacks))
            if not _act(emu, screen, user_id, line, out):
                continue
            await _settle(emu, screen, *before)
    finally:
        await stop_polling(application)  # lets running work (an upload being indexed) finish
        screen.refresh()  # …and shows what it said last
        await services.db.close()
        await emu.stop()
    out.write(texts.BYE + "\n")
    return 0


def _act(emu, screen: Screen, user_id: int, line: str, out: TextIO) -> bool:  # type: ignore[no-untyped-def]
    """Turn one typed line into what a Telegram user would do. False if nothing was sent."""
    stripped = line.strip()
    if stripped.isdigit() and len(stripped) <= 2 and screen.choices:
        number = int(stripped)
        if not 1 <= number <= len(screen.choices):
            out.write(texts.CHAT_NO_SUCH_CHOICE.format(count=len(screen.choices)) + "\n")
            return False
        message_id, data = screen.choices[number - 1]
        emu.user_presses_button(user_id, message_id, data, force=True)
        return True
    if stripped.startswith("/file "):
        path = Path(stripped[6:].strip()).expanduser()
        try:
            data = path.read_bytes()
        except OSError as exc:
            out.write(texts.CHAT_FILE_UNREADABLE.format(path=path, reason=exc.strerror or exc) + "\n")
            return False
        emu.user_sends_document(user_id, path.name, data)
        return True
    reply = _REPLY.match(stripped)
    if reply:
        emu.user_sends_text(user_id, reply.group(2), reply_to_message_id=int(reply.group(1)))
        return True
    emu.user_sends_text(user_id, line)
    return True


def run_chat(settings: Settings, role: str = "enterprise", user_id: int = 10001, name: str | None = None) -> int:
    try:
        return asyncio.run(chat(settings, role, user_id, name))
    except KeyboardInterrupt:
        print("\n" + texts.BYE)
        return 0


# ============================================================== the shared emulator: `tepai emulator`
# One process runs the emulator and the bot; `tepai chat` clients in other terminals connect to
# it as different people (bot/chat_client.py), so staff answer an owner's hand-off and an
# announcement reaches every open session.

SHARED_DIR = "terminal"  # under the data dir: the connection file, its lock, the people registry
CONNECTION_FILE = "emulator.json"
PEOPLE_FILE = "people.json"
FIRST_NAMED_ID = 30001  # named people: clear of the single-user chat's 10001 / 20001 / 900
DEFAULT_OWNER_ID = 10001  # `make run` / `tepai chat` without --as: the single-user chat's owner


def shared_dir(data_dir: Path) -> Path:
    folder = Path(data_dir) / SHARED_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _write_private(path: Path, text: str) -> None:
    """Write a file only this OS user can read, replacing it atomically."""
    import os

    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


class NameTaken(Exception):
    """A name already belongs to another user id."""


class People:
    """Stable emulated Telegram ids per name, kept in the data dir so a name is the same person
    tomorrow (the database knows them by id)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = shared_dir(data_dir) / PEOPLE_FILE

    def _locked(self):  # type: ignore[no-untyped-def]
        import fcntl
        from contextlib import contextmanager

        @contextmanager
        def lock():  # type: ignore[no-untyped-def]
            with open(self.path.with_name(PEOPLE_FILE + ".lock"), "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        return lock()

    def _read(self) -> dict[str, int]:
        import json

        try:
            names = json.loads(self.path.read_text(encoding="utf-8")).get("names", {})
        except (OSError, ValueError, AttributeError):
            return {}
        return {str(k): int(v) for k, v in names.items() if isinstance(v, int)}

    def resolve(self, name: str | None, user_id: int | None) -> tuple[int, str]:
        """(id, name): a known name's id, a new name's next free id, or a bare id's name."""
        import json

        with self._locked():
            names = self._read()
            if name is None:
                if user_id is None:
                    raise ValueError("a name or a user id is needed")
                known = next((n for n, i in names.items() if i == user_id), None)
                return user_id, known or texts.CHAT_PERSON_DEFAULT.format(id=user_id)
            if name in names:
                if user_id is not None and names[name] != user_id:
                    raise NameTaken(name)
                return names[name], name
            names[name] = user_id if user_id is not None else max([FIRST_NAMED_ID - 1, *names.values()]) + 1
            _write_private(self.path, json.dumps({"names": names}, ensure_ascii=False, indent=1))
            return names[name], name


def read_connection(data_dir: Path) -> dict[str, object] | None:
    """Where this data dir's shared emulator listens and its secret; None if none was started."""
    import json

    try:
        found = json.loads((Path(data_dir) / SHARED_DIR / CONNECTION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and {"url", "secret"} <= found.keys() else None


class EmulatorBusy(Exception):
    """Another `tepai emulator` already serves this data dir."""


class PortBusy(Exception):
    """The port asked for with --port cannot be listened on."""


class SharedEmulator:
    """The emulator on 127.0.0.1 with the client API, and the real bot polling it.

    ``staff``: names or ids made staff for this run, like TEPAI_STAFF_IDS (the operator who
    starts the emulator decides, never a client). ``make_services`` lets tests share one
    knowledge base; by default the services are opened as `tepai run` opens them.
    """

    def __init__(self, settings: Settings, staff: tuple[str, ...] = (), port: int = 0,
                 make_services=None) -> None:  # type: ignore[no-untyped-def]
        self.settings, self.staff, self.port = settings, staff, port
        self.people = People(settings.data_dir)
        self._make_services = make_services
        self.emu = None
        self.application = None
        self.services = None
        self.staff_ids: list[int] = []
        self._lock_handle = None

    def _greet(self, name: str | None, user_id: int | None, role: str | None):  # type: ignore[no-untyped-def]
        from bot.emulator.clients import ClientRefused

        if role == "staff":
            # Staff rights come from `tepai staff add` or `tepai emulator --staff`, never a client.
            raise ClientRefused("staff_not_grantable", 403)
        if role not in (None, "enterprise", "specialist"):
            raise ClientRefused("bad_role")
        try:
            if name is None and user_id is None and role in (None, "enterprise"):
                # Nobody in particular: the single-user chat's owner, the same person as ever.
                name, user_id = texts.CHAT_DEFAULT_NAMES["enterprise"], DEFAULT_OWNER_ID
            default = None if user_id else texts.CHAT_DEFAULT_NAMES[role or "enterprise"]
            user_id, name = self.people.resolve(name or default, user_id)
        except NameTaken:
            raise ClientRefused("name_taken", 409) from None
        if role != "specialist":
            return user_id, name

        async def mark_specialist():  # type: ignore[no-untyped-def]
            from store import repositories as repo

            async with self.services.db.session() as session, session.begin():
                await repo.touch_user(session, user_id, name)
                await repo.set_role(session, user_id, "specialist")
            return user_id, name
        return mark_specialist()

    async def start(self) -> SharedEmulator:
        import fcntl
        import json
        import os
        import secrets

        from bot.app import build_application, open_services, start_polling
        from bot.emulator import BotApiEmulator

        folder = shared_dir(self.settings.data_dir)
        handle = open(folder / "emulator.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise EmulatorBusy from None
        self._lock_handle = handle
        for entry in self.staff:
            entry = entry.strip()
            self.staff_ids.append(int(entry) if entry.isdigit() else self.people.resolve(entry, None)[0])
        token = f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(32)}"
        # strict_chats off: the bot may message anyone the database knows (an announcement to
        # someone with no terminal open is kept in their chat until they connect).
        emu = BotApiEmulator(token=token, host="127.0.0.1", port=self.port, strict_chats=False)
        self.secret = secret = secrets.token_urlsafe(32)
        emu.serve_clients(secret, self._greet)
        try:
            await emu.start()
        except OSError as exc:
            raise PortBusy(exc.strerror or str(exc)) from exc
        self.emu = emu
        staff_raw = ",".join(filter(None, [self.settings.staff_ids_raw.strip(","), *map(str, self.staff_ids)]))
        settings = self.settings.model_copy(update={
            "telegram_bot_token": emu.token, "telegram_api_base_url": emu.base_url,
            "telegram_api_file_url": emu.base_file_url, "staff_ids_raw": staff_raw,
        })
        if self._make_services is not None:
            self.services = self._make_services(settings)
        else:
            self.services = await asyncio.to_thread(open_services, settings)
        self.application = build_application(settings, self.services)
        await start_polling(self.application, timeout=1)
        self.url = f"http://{emu.host}:{emu.port}"
        _write_private(folder / CONNECTION_FILE, json.dumps(
            {"url": self.url, "secret": secret, "pid": os.getpid()}, ensure_ascii=False))
        return self

    async def stop(self) -> None:
        from bot.app import stop_polling

        if self._lock_handle is not None:  # ours to remove (not a running emulator's we were refused by)
            (Path(self.settings.data_dir) / SHARED_DIR / CONNECTION_FILE).unlink(missing_ok=True)
        if self.application is not None:
            await stop_polling(self.application)
            self.application = None
        if self.services is not None:
            await self.services.db.close()
            self.services = None
        if self.emu is not None:
            await self.emu.stop()
            self.emu = None
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    async def __aenter__(self) -> SharedEmulator:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def serve(settings: Settings, staff: tuple[str, ...] = (), port: int = 0,
                out: TextIO | None = None, stop: asyncio.Event | None = None) -> int:
    """`tepai emulator`: serve until Ctrl-C (or ``stop``); clients connect with `tepai chat`."""
    import signal

    from bot.logs import configure

    out = out or sys.stdout
    configure(settings.data_dir, "INFO")
    out.write(texts.CHAT_STARTING + "\n")
    out.flush()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests)
            pass
    try:
        async with SharedEmulator(settings, staff, port) as shared:
            out.write(texts.EMULATOR_READY.format(url=shared.url, dir=Path(settings.data_dir).resolve()) + "\n")
            for staff_id in shared.staff_ids:
                name = shared.people.resolve(None, staff_id)[1]
                out.write(texts.EMULATOR_STAFF.format(name=name, id=staff_id) + "\n")
            out.flush()
            await stop.wait()
    except EmulatorBusy:
        out.write(texts.EMULATOR_BUSY + "\n")
        return 4
    except PortBusy as exc:
        log.warning("cannot listen on 127.0.0.1:%s: %s", port, exc)
        out.write(texts.EMULATOR_PORT_BUSY.format(port=port) + "\n")
        return 4
    out.write(texts.EMULATOR_STOPPED + "\n")
    return 0


def run_emulator(settings: Settings, staff: tuple[str, ...] = (), port: int = 0) -> int:
    try:
        return asyncio.run(serve(settings, staff, port))
    except KeyboardInterrupt:
        print(texts.EMULATOR_STOPPED)
        return 0


async def chat_together(settings: Settings, stdin: TextIO | None = None, out: TextIO | None = None,
                        make_services=None) -> int | None:  # type: ignore[no-untyped-def]
    """`make run` without a token: the shared emulator in this process and its first client,
    so others can join from other terminals with `tepai chat --as NAME`. None if another
    process already serves this data dir (then join it as a client instead)."""
    from bot.chat_client import connect
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
