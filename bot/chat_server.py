"""`tepai emulator`: the local Telegram and the bot in one process, for several `tepai chat`.

One process runs the emulator (with its client API, bot/emulator/clients.py) and the real
bot polling it, on 127.0.0.1; `tepai chat` clients in other terminals (bot/chat_client.py)
connect to it as different people, so staff answer an owner's hand-off and an announcement
reaches every open session. The address and a fresh secret are written to the data dir for
those clients only; names map to stable emulated ids (`People`). `make run` without a token
runs the same thing with its own terminal as the first client (`bot.chat_client.chat_together`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TextIO

from core import texts
from bot.settings import Settings

log = logging.getLogger(__name__)

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
                person = await repo.touch_user(session, user_id, name)
                await repo.set_role(session, person.id, "specialist")
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
