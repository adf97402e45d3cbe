"""Logging for every tepai process: detail to a file under the data directory, phones masked.

People see Chinese messages; the log keeps what went wrong (tracebacks, SQL and its
parameters, library warnings) for whoever maintains the bot. A mainland mobile number never
reaches a log in full: `13812345678` is written `138****5678`, in messages, arguments and
tracebacks alike, by one filter on every handler.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

LOG_FILE = "tepai.log"
FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"
# 11 digits starting 13–19, optionally after +86 / 86, not inside a longer number (credit
# codes, ids): what validators.mobile_phone accepts, as it may appear in text.
_PHONE = re.compile(r"(?<![0-9])((?:\+?86[- ]?)?1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])")


# A Telegram bot token (`123456789:AA…`), as it appears in request URLs a library may log.
_BOT_TOKEN = re.compile(r"(?<![0-9])[0-9]{5,12}:[A-Za-z0-9_-]{30,}")
# Libraries that log every request at INFO (with the token in the URL) or every job run.
_CHATTY = ("httpx", "httpcore", "apscheduler", "aiohttp.access", "telegram.ext.ExtBot")


def mask_phones(text: str) -> str:
    """`13812345678` → `138****5678` wherever a mobile number appears in `text` (bot tokens too)."""
    text = _BOT_TOKEN.sub("<token>", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class PhoneMaskFilter(logging.Filter):
    """Masks phone numbers in the finished message and in the traceback text of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log it as it is rather than lose it
            message = str(record.msg)
        record.msg, record.args = mask_phones(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phones(record.stack_info)
        return True


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / LOG_FILE


def configure(data_dir: Path, level: str = "INFO", console: bool = False) -> Path:
    """Send every record to `data_dir/logs/tepai.log` (rotated); to stderr too only if `console`.

    `console` is for the bot server (`tepai run` with a token), whose operator reads stderr;
    the CLI and the terminal chat keep their screen for Chinese messages only.
    """
    path = log_path(data_dir)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tepai", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"))
    except OSError:  # a read-only data dir: keep the detail on stderr rather than nowhere
        console = True
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler._tepai = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(PhoneMaskFilter())
        root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    logging.captureWarnings(True)  # pypdf's and matplotlib's warnings go to the log, not the screen
    return path


def mask_every_handler() -> None:
    """Put the phone mask on whatever handlers the root logger has (a test's, a benchmark's
    `basicConfig`), so a process that builds the bot without `configure` logs no phone either."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, PhoneMaskFilter) for f in handler.filters):
            handler.addFilter(PhoneMaskFilter())
