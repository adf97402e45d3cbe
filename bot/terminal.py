"""The terminal chat: the same bot and handlers over the local Bot API emulator.

Two ways to run it. bot/chat_server.py (`tepai emulator`, and `make run` without a token)
serves the emulator on 127.0.0.1 with the bot, so several `tepai chat` clients
(bot/chat_client.py) talk to it as different people. `chat` below is the single-user chat:
emulator, bot and one person in one process, as `tepai chat` runs when no emulator serves
the data dir. The screen helpers here are shared by both.

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

from core import texts
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
    """Wait for the bot's reaction to one input, then until it is done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        changed = len(emu.messages(screen.chat_id)) > before_messages or len(emu.answered_callbacks) > before_alerts
        if changed:
            break
        await asyncio.sleep(0.05)
    await _until_done(emu, screen, timeout)


async def _drain_owed(services, emu, screen: Screen, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait until the outbox has sent every message it owes (or `timeout`), then until done."""
    from store import outbox

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        async with services.db.session() as session:
            if not await outbox.waiting(session):
                break
        await asyncio.sleep(0.05)
    await _until_done(emu, screen, timeout)


async def _until_done(emu, screen: Screen, timeout: float) -> None:  # type: ignore[no-untyped-def]
    """Until the bot is idle (no update in hand: `emu.handling`, 0.3 s without a call), then show it."""
    try:
        await emu.wait_until_idle(quiet=0.3, timeout=timeout)
    except TimeoutError:
        pass
    screen.refresh()


async def chat(settings: Settings, role: str = "enterprise", user_id: int = 10001, name: str | None = None,
               stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    from bot.app import build_application, is_handling, open_services, start_polling, stop_polling
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
            person = await repo.touch_user(session, user_id, name)
            await repo.set_role(session, person.id, "specialist")
    application = build_application(chat_settings, services)
    # A handler that replies in several messages (a greeting, then the invitations waiting with
    # their buttons) may pause longer than the quiet between two of them on a busy machine; a
    # number typed in that pause would be read as a question.
    emu.handling = lambda: is_handling(application)
    await start_polling(application, timeout=1)
    screen = Screen(emu, user_id, out, files=Path(settings.data_dir) / TERMINAL_FILES)
    out.write(texts.CHAT_HELP.format(role=texts.ROLE_NAMES[role], user=user_id) + "\n")
    try:
        emu.user_sends_text(user_id, "/start", first_name=name)
        await _settle(emu, screen, 0, len(emu.answered_callbacks))
        # What the bot owes this person from before (an invitation sent while they were away) is
        # on the screen before the first prompt: a number typed next answers its buttons, as it
        # would for someone who sees it.
        await _drain_owed(services, emu, screen)
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
