"""The policy index: chunks in Chroma (dense) and BM25 (lexical), updated atomically.

Layout under `TEPAI_DATA_DIR/index/`:

    CURRENT            name of the live generation, replaced atomically (os.replace)
    gen-<n>/manifest.json   documents (title, issuer, date, status, hash, chunk ids)
    gen-<n>/chunks.jsonl    every live chunk, verbatim
    gen-<n>/lexical/        BM25 over the chunks

An update embeds new chunks into Chroma first (ids derive from content, so an
interrupted run only leaves unreferenced vectors), writes a complete new generation,
then flips CURRENT. Until the flip, readers see the previous generation; afterwards,
vectors no generation references are deleted. A crash at any point leaves the
previous index queryable.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from knowledge import metadata
from knowledge.chunking import Chunk
from knowledge.documents import (
    STATUS_DRAFT,
    STATUS_RETIRED,
    UNCITABLE_STATUSES,
    Document,
    document_key,
    file_sha256,
)
from knowledge.embeddings import BaseEmbeddings
from knowledge.lexical import LexicalIndex
from knowledge.parsing import Limits, ParseWorker
from knowledge.readers import SUPPORTED_SUFFIXES, unsupported_reason
from knowledge.vectors import VectorStore, collection_name

BUNDLED_CORPUS = Path(__file__).resolve().parent / "corpus"
# How documents are chunked and tokenised. An index of another format (or built with
# another embedding model) is rebuilt from its documents before it is searched.
# 3: docx/html headings in the heading path, table rows kept as rows; 4: items keep their number;
# 5: a long sentence is also searched by its phrases (Chunk.units); 6: a web page's furniture
# marked by class or id, and any file's site lines (备案号, 当前位置…), are left out, a DOCX's Word list
# numbers (第%1条, （%1）) are read as printed (knowledge.numbering), and a PDF's running heads
# and feet are dropped (cleaning.strip_running_lines). A new format re-reads
# every file; only the chunks whose text changed are embedded again (ids follow the text).
INDEX_FORMAT = 6
_KEEP_GENERATIONS = 2
EMBED_BATCH = 256
# A library of up to this many sentence and phrase vectors (a few hundred documents; 92 MB)
# keeps them beside its generation, read memory-mapped: a question is compared with every one
# exactly, in well under a millisecond, instead of asking Chroma twice (~5 ms). Larger
# libraries are searched through Chroma's HNSW index alone.
IN_MEMORY_UNITS = 60_000
_DENSE_FILE = "dense.npy"  # float32, one row per unit, rows in chunk order
_DENSE_CHUNKS_FILE = "dense_chunks.npy"  # int32, the chunk position of each row


@dataclass
class DocRecord:
    key: str
    path: str
    title: str
    issuer: str | None
    date: str | None
    status: str  # current | draft | repealed | amended | retired (see knowledge.metadata)
    sha256: str
    chunk_ids: list[str]
    indexed_at: float = 0.0
    doc_number: str | None = None  # 文号
    effective: str | None = None  # 施行日期, ISO
    amended_by: str | None = None  # the newer document that amended this one
    detected: dict[str, str] = field(default_factory=dict)  # as read from the file
    overrides: dict[str, str] = field(default_factory=dict)  # staff corrections; survive re-indexing

    @property
    def is_draft(self) -> bool:
        return self.status == STATUS_DRAFT

    @property
    def citable(self) -> bool:
        return self.status not in UNCITABLE_STATUSES


@dataclass
class FileOutcome:
    path: str
    outcome: str  # added | updated | skipped | failed | pruned
    chunks: int = 0
    reason: str | None = None


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    pruned: int = 0
    chunks: int = 0  # live chunks after the run
    chunks_embedded: int = 0
    generation: str | None = None
    files: list[FileOutcome] = field(default_factory=list)

    def record(self, outcome: FileOutcome) -> None:
        self.files.append(outcome)
        setattr(self, outcome.outcome, getattr(self, outcome.outcome) + 1)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["documents"] = {k: data.pop(k) for k in ("added", "updated", "skipped", "failed", "pruned")}
        return data


class IndexBusy(Exception):
    """Another process is updating the index."""


class Snapshot:
    """One immutable generation, loaded in memory for querying."""

    def __init__(self, generation: str, embedding: str, docs: dict[str, DocRecord], chunks: list[Chunk],
                 lexical: LexicalIndex, format: int = INDEX_FORMAT) -> None:
        self.generation = generation
        self.embedding = embedding
        self.format = format
        self.docs = docs
        self.chunks = chunks
        self.position = {c.id: i for i, c in enumerate(chunks)}
        self.lexical = lexical
        # The generation's unit vectors, when it keeps them (IN_MEMORY_UNITS), else None.
        self.dense: np.ndarray | None = None
        self.dense_chunks: np.ndarray | None = None
        # Per chunk: may it be cited? (Retired and repealed documents are kept but never
        # cited.) A snapshot never changes, so this is computed once, not per question.
        self.searchable = np.fromiter(
            (docs[c.doc_key].citable for c in chunks), dtype=bool, count=len(chunks))


ProgressFn = Callable[[str, int, int], None]  # (stage or file name, done, total)


class KnowledgeIndex:
    def __init__(self, index_dir: Path, embeddings: BaseEmbeddings, embedding_name: str, chroma_client) -> None:  # type: ignore[no-untyped-def]
        self.index_dir = index_dir
        self.embeddings = embeddings
        self.embedding_name = embedding_name
        self._client = chroma_client
        self._vectors: VectorStore | None = None
        self._snapshot: Snapshot | None = None
        self._snapshot_marker: tuple[str, int] | None = None
        self.parse_limits: Limits | None = None  # None: defaults and environment
        self.parse_peak_rss_kb = 0  # the parsing worker's peak in the last update

    # -- reading -----------------------------------------------------------------

    @property
    def vectors(self) -> VectorStore:
        if self._vectors is None:
            self._vectors = VectorStore(self._client, collection_name("chunks", self.embedding_name))
        return self._vectors

    def _current_name(self) -> str | None:
        try:
            name = (self.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def snapshot(self) -> Snapshot | None:
        """The live generation; reloaded when another process has published a new one."""
        name = self._current_name()
        if name is None:
            return None
        if self._snapshot is None or self._snapshot.generation != name:
            self._snapshot = self._load(name)
        return self._snapshot

    def _load(self, name: str) -> Snapshot:
        gen_dir = self.index_dir / name
        manifest = json.loads((gen_dir / "manifest.json").read_text(encoding="utf-8"))
        docs = {d["key"]: DocRecord(**d) for d in manifest["documents"]}
        chunks = []
        with (gen_dir / "chunks.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                chunks.append(Chunk(**json.loads(line)))
        snap = Snapshot(name, manifest["embedding"], docs, chunks, LexicalIndex.load(gen_dir / "lexical"),
                        manifest.get("format", 1))
        if (gen_dir / _DENSE_FILE).is_file():
            # Memory-mapped: pages are read on first use, and shared by every process.
            dense = np.load(gen_dir / _DENSE_FILE, mmap_mode="r")
            rows = np.load(gen_dir / _DENSE_CHUNKS_FILE)
            if dense.shape[0] == rows.shape[0] and (not len(rows) or rows.max() < len(chunks)):
                snap.dense, snap.dense_chunks = dense, rows
        return snap

    def is_stale(self) -> bool:
        """Built with another embedding model or an older format: search would be wrong."""
        snap = self.snapshot()
        return snap is not None and (snap.embedding != self.embedding_name or snap.format != INDEX_FORMAT)

    def ensure_ready(self, default_paths: Iterable[Path] = (), progress: ProgressFn | None = None) -> IndexReport | None:
        """Index `default_paths` on first run; rebuild a stale index from its own documents.

        Changing `TEPAI_EMBEDDING` (or upgrading to a new index format) therefore needs no
        manual step: the next start re-reads every indexed file that still exists (a file
        that is gone keeps its stored clauses) and embeds it with the configured model.
        Returns None when nothing had to be done.
        """
        snap = self.snapshot()
        if snap is None:
            paths = list(default_paths)
            return self.update(paths, progress=progress) if paths else None
        if not self.is_stale():
            return None
        paths = [Path(d.path) for d in snap.docs.values() if Path(d.path).is_file()]
        return self.update(paths, progress=progress)

    def documents(self) -> list[DocRecord]:
        snap = self.snapshot()
        return sorted(snap.docs.values(), key=lambda d: d.title) if snap else []

    # -- writing -----------------------------------------------------------------

    @contextlib.contextmanager
    def _writer_lock(self) -> Iterator[None]:
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with (self.index_dir / ".lock").open("w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusy("另一个进程正在更新索引，请稍后再试") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def update(self, paths: Iterable[Path], prune: bool = False, progress: ProgressFn | None = None) -> IndexReport:
        """Index `paths` (files or directories) incrementally; publish atomically."""
        with self._writer_lock(), ParseWorker(self.parse_limits) as worker:
            report = self._update(list(paths), prune, progress or (lambda *_: None), worker)
            self.parse_peak_rss_kb = worker.peak_rss_kb
            return report

    def _update(self, paths: list[Path], prune: bool, progress: ProgressFn, worker: ParseWorker) -> IndexReport:
        report = IndexReport()
        current = self.snapshot()
        same_model = (current is not None and current.embedding == self.embedding_name
                      and current.format == INDEX_FORMAT)
        old_docs = dict(current.docs) if current else {}
        old_chunks: dict[str, list[Chunk]] = {}
        if current:
            for chunk in current.chunks:
                old_chunks.setdefault(chunk.doc_key, []).append(chunk)

        files, unsupported = expand_paths(paths)
        for path in unsupported:
            report.record(FileOutcome(str(path), "failed", reason=_unsupported_reason(path)))

        docs: dict[str, DocRecord] = {}
        chunks_by_doc: dict[str, list[Chunk]] = {}
        fresh: list[Chunk] = []
        # One file's content is indexed once: a copy under another name (the same notice in
        # two folders) would be quoted twice for every question it answers.
        named = {document_key(path) for path in files}
        holders = {record.sha256: record for key, record in old_docs.items()
                   if key not in named and not (prune and not Path(record.path).exists())}
        twins: set[str] = set()
        for number, path in enumerate(files, 1):
            progress(path.name, number - 1, len(files))
            key = document_key(path)
            try:
                sha = file_sha256(path)
            except OSError as exc:
                report.record(FileOutcome(str(path), "failed", reason=f"无法读取文件：{exc.strerror or exc}"))
                continue
            twin = holders.get(sha)
            if twin is not None:
                twins.add(key)  # an earlier copy indexed under this name goes too
                report.record(FileOutcome(str(path), "failed", reason=f"与已收录的《{twin.title}》内容相同，未重复收录"))
                continue
            previous = old_docs.get(key)
            if previous and previous.sha256 == sha and same_model and key in old_chunks:
                holders[sha] = previous
                docs[key] = previous
                chunks_by_doc[key] = old_chunks[key]
                report.record(FileOutcome(str(path), "skipped", len(previous.chunk_ids)))
                continue
            # Parsing runs in a worker process with memory and time limits: a hostile
            # file costs that process, never this one.
            parsed = worker.parse(path, sha)
            if parsed.reason is not None:
                report.record(FileOutcome(str(path), "failed", reason=parsed.reason))
                continue
            document, doc_chunks = parsed.document, parsed.chunks
            # Staff corrections and the retired flag outlive a new version of the file.
            overrides = dict(previous.overrides) if previous else {}
            docs[key] = holders[sha] = _record(document, doc_chunks, overrides,
                                               retired=bool(previous and previous.status == STATUS_RETIRED))
            chunks_by_doc[key] = doc_chunks
            fresh.extend(doc_chunks)
            report.record(FileOutcome(str(path), "updated" if previous else "added", len(doc_chunks)))

        # Documents not named in this run stay, unless pruned because their file is gone.
        for key, record in old_docs.items():
            if key in docs or key in twins:
                continue
            if prune and not Path(record.path).exists():
                report.record(FileOutcome(record.path, "pruned", len(record.chunk_ids)))
                continue
            if key in old_chunks:
                docs[key] = record
                chunks_by_doc[key] = old_chunks[key]
        if not same_model:
            # A new embedding model: every kept document goes into that model's collection
            # (`_embed` skips vectors the collection already holds).
            fresh = [c for key in sorted(docs) for c in chunks_by_doc[key]]

        progress("embedding", len(files), len(files))
        changed = bool(fresh) or report.pruned or (current is None and docs) or not same_model or bool(twins & old_docs.keys())
        if not changed:
            report.chunks = len(current.chunks) if current else 0
            report.generation = current.generation if current else None
            return report

        self._embed(fresh, progress)
        report.chunks_embedded = len(fresh)
        all_chunks = [c for key in sorted(docs) for c in chunks_by_doc[key]]
        generation = self._publish(docs, all_chunks)
        report.chunks = len(all_chunks)
        report.generation = generation
        self._collect_garbage({u for c in all_chunks for u in c.unit_ids()})
        return report

    def _embed(self, chunks: list[Chunk], progress: ProgressFn) -> None:
        """Store one vector per unit (sentence or phrase): a clause is found by its best one."""
        units: list[tuple[str, str, Chunk]] = []
        for chunk in chunks:
            texts = chunk.units
            units.extend(zip(chunk.unit_ids(), texts, [chunk] * len(texts)))
        present = self.vectors.has([u[0] for u in units])
        todo = [u for u in units if u[0] not in present]
        for start in range(0, len(todo), EMBED_BATCH):
            batch = todo[start : start + EMBED_BATCH]
            # A list's lead sentence recurs in front of every item: embed each text once.
            unique = list(dict.fromkeys(text for _, text, _ in batch))
            encoded = self.embeddings.embed_array(unique)
            row = {text: n for n, text in enumerate(unique)}
            vectors = encoded[[row[text] for _, text, _ in batch]]
            self.vectors.upsert(
                [unit_id for unit_id, _, _ in batch],
                vectors,
                metadatas=[{"chunk_id": c.id, "doc_key": c.doc_key} for _, _, c in batch],
                documents=[text for _, text, _ in batch],
            )
            progress("embedding", start + len(batch), len(todo))

    def _publish(self, docs: dict[str, DocRecord], chunks: list[Chunk], like: Snapshot | None = None) -> str:
        """Write a complete generation beside the live one, then flip CURRENT.

        `like`: keep that generation's model and format (a status change re-embeds nothing).
        """
        self.index_dir.mkdir(parents=True, exist_ok=True)
        generation = f"gen-{time.time_ns()}"
        staging = self.index_dir / f".staging-{generation}"
        staging.mkdir()
        try:
            manifest = {
                "embedding": like.embedding if like else self.embedding_name,
                "format": like.format if like else INDEX_FORMAT,
                "created_at": time.time(),
                "documents": [asdict(d) for d in docs.values()],
            }
            _write_synced(staging / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
            _write_synced(
                staging / "chunks.jsonl",
                "".join(json.dumps(asdict(c), ensure_ascii=False) + "\n" for c in chunks),
            )
            LexicalIndex.build(c.index_text for c in chunks).save(staging / "lexical")
            if (like.embedding if like else self.embedding_name) == self.embedding_name:
                self._write_dense(staging, chunks, like)
            os.rename(staging, self.index_dir / generation)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        pointer = self.index_dir / "CURRENT.tmp"
        _write_synced(pointer, generation)
        os.replace(pointer, self.index_dir / "CURRENT")
        _fsync_dir(self.index_dir)
        self._snapshot = None
        self._prune_generations(generation)
        return generation

    def _write_dense(self, directory: Path, chunks: list[Chunk], like: Snapshot | None = None) -> None:
        """The generation's unit vectors as one matrix (see IN_MEMORY_UNITS); nothing when the
        library is larger or a vector is missing (search then asks Chroma, as before).
        `like` with the same chunks (a status change): its files are linked, not read again."""
        source = self.index_dir / like.generation if like is not None and like.chunks is chunks else None
        if source is not None and (source / _DENSE_FILE).is_file() and (source / _DENSE_CHUNKS_FILE).is_file():
            for name in (_DENSE_FILE, _DENSE_CHUNKS_FILE):
                try:
                    os.link(source / name, directory / name)  # generations never change their files
                except OSError:
                    shutil.copyfile(source / name, directory / name)
            return
        units = [(pos, unit_id) for pos, chunk in enumerate(chunks) for unit_id in chunk.unit_ids()]
        if not units or len(units) > IN_MEMORY_UNITS:
            return
        stored: dict[str, np.ndarray] = {}
        for start in range(0, len(units), 4096):
            stored.update(self.vectors.vectors_for([u for _, u in units[start : start + 4096]]))
        if len(stored) < len(units):
            return
        matrix = np.stack([stored[u] for _, u in units]).astype(np.float32)
        for name, array in ((_DENSE_FILE, matrix), (_DENSE_CHUNKS_FILE, np.array([p for p, _ in units], dtype=np.int32))):
            with (directory / name).open("wb") as handle:
                np.save(handle, array)
                handle.flush()
                os.fsync(handle.fileno())

    def _prune_generations(self, live: str) -> None:
        gens = sorted(p for p in self.index_dir.glob("gen-*") if p.is_dir())
        for old in gens[:-_KEEP_GENERATIONS]:
            if old.name != live:
                shutil.rmtree(old, ignore_errors=True)
        for staging in self.index_dir.glob(".staging-*"):
            shutil.rmtree(staging, ignore_errors=True)

    def _collect_garbage(self, live_ids: set[str]) -> None:
        # Vectors of replaced or pruned documents, and leftovers of interrupted runs.
        stale = [i for i in self.vectors.ids() if i not in live_ids]
        if stale:
            self.vectors.delete(stale)

    def set_status(self, key: str, status: str) -> DocRecord:
        """Retire a document (never cited again) or restore it; publishes a new generation."""
        if status not in (*metadata.STATUSES, STATUS_RETIRED):
            raise ValueError(status)
        with self._writer_lock():
            snap = self.snapshot()
            if snap is None or key not in snap.docs:
                raise KeyError(key)
            docs = dict(snap.docs)
            docs[key] = DocRecord(**{**asdict(docs[key]), "status": status})
            self._publish(docs, snap.chunks, like=snap)
            return docs[key]

    def restore(self, key: str) -> DocRecord:
        """Undo a retirement: the document gets back the status it has on its own."""
        with self._writer_lock():
            snap = self.snapshot()
            if snap is None or key not in snap.docs:
                raise KeyError(key)
            record = snap.docs[key]
            status = metadata.resolve(record.detected or _legacy_detected(record), record.overrides)["status"]
            docs = dict(snap.docs)
            docs[key] = DocRecord(**{**asdict(record), "status": status})
            self._publish(docs, snap.chunks)
            return docs[key]

    def set_metadata(self, key: str, changes: dict[str, str | None]) -> DocRecord:
        """Staff corrections (field → value, None to clear); kept across re-indexing.

        Raises `KeyError` for an unknown document, `metadata.InvalidValue` for a bad value.
        """
        cleaned = {}
        for name, value in changes.items():
            if name not in metadata.FIELDS:
                raise metadata.InvalidValue(f"没有这个字段：{name}")
            cleaned[name] = metadata.normalize(name, value)
        with self._writer_lock():
            snap = self.snapshot()
            if snap is None or key not in snap.docs:
                raise KeyError(key)
            record = snap.docs[key]
            overrides = dict(record.overrides)
            for name, value in cleaned.items():
                if value is None:
                    overrides.pop(name, None)
                else:
                    overrides[name] = value
            detected = record.detected or _legacy_detected(record)
            retired = record.status == STATUS_RETIRED and "status" not in cleaned
            docs = dict(snap.docs)
            docs[key] = _apply(record, detected, overrides, retired)
            self._publish(docs, snap.chunks)
            return docs[key]


def _record(document: Document, chunks: list[Chunk], overrides: dict[str, str], retired: bool) -> DocRecord:
    record = DocRecord(
        key=document.key,
        path=str(document.path.resolve()),
        title=document.title,
        issuer=None,
        date=None,
        status=document.status,
        sha256=document.sha256,
        chunk_ids=[c.id for c in chunks],
        indexed_at=time.time(),
    )
    return _apply(record, document.metadata(), overrides, retired)


def _apply(record: DocRecord, detected: dict[str, str], overrides: dict[str, str], retired: bool) -> DocRecord:
    """`record` with its fields resolved from what was read and what staff corrected."""
    values = metadata.resolve(detected, overrides)
    values["title"] = values["title"] or record.title
    if retired:
        values["status"] = STATUS_RETIRED
    return DocRecord(**{**asdict(record), **values, "detected": dict(detected), "overrides": dict(overrides)})


def _legacy_detected(record: DocRecord) -> dict[str, str]:
    # Manifests written before metadata was kept separately: the record is what was read.
    values = {name: getattr(record, name) for name in metadata.FIELDS}
    if values["status"] == STATUS_RETIRED:
        values["status"] = STATUS_DRAFT if any(m in record.title for m in metadata.DRAFT_MARKERS) else None
    return {k: v for k, v in values.items() if v}


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """(supported files, everything else) under `paths`; hidden files in directories are ignored."""
    files: list[Path] = []
    unsupported: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(
                p for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            candidates = [path]  # a missing file is reported when it is read
        for candidate in candidates:
            (files if candidate.suffix.lower() in SUPPORTED_SUFFIXES else unsupported).append(candidate)
    return files, unsupported


def _unsupported_reason(path: Path) -> str:
    if not path.exists():
        return "文件不存在"
    if path.is_dir():
        return "是目录"
    return unsupported_reason(path.suffix)


def _write_synced(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
