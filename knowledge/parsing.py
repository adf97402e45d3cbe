"""Parse untrusted files in a separate worker process, within hard limits.

A policy file may be hostile: a DOCX whose XML inflates to gigabytes, a PDF whose
content stream keeps a parser busy for half an hour, a small file that yields
hundreds of thousands of chunks. Reading and chunking therefore happen in a child
process that the caller never shares memory with:

- the child sets RLIMIT_AS on itself, so a bomb ends in MemoryError there, not in
  the bot or the CLI;
- the parent waits at most `timeout` seconds for each file and kills the child when
  it is late (the next file gets a fresh child);
- inside the child, formats check what they can before parsing (declared sizes in
  a DOCX zip, PDF page count and content size) and the result is capped in
  characters and chunks.

Library warnings (pypdf "Ignoring wrong pointing object…") are collected in the
child and logged by the parent at INFO under this module's logger, with the file
name: they are for the log, never for a user's screen.

Limits can be tuned by environment variables (see README, `tepai index`).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.sources import MB, Limits, UnreadableDocument, active_limits, use_limits

log = logging.getLogger(__name__)


@dataclass
class Parsed:
    """What the worker sends back for one file."""

    document: object | None = None  # knowledge.documents.Document
    chunks: list = field(default_factory=list)  # knowledge.chunking.Chunk
    reason: str | None = None  # why the file was refused (Chinese), or None
    warnings: list[str] = field(default_factory=list)
    peak_rss_kb: int = 0


def parse_file(path: Path, sha256: str, limits: Limits | None = None) -> Parsed:
    """Read, describe and chunk one file in this process (the worker's body)."""
    from knowledge.chunking import chunk_document
    from knowledge.documents import load_document

    if limits is not None:
        use_limits(limits)
    active = active_limits()
    try:
        document = load_document(path, sha256)
        chunks = chunk_document(document)
        if not chunks:
            raise UnreadableDocument("没有可索引的正文")
        if len(chunks) > active.chunks:
            raise UnreadableDocument(f"拆分出的条款片段过多（{len(chunks)}，上限 {active.chunks}）")
    except UnreadableDocument as exc:
        return Parsed(reason=exc.reason)
    except MemoryError:
        return Parsed(reason=MEMORY_REASON.format(mb=active.memory_bytes // MB))
    return Parsed(document, chunks)


STARTUP_SECONDS = 120.0
MEMORY_REASON = "解析所需内存超过上限（{mb} MB），疑似压缩炸弹或异常文件"
TIMEOUT_REASON = "解析超时（超过 {seconds:g} 秒），疑似异常文件"
CRASH_REASON = "解析进程异常退出，疑似异常文件"


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 50:
            self.messages.append(f"{record.name}: {record.getMessage()}"[:300])


def _peak_rss_kb() -> int:
    """This process's peak RSS since exec (VmHWM); ru_maxrss would include the parent's at fork."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _worker_main(fd: int) -> None:
    """Child process: set its own limits, then parse each file it is sent."""
    import resource
    import socket
    import warnings
    from multiprocessing.connection import Connection

    conn = Connection(socket.socket(fileno=fd).detach())
    limits: Limits = conn.recv()

    try:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    except (ValueError, OSError):  # a lower hard limit already applies
        pass
    # Library warnings go back to the parent's log, never to the terminal.
    collector = _WarningCollector()
    root = logging.getLogger()
    root.handlers[:] = [collector]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    # Import the parsers before the first file, so a file's time limit measures only its parsing.
    import knowledge.chunking  # noqa: F401
    import knowledge.documents  # noqa: F401
    import knowledge.formats  # noqa: F401

    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        path, sha256 = request
        collector.messages = []
        try:
            result = parse_file(Path(path), sha256, limits)
        except MemoryError:
            result = Parsed(reason=MEMORY_REASON.format(mb=limits.memory_bytes // MB))
        except Exception as exc:  # a parser bug must not kill the worker silently
            result = Parsed(reason="文件已损坏或格式不正确")
            collector.messages.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        result.warnings = collector.messages
        result.peak_rss_kb = _peak_rss_kb()
        try:
            conn.send(result)
        except MemoryError:
            conn.send(Parsed(reason=MEMORY_REASON.format(mb=limits.memory_bytes // MB)))


class ParseWorker:
    """One child process at a time, reused across files; replaced after a kill.

    The child is a fresh interpreter (`python -m knowledge.parsing`), not a fork:
    the bot has threads (asyncio's executor, Chroma), and a forked copy of a
    threaded process can deadlock. Nor is it multiprocessing's "spawn", which
    re-runs the caller's main script in the child.
    """

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_env()
        self._process: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._stderr = None
        self.peak_rss_kb = 0  # the largest child seen, for benchmarks and logs

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        self._stderr = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "knowledge.parsing", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._stderr, close_fds=True,
            )
        finally:
            theirs.close()
        self._process = process
        self._conn = Connection(ours.detach())
        self._conn.send(self.limits)
        # Start-up (a fresh interpreter importing python-docx, pypdf, bs4) is not the file's
        # time; on a loaded machine it can take seconds.
        if not (self._conn.poll(STARTUP_SECONDS) and self._conn.recv() == "ready"):
            raise OSError("parsing worker did not start")

    def _alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def parse(self, path: Path, sha256: str) -> Parsed:
        if not self._alive():
            self._kill()
            try:
                self._start()
            except (OSError, EOFError):
                log.error("parsing worker failed to start%s", self._stderr_tail())
                self._kill()
                return Parsed(reason=CRASH_REASON)
        assert self._conn is not None and self._process is not None
        started = time.monotonic()
        try:
            self._conn.send((str(path), sha256))
            ready = self._conn.poll(self.limits.timeout)
            result: Parsed | None = self._conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError):
            result = None
            ready = True
        elapsed = time.monotonic() - started
        if result is None:
            self._kill()
            reason = TIMEOUT_REASON.format(seconds=self.limits.timeout) if not ready else CRASH_REASON
            log.warning("parsing %s refused after %.1f s: %s%s", path.name, elapsed, reason, self._stderr_tail())
            return Parsed(reason=reason)
        self.peak_rss_kb = max(self.peak_rss_kb, result.peak_rss_kb)
        for message in result.warnings:
            log.info("%s: %s", path.name, message)
        if result.reason:
            log.info("parsing %s refused after %.1f s: %s", path.name, elapsed, result.reason)
            if result.reason.startswith(MEMORY_REASON[:8]):
                # A child that hit its address-space limit may be left fragmented: start afresh.
                self._kill()
        return result

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            tail = self._stderr.read()[-2000:].decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return f"\n{tail}" if tail else ""

    def _kill(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self._conn is not None:
            self._conn.close()
        if self._stderr is not None:
            self._stderr.close()
        self._process = self._conn = self._stderr = None

    def close(self) -> None:
        if self._alive() and self._conn is not None:
            try:
                self._conn.send(None)
                self._process.wait(2)  # type: ignore[union-attr]
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()


if __name__ == "__main__":
    # Run as `python -m knowledge.parsing FD`: objects must be sent as
    # knowledge.parsing's classes, not this __main__ copy's.
    from knowledge.parsing import _worker_main as _main

    _main(int(sys.argv[1]))
