"""Chroma vector store: embedded `PersistentClient` by default, a server via `CHROMA_URL`.

Several processes on one data directory (the bot, `tepai index`, `tepai specialists import`)
share the embedded store by two rules:

- **One operation at a time.** Every read and write holds `chroma.lock` (flock, waiting, never
  failing). Embedded Chroma writes its files even when it queries (it applies its log), so
  two processes at it together crash or corrupt it. Operations are milliseconds; a write
  batch a second or two, and slow work (embedding) happens before the turn is taken.
- **Reopen on change.** After a write a process replaces `chroma.changed` with a new stamp.
  At its next turn every other process compares the stamp (one `stat`) with the one it last
  saw and, if it moved, drops its Chroma system and opens a fresh one: an in-memory HNSW
  graph older than the disk fails ("Nothing found on disk", "Error finding id"), returns
  deleted vectors and misses new ones. A read that still fails is reopened and tried once more.

With `CHROMA_URL` the server is the single owner and none of this applies.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

COLLECTION_PREFIX = "tepai"
log = logging.getLogger(__name__)
T = TypeVar("T")


class ChromaHandle:
    """A process's Chroma client, kept current with what other processes wrote.

    `generation` counts reopenings; a `VectorStore` re-fetches its collection when it changes.
    """

    def __init__(self, client_factory: Callable[[], Any], path: Path | None = None) -> None:
        self._factory = client_factory
        self.path = path
        self.marker = path.with_name(f"{path.name}.changed") if path else None
        self._lockfile = path.with_name(f"{path.name}.lock") if path else None
        self.generation = 0
        # Opened on first use: importing chromadb and opening the client cost about a second,
        # which a question answered from a generation's own vectors never needs.
        self._client: Any = None
        self._seen: tuple[int, int, int] | None = None

    def _stamp(self) -> tuple[int, int, int] | None:
        if self.marker is None:
            return None
        try:
            st = os.stat(self.marker)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This process's turn at the embedded store: `chroma.lock`, exclusively.

        Reads too: embedded Chroma applies its pending log to the on-disk segments when it
        queries, so a "read" writes, and two processes doing that at once corrupt the store
        (seen as SIGSEGV and "Failed to apply logs to the metadata segment"). Each operation is
        milliseconds (a write batch, a second or two), so the others wait, never fail.
        """
        if self._lockfile is None:
            yield
            return
        self._lockfile.parent.mkdir(parents=True, exist_ok=True)
        # A fresh open file per use: flock locks belong to the open file, so threads of one
        # process take turns exactly as processes do.
        with self._lockfile.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _refresh(self, force: bool = False) -> None:
        """Reopen when another process wrote since this one last looked (called in our turn)."""
        if self._client is None:  # first use: opening creates Chroma's files the first time
            self._seen = self._stamp()
            self._client = self._factory()
            return
        if self.marker is None:
            return
        stamp = self._stamp()
        if force or stamp != self._seen:
            self._reopen()
            self._seen = stamp
            self.generation += 1

    def _reopen(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        old = self._client
        with contextlib.suppress(Exception):
            old.close()
        # Another client of this path in this process (a test, a benchmark) would keep the
        # stale system alive under the same key; drop it so the next client starts fresh.
        identifier = str(self.path)
        system = SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
        if system is not None:
            with contextlib.suppress(Exception):
                system.stop()
        self._client = self._factory()
        log.info("chroma at %s reopened: another process changed it", self.path)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Any]:
        with self._turn():
            self._refresh()
            yield self._client

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        """The client, in this process's turn; the change is stamped for the others after."""
        with self._turn():
            self._refresh()
            try:
                yield self._client
            finally:
                if self.marker is not None:
                    self._seen = self._bump()  # in our turn: nobody else changed anything since

    def _bump(self) -> tuple[int, int, int] | None:
        assert self.marker is not None
        tmp = self.marker.with_name(f"{self.marker.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(f"{os.getpid()} {os.urandom(8).hex()}\n", encoding="utf-8")
        os.replace(tmp, self.marker)  # a new inode: a reader's stat always sees the change
        return self._stamp()

    def retrying(self, action: Callable[[Any], T]) -> T:
        """Run a read; if Chroma fails (a write stamped late, a crash mid-write), reopen and
        try once more."""
        from chromadb.errors import ChromaError

        with self._turn():
            self._refresh()
            try:
                return action(self._client)
            except ChromaError as exc:
                if self.marker is None:
                    raise
                log.warning("chroma read failed (%s); reopening", type(exc).__name__)
                self._refresh(force=True)
                return action(self._client)


_HANDLES: dict[str, ChromaHandle] = {}
_HANDLES_LOCK = threading.Lock()


def _new_client(kind: str, **options: Any) -> Any:
    """`chromadb.<kind>(**options)`, imported only now (see ChromaHandle: opened on first use)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return getattr(chromadb, kind)(settings=ChromaSettings(anonymized_telemetry=False), **options)


def open_client(chroma_dir: Path, chroma_url: str | None) -> ChromaHandle:
    """The process's handle on Chroma: one per embedded directory, shared by every index."""
    if chroma_url:
        url = urlparse(chroma_url)
        return ChromaHandle(functools.partial(
            _new_client, "HttpClient",
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
        ))
    chroma_dir.mkdir(parents=True, exist_ok=True)
    path = chroma_dir.resolve()
    with _HANDLES_LOCK:
        handle = _HANDLES.get(str(path))
        if handle is None:
            handle = ChromaHandle(functools.partial(_new_client, "PersistentClient", path=str(path)), path)
            _HANDLES[str(path)] = handle
        return handle


def collection_name(kind: str, embedding: str) -> str:
    """One collection per (kind, embedding backend): vectors of two models never mix."""
    return f"{COLLECTION_PREFIX}-{kind}-{hashlib.sha1(embedding.encode()).hexdigest()[:12]}"


class VectorStore:
    """A cosine-similarity collection of vectors keyed by id."""

    def __init__(self, client, name: str) -> None:  # type: ignore[no-untyped-def]
        # A bare client (tests, tools) is wrapped: no cross-process stamping for it.
        self._handle = client if isinstance(client, ChromaHandle) else ChromaHandle(lambda: client)
        self.name = name
        self._cached: tuple[int, Any] | None = None
        self._read(lambda collection: None)  # created on open, as before

    @property
    def handle(self) -> ChromaHandle:
        return self._handle

    def _collection(self, client) -> Any:  # type: ignore[no-untyped-def]
        generation = self._handle.generation
        if self._cached is None or self._cached[0] != generation:
            self._cached = (generation, client.get_or_create_collection(
                self.name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}))
        return self._cached[1]

    def raw_collection(self) -> Any:
        """The Chroma collection itself, for benchmarks that read it directly."""
        return self._read(lambda collection: collection)

    def _read(self, action: Callable[[Any], T]) -> T:
        return self._handle.retrying(lambda client: action(self._collection(client)))

    def _write(self, action: Callable[[Any, Any], T]) -> T:
        with self._handle.writing() as client:
            return action(client, self._collection(client))

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict] | None = None,
               documents: Sequence[str] | None = None) -> None:
        def write(client, collection) -> None:  # type: ignore[no-untyped-def]
            batch = max(1, min(client.get_max_batch_size(), 4096))
            for start in range(0, len(ids), batch):
                stop = start + batch
                collection.upsert(
                    ids=list(ids[start:stop]),
                    embeddings=vectors[start:stop],
                    metadatas=list(metadatas[start:stop]) if metadatas else None,
                    documents=list(documents[start:stop]) if documents else None,
                )

        if len(ids):
            self._write(write)

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first."""
        # No count() first: at 300k vectors it costs ~20 ms, ten times the query itself;
        # Chroma returns fewer results (or none) when the collection is smaller than k.
        result = self._read(lambda collection: collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k,
            include=["distances"],
            where=where,
        ))
        ids = (result.get("ids") or [[]])[0] or []
        distances = (result.get("distances") or [None])[0] or [1.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances)]

    def query_with_metadata(self, vector: np.ndarray, k: int) -> list[tuple[float, dict]]:
        """(cosine similarity, metadata) best first."""
        result = self._read(lambda collection: collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k, include=["distances", "metadatas"],
        ))
        distances = (result.get("distances") or [None])[0] or []
        metadatas = (result.get("metadatas") or [None])[0] or []
        return [(1.0 - float(d), dict(m)) for d, m in zip(distances, metadatas) if m is not None]

    def delete_where(self, where: dict) -> None:
        self._write(lambda _, collection: collection.delete(where=where))

    def count_where(self, where: dict) -> int:
        return len(self._read(lambda collection: collection.get(where=where, include=[]))["ids"])

    def ids(self) -> set[str]:
        return set(self._read(lambda collection: collection.get(include=[]))["ids"])

    def has(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        found: set[str] = set()
        for start in range(0, len(ids), 4096):
            part = list(ids[start : start + 4096])
            found.update(self._read(lambda collection: collection.get(ids=part, include=[]))["ids"])
        return found

    def vectors_for(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        ids = list(dict.fromkeys(ids))  # Chroma refuses a request naming an id twice
        if not ids:
            return {}
        got = self._read(lambda collection: collection.get(ids=ids, include=["embeddings"]))
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def delete(self, ids: Sequence[str]) -> None:
        def write(_, collection) -> None:  # type: ignore[no-untyped-def]
            for start in range(0, len(ids), 4096):
                collection.delete(ids=list(ids[start : start + 4096]))

        if len(ids):
            self._write(write)

    def count(self) -> int:
        return int(self._read(lambda collection: collection.count()))
