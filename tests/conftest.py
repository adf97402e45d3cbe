"""Shared fixtures: every test gets its own data dir; each real encoder loads once."""

from __future__ import annotations

import contextlib
import functools
import io
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import DEFAULT_EMBEDDING

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parent.parent
CORPUS_FILE = next((REPO / "knowledge" / "corpus").glob("*.txt"))


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`slow` is the older name of `heavy`: `make test` (`-m "not heavy"`) leaves out both."""
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("heavy"):
            item.add_marker(pytest.mark.heavy)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point all data at a tmpdir and run away from the repo's own `.env`."""
    data = tmp_path / "data"
    monkeypatch.setenv("TEPAI_DATA_DIR", str(data))
    for name in ("CHROMA_URL", "TEPAI_EMBEDDING", "TEPAI_ANSWER_MODE", "TEPAI_MIN_CONFIDENCE",
                 "TEPAI_LLM_BASE_URL", "TEPAI_LLM_MODEL", "TEPAI_LLM_API_KEY", "TEPAI_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return data


@pytest.fixture(scope="session", autouse=True)
def _e5_remembers_what_it_encoded():  # type: ignore[no-untyped-def]
    """e5-small's vectors kept per text for the whole session, in this process.

    e5 gives a text the same vector alone or in any batch (checked bit for bit), so every test
    still gets exactly what the model computes; what goes is encoding the bundled plan, the
    specialist pool and the matching background again for each test and in-process command.
    """
    from knowledge.embeddings import E5SmallEmbeddings

    memo: dict[tuple[bool, str], object] = {}
    lock = threading.Lock()

    def remembering(encode, query: bool):  # type: ignore[no-untyped-def]
        def remembered(self, texts: list[str]):  # type: ignore[no-untyped-def]
            import numpy as np

            with lock:
                missing = [t for t in dict.fromkeys(texts) if (query, t) not in memo]
            if missing:
                vectors = np.asarray(encode(self, missing), dtype=np.float32).reshape(len(missing), -1)
                with lock:
                    memo.update(((query, t), v.copy()) for t, v in zip(missing, vectors))
            with lock:
                return np.stack([memo[(query, t)] for t in texts])
        return remembered

    patch = pytest.MonkeyPatch()
    patch.setattr(E5SmallEmbeddings, "_encode", remembering(E5SmallEmbeddings._encode, False))
    patch.setattr(E5SmallEmbeddings, "_encode_queries", remembering(E5SmallEmbeddings._encode_queries, True))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def embeddings():
    """The default encoder (TEPAI_EMBEDDING unset: e5-small), loaded once per session."""
    from knowledge.embeddings import make_embeddings

    model = make_embeddings(DEFAULT_EMBEDDING)
    model.load()
    return model


@pytest.fixture(scope="session")
def use_embeddings():
    """The Universal Sentence Encoder, still selectable (TEPAI_EMBEDDING=use-multilingual)."""
    from knowledge.embeddings import UseMultilingualEmbeddings

    model = UseMultilingualEmbeddings()
    model.load()
    return model


def make_kb(data_dir: Path, embeddings, **env: str):  # type: ignore[no-untyped-def]
    from bot.settings import load_settings
    from knowledge.service import open_knowledge

    # The index must be told which model made its vectors (abstention is calibrated per model).
    settings = load_settings({"TEPAI_DATA_DIR": str(data_dir), "TEPAI_EMBEDDING": embeddings.name, **env})
    return open_knowledge(settings.knowledge, embeddings=embeddings)


def make_library(tmp_path_factory: pytest.TempPathFactory, embeddings, documents: dict[str, str],
                 *extra: Path):  # type: ignore[no-untyped-def]
    """A knowledge base over `documents` (file name → text) written for a test, plus `extra` paths."""
    folder = tmp_path_factory.mktemp("library")
    for name, text in documents.items():
        (folder / name).write_text(text, encoding="utf-8")
    kb = make_kb(tmp_path_factory.mktemp("library-data"), embeddings)
    kb.index.update([*extra, folder])
    return kb


@pytest.fixture(scope="session")
def hashing_embeddings():  # type: ignore[no-untyped-def]
    """The model-free stand-in (TEPAI_EMBEDDING=hashing): for tests where any index will do."""
    from knowledge.embeddings import make_embeddings

    return make_embeddings("hashing")


@pytest.fixture
def kb(tmp_path: Path, hashing_embeddings):  # type: ignore[no-untyped-def]
    """An empty knowledge base in this test's data dir, on the hashing stand-in: its tests are
    about indexing, citing and declining, not about which encoder ranks best."""
    return make_kb(tmp_path / "kb", hashing_embeddings)


@pytest.fixture(scope="session")
def policy_kb(tmp_path_factory: pytest.TempPathFactory, embeddings):  # type: ignore[no-untyped-def]
    """The bundled policy, indexed once per session; tests must not modify it."""
    from knowledge.index import BUNDLED_CORPUS

    base = make_kb(tmp_path_factory.mktemp("policy"), embeddings)
    base.index.update([BUNDLED_CORPUS])
    return base


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three bombs of tests/hostile_files.py, built once (1 GB of XML takes a while to
    compress); tests read them, never change them."""
    from tests.hostile_files import docx_chunk_flood, docx_zip_bomb, pdf_stream_bomb

    folder = tmp_path_factory.mktemp("hostile")
    return {
        "zip_bomb": docx_zip_bomb(folder / "高企申报指南.docx"),
        "stream_bomb": pdf_stream_bomb(folder / "补助通知.pdf"),
        "chunk_flood": docx_chunk_flood(folder / "条款汇编.docx"),
    }


PG_ENV = "TEPAI_TEST_DATABASE_URL"
_worker_databases: dict[str, str] = {}


def postgres_url() -> str:
    """TEPAI_TEST_DATABASE_URL, or skip. Under pytest-xdist each worker gets a database of its own
    (`tepai_test_gw0`, …, made on first use), since every test wipes the one it uses."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} not set (`.ci/run` sets it)")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    if url not in _worker_databases:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from store.db import sync_url

        base = make_url(url)
        name = f"{base.database}_{worker}"
        engine = create_engine(sync_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        _worker_databases[url] = base.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[url]


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    from store.db import sync_url

    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def _backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where this test's database lives: SQLite, and PostgreSQL when TEPAI_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tepai.db'}"
    return postgres_url()


@pytest.fixture
def database_url(_backend: str) -> str:
    """An empty database: the same tests on SQLite and, when TEPAI_TEST_DATABASE_URL is set,
    PostgreSQL. Empty, not migrated: migration tests start from any revision they like."""
    if not _backend.startswith("sqlite"):
        reset_postgres(_backend)
    return _backend


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head, copied for each test that wants a migrated database."""
    from store.db import upgrade

    path = tmp_path_factory.mktemp("schema") / "tepai.db"
    upgrade(f"sqlite:///{path}")
    return path


@functools.cache
def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from store.db import MIGRATIONS

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _empty_postgres_at_head(url: str) -> None:
    """PostgreSQL at the head revision with no rows: emptied in place when it is already there
    (TRUNCATE … RESTART IDENTITY: ids start at 1 as in a new database), else rebuilt."""
    from sqlalchemy import create_engine, inspect, text

    from store.db import sync_url, upgrade

    head = _head_revision()
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            tables = inspect(conn).get_table_names()
            at_head = "alembic_version" in tables and conn.scalar(text("SELECT version_num FROM alembic_version")) == head
            if at_head:
                listed = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
                conn.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
                return
    finally:
        engine.dispose()
    reset_postgres(url)
    upgrade(url)


@pytest.fixture
def migrated_url(_backend: str, _migrated_sqlite: Path) -> str:
    """This test's database at the head revision, empty. SQLite gets a copy of a file migrated
    once per session (Alembic then finds nothing to do); PostgreSQL is migrated once per worker
    and emptied for each test."""
    import shutil

    from sqlalchemy.engine import make_url

    from store.db import upgrade

    if make_url(_backend).get_backend_name() == "sqlite":
        shutil.copyfile(_migrated_sqlite, make_url(_backend).database)
        upgrade(_backend)
    else:
        _empty_postgres_at_head(_backend)
    return _backend


@pytest.fixture
async def db(migrated_url: str):  # type: ignore[no-untyped-def]
    """The store on a migrated database (SQLite, and PostgreSQL when configured), closed after."""
    from store.db import Database

    database = Database.open(migrated_url)
    yield database
    await database.close()


@dataclass(frozen=True)
class Done:
    """What a `tepai` command left behind, as `subprocess.run` would report it."""

    returncode: int
    stdout: str
    stderr: str


def tepai(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Done:
    """`tepai ARGS` in this process: the same `main` the script runs, with `env` added to the
    environment, `stdin` as its input and its output captured (no interpreter start-up).

    Output is caught at both levels a process has: `sys.stdout`/`sys.stderr`, and file
    descriptors 1 and 2 (what a child such as the parsing worker, or C code, would write to).
    Commands run their own event loop: from an async test, `await asyncio.to_thread(tepai, ...)`.
    """
    import tempfile

    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryFile() as fd_out, \
            tempfile.TemporaryFile() as fd_err:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        patch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        saved = os.dup(1), os.dup(2)
        os.dup2(fd_out.fileno(), 1)
        os.dup2(fd_err.fileno(), 2)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(list(args))
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        fd_out.seek(0)
        fd_err.seek(0)
        below = fd_out.read().decode("utf-8", "replace"), fd_err.read().decode("utf-8", "replace")
    return Done(code, out.getvalue() + below[0], err.getvalue() + below[1])
