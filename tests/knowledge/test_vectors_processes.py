"""Embedded Chroma written by another process: this one sees the change at its next read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.vectors import VectorStore, open_client

REPO = Path(__file__).resolve().parents[2]
WRITER = """
import sys
import numpy as np
from pathlib import Path
from knowledge.vectors import VectorStore, open_client

store = VectorStore(open_client(Path(sys.argv[1]), None), "tepai-test-vectors")
action = sys.argv[2]
if action == "add":
    vectors = np.eye(16, dtype=np.float32)[:8]
    store.upsert([f"v{n}" for n in range(8)], vectors, [{"sid": f"s{n}"} for n in range(8)])
else:
    store.delete_where({"sid": {"$in": ["s0", "s1"]}})
"""


def other_process(chroma: Path, action: str) -> None:
    done = subprocess.run([sys.executable, "-c", WRITER, str(chroma), action], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.heavy
def test_vectors_added_and_deleted_by_another_process_are_seen_at_the_next_read(tmp_path: Path) -> None:
    chroma = tmp_path / "chroma"
    store = VectorStore(open_client(chroma, None), "tepai-test-vectors")
    probe = np.eye(16, dtype=np.float32)[0]
    assert store.query(probe, 3) == []  # opened while empty: Chroma had nothing on disk yet

    other_process(chroma, "add")
    best = store.query(probe, 3)
    assert best[0][0] == "v0" and best[0][1] > 0.99 and store.count() == 8

    other_process(chroma, "delete")
    assert "v0" not in [i for i, _ in store.query(probe, 8)]
    assert store.ids() == {f"v{n}" for n in range(2, 8)}
    assert [m["sid"] for _, m in store.query_with_metadata(probe, 8)] and store.count() == 6


@pytest.mark.heavy
def test_a_process_does_not_reopen_for_its_own_writes(tmp_path: Path) -> None:
    handle = open_client(tmp_path / "chroma", None)
    store = VectorStore(handle, "tepai-test-vectors")
    store.upsert(["a"], np.ones((1, 8), dtype=np.float32), [{"sid": "a"}])
    assert store.count() == 1 and handle.generation == 0
    other_process(tmp_path / "chroma", "delete")  # a write elsewhere, even one that changes nothing
    assert store.count() == 1 and handle.generation == 1
