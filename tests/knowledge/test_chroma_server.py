"""CHROMA_URL switches the vector store to a real Chroma server (several processes)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from knowledge.answers import Answerer
from knowledge.index import BUNDLED_CORPUS
from tests.conftest import make_kb


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        pytest.skip("chroma CLI not installed")
    port = free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path_factory.mktemp("chroma-server")), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.heavy
def test_index_and_answer_through_a_chroma_server(chroma_server: str, tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    kb = make_kb(tmp_path / "a", embeddings, CHROMA_URL=chroma_server)
    report = kb.index.update([BUNDLED_CORPUS])
    assert report.added == 1 and kb.index.vectors.count() > report.chunks
    assert not (tmp_path / "a" / "chroma").exists()  # nothing embedded locally
    # A second process sharing the data dir and the server answers from the same vectors.
    other = make_kb(tmp_path / "a", embeddings, CHROMA_URL=chroma_server)
    answer = Answerer(other.retriever).answer("Which tax deduction do registered tech SMEs get for R&D?")
    assert answer.answered and "加计扣除" in answer.citations[0].text
