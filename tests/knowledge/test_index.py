"""Incremental, atomic indexing: what an operator sees when running `tepai index`."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge.index import IndexBusy
from tests.conftest import CORPUS_FILE, make_kb


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def policy_copy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(CORPUS_FILE, folder / CORPUS_FILE.name))


def test_first_run_adds_then_unchanged_files_are_skipped(kb, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    policy_copy(docs)
    first = kb.index.update([docs])
    assert (first.added, first.skipped, first.failed) == (1, 0, 0)
    assert first.chunks > 10 and first.chunks_embedded == first.chunks
    second = kb.index.update([docs])
    assert (second.added, second.updated, second.skipped) == (0, 0, 1)
    assert second.chunks_embedded == 0 and second.generation == first.generation


def test_changed_document_has_its_chunks_replaced(kb, tmp_path: Path) -> None:
    source = write(tmp_path / "docs" / "notice.txt", "一、补助\n对研发投入给予百分之十补助。")
    kb.index.update([source])
    old_ids = set(kb.index.snapshot().docs[str(source.resolve())].chunk_ids)
    write(source, "一、补助\n对研发投入给予百分之二十补助。")
    report = kb.index.update([source])
    assert report.updated == 1
    snap = kb.index.snapshot()
    texts = [c.text for c in snap.chunks]
    assert texts == ["对研发投入给予百分之二十补助。"]
    new_ids = set(snap.docs[str(source.resolve())].chunk_ids)
    assert old_ids.isdisjoint(new_ids)
    stored = kb.index.vectors.ids()
    assert not any(i.split(":")[0] in old_ids for i in stored)
    assert {i.split(":")[0] for i in stored} == new_ids


def test_prune_removes_documents_whose_file_is_gone(kb, tmp_path: Path) -> None:
    keep = write(tmp_path / "docs" / "keep.txt", "一、目标\n推进科技创新。")
    gone = write(tmp_path / "docs" / "gone.txt", "一、目标\n加强人才培养。")
    kb.index.update([tmp_path / "docs"])
    gone.unlink()
    without_prune = kb.index.update([keep])
    assert without_prune.pruned == 0 and len(kb.index.snapshot().docs) == 2
    report = kb.index.update([keep], prune=True)
    assert report.pruned == 1
    assert [d.path for d in kb.index.documents()] == [str(keep.resolve())]
    assert all("人才" not in c.text for c in kb.index.snapshot().chunks)


def test_bad_files_are_reported_by_name_and_skipped(kb, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    good = write(docs / "good.txt", "一、目标\n推进科技创新。")
    write(docs / "empty.txt", "")
    (docs / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    write(docs / ".hidden.txt", "隐藏文件不索引。")
    report = kb.index.update([docs, tmp_path / "missing.pdf"])
    reasons = {Path(f.path).name: f.reason for f in report.files if f.outcome == "failed"}
    assert set(reasons) == {"empty.txt", "picture.png", "binary.txt", "missing.pdf"}
    assert "空" in reasons["empty.txt"]
    assert "不支持" in reasons["picture.png"]
    assert "二进制" in reasons["binary.txt"]
    assert report.added == 1 and list(kb.index.snapshot().docs) == [str(good.resolve())]


def test_a_failing_run_leaves_the_previous_index_queryable(kb, tmp_path: Path, monkeypatch) -> None:
    first = write(tmp_path / "docs" / "a.txt", "一、目标\n推进科技创新。")
    kb.index.update([first])
    before = kb.index.snapshot().generation
    write(tmp_path / "docs" / "b.txt", "一、人才\n加强人才培养。")

    def broken(_texts):  # the model dies half-way through embedding
        raise RuntimeError("embedding crashed")

    monkeypatch.setattr(kb.embeddings, "embed_array", broken)
    with pytest.raises(RuntimeError):
        kb.index.update([tmp_path / "docs"])
    monkeypatch.undo()
    fresh = make_kb(kb.config.data_dir, kb.embeddings)  # a new process reading from disk
    snap = fresh.index.snapshot()
    assert snap.generation == before and [c.text for c in snap.chunks] == ["推进科技创新。"]
    assert fresh.retriever.search("科技创新", 1)[0].chunk.text == "推进科技创新。"
    assert not list(kb.config.index_dir.glob(".staging-*"))


def test_failure_while_publishing_keeps_the_previous_generation(kb, tmp_path: Path, monkeypatch) -> None:
    source = write(tmp_path / "docs" / "a.txt", "一、目标\n推进科技创新。")
    kb.index.update([source])
    before = kb.index.snapshot().generation
    write(source, "一、目标\n推进科技创新和成果转化。")
    import knowledge.index as index_module

    def broken_build(_passages):
        raise OSError("disk full")

    monkeypatch.setattr(index_module.LexicalIndex, "build", staticmethod(broken_build))
    with pytest.raises(OSError):
        kb.index.update([source])
    monkeypatch.undo()
    snap = make_kb(kb.config.data_dir, kb.embeddings).index.snapshot()
    assert snap.generation == before and snap.chunks[0].text == "推进科技创新。"
    # The next run recovers and cleans up the vectors the failed run left behind.
    kb.index.update([source])
    live = {u for c in kb.index.snapshot().chunks for u in c.unit_ids()}
    assert kb.index.vectors.ids() == live


def test_a_second_writer_is_refused_while_one_runs(kb, tmp_path: Path) -> None:
    source = write(tmp_path / "a.txt", "一、目标\n推进科技创新。")
    with kb.index._writer_lock():
        with pytest.raises(IndexBusy):
            kb.index.update([source])


def test_retired_documents_are_never_cited_and_stay_retired(kb, tmp_path: Path) -> None:
    source = write(tmp_path / "docs" / "old.txt", "一、补助\n对研发投入给予百分之十补助。")
    kb.index.update([source])
    key = str(source.resolve())
    assert kb.retriever.search("研发投入补助", 3)
    kb.index.set_status(key, "retired")
    assert kb.retriever.search("研发投入补助", 3) == []
    write(source, "一、补助\n对研发投入给予百分之二十补助。")
    kb.index.update([source])
    assert kb.index.snapshot().docs[key].status == "retired"
    kb.index.set_status(key, "current")
    assert kb.retriever.search("研发投入补助", 3)[0].chunk.text == "对研发投入给予百分之二十补助。"


def test_the_same_file_in_two_folders_is_indexed_and_cited_once(kb, tmp_path: Path) -> None:
    text = "一、补助\n对研发投入给予百分之十补助。"
    first = write(tmp_path / "docs" / "notice.txt", text)
    copy = write(tmp_path / "docs" / "old" / "notice-copy.txt", text)
    report = kb.index.update([tmp_path / "docs"])
    assert (report.added, report.failed) == (1, 1)
    refused = next(f for f in report.files if f.outcome == "failed")
    assert "内容相同" in refused.reason and "未重复收录" in refused.reason
    assert len(kb.index.snapshot().docs) == 1
    hits = kb.retriever.search("研发投入补助", 3)
    assert [h.chunk.text for h in hits] == ["对研发投入给予百分之十补助。"]
    # Later runs: the copy stays out, also when named on its own; gone the first, it comes in.
    assert kb.index.update([copy]).failed == 1
    first.unlink()
    again = kb.index.update([tmp_path / "docs"], prune=True)
    assert (again.added, again.pruned) == (1, 1)
    assert set(kb.index.snapshot().docs) == {str(copy.resolve())}


def test_a_file_edited_into_a_copy_of_another_is_refused_and_its_old_text_goes(kb, tmp_path: Path) -> None:
    write(tmp_path / "docs" / "a.txt", "一、补助\n对研发投入给予百分之十补助。")
    b = write(tmp_path / "docs" / "b.txt", "一、奖励\n对新认定的高新技术企业给予奖励。")
    kb.index.update([tmp_path / "docs"])
    write(b, "一、补助\n对研发投入给予百分之十补助。")
    report = kb.index.update([tmp_path / "docs"])
    assert report.failed == 1 and "内容相同" in report.files[-1].reason
    assert [c.text for c in kb.index.snapshot().chunks] == ["对研发投入给予百分之十补助。"]


def test_stored_vectors_asked_for_twice_are_returned_once(kb, tmp_path: Path) -> None:
    kb.index.update([write(tmp_path / "docs" / "a.txt", "一、补助\n对研发投入给予百分之十补助。")])
    ids = kb.index.vectors.ids()
    got = kb.index.vectors.vectors_for(list(ids) + list(ids))
    assert set(got) == set(ids)


def _search_both_ways(kb, question: str):  # type: ignore[no-untyped-def]
    """(with the generation's matrix, through Chroma alone): ids and cosines of the first five."""
    snap = kb.index.snapshot()
    exact = [(h.chunk.id, round(h.dense, 4)) for h in kb.retriever.search(question, 5)]
    kept = snap.dense, snap.dense_chunks
    snap.dense = snap.dense_chunks = None
    try:
        through_chroma = [(h.chunk.id, round(h.dense, 4)) for h in kb.retriever.search(question, 5)]
    finally:
        snap.dense, snap.dense_chunks = kept
    return exact, through_chroma


def test_a_small_library_keeps_its_vectors_beside_the_generation_and_ranks_as_through_chroma(
        tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    kb = make_kb(tmp_path / "kb", embeddings)
    policy_copy(tmp_path / "docs")
    kb.index.update([tmp_path / "docs"])
    snap = kb.index.snapshot()
    units = sum(len(c.unit_ids()) for c in snap.chunks)
    assert snap.dense is not None and snap.dense.shape == (units, 384) and len(snap.dense_chunks) == units
    for question in ("特派员征集选聘公告面向哪些单位发布？", "到2027年要覆盖多少企业", "研发投入补助"):
        exact, through_chroma = _search_both_ways(kb, question)
        assert exact == through_chroma
    # A status change publishes a new generation: it keeps the matrix, and retired clauses stay out.
    key = next(iter(snap.docs))
    kb.index.set_status(key, "retired")
    after = kb.index.snapshot()
    assert after.generation != snap.generation and np.array_equal(after.dense, snap.dense)
    assert np.array_equal(after.dense_chunks, snap.dense_chunks)
    assert kb.retriever.search("特派员征集选聘公告面向哪些单位发布？", 5) == []


def test_a_question_to_a_small_library_never_opens_chroma(tmp_path: Path, embeddings) -> None:  # type: ignore[no-untyped-def]
    """`tepai ask` in a new process: importing chromadb and opening it cost about a second."""
    import subprocess
    import sys

    from knowledge.index import BUNDLED_CORPUS

    make_kb(tmp_path / "kb", embeddings).index.update([BUNDLED_CORPUS])
    code = ("import sys\n"
            "from bot.settings import load_settings\n"
            "from knowledge.answers import Answerer\n"
            "from knowledge.service import open_knowledge\n"
            f"kb = open_knowledge(load_settings({{'TEPAI_DATA_DIR': {str(tmp_path / 'kb')!r},"
            f" 'TEPAI_EMBEDDING': {embeddings.name!r}}}).knowledge)\n"
            "answer = Answerer(kb.retriever).answer('特派员征集选聘公告面向哪些单位发布？')\n"
            "print(answer.answered, 'chromadb' in sys.modules)\n")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["True", "False"], done.stderr[-2000:]


def test_a_large_library_or_an_older_generation_is_searched_through_chroma(
        kb, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import knowledge.index as index_module

    monkeypatch.setattr(index_module, "IN_MEMORY_UNITS", 1)
    kb.index.update([write(tmp_path / "docs" / "a.txt", "一、补助\n对研发投入给予百分之十补助。对新认定的高新技术企业给予奖励。")])
    snap = kb.index.snapshot()
    assert snap.dense is None
    assert not list(kb.index.index_dir.glob("gen-*/dense.npy"))
    assert kb.retriever.search("研发投入补助", 3)[0].chunk.text.startswith("对研发投入")


def test_another_process_sees_a_new_generation_without_restart(kb, tmp_path: Path) -> None:
    reader = make_kb(kb.config.data_dir, kb.embeddings)
    assert reader.index.snapshot() is None
    kb.index.update([write(tmp_path / "a.txt", "一、目标\n推进科技创新。")])
    assert [c.text for c in reader.index.snapshot().chunks] == ["推进科技创新。"]


@pytest.mark.heavy
def test_kill_9_in_the_middle_of_indexing_loses_nothing(tmp_path: Path, embeddings) -> None:
    """A real process killed with SIGKILL while embedding: the old index still answers."""
    import os
    import signal
    import subprocess
    import sys
    import time

    data = tmp_path / "data"
    kb = make_kb(data, embeddings)
    kb.index.update([policy_copy(tmp_path / "v1")])
    before = kb.index.snapshot()
    big = tmp_path / "big"
    for n in range(40):  # enough text that embedding takes a while
        write(big / f"doc{n:02d}.txt", "\n".join(f"{k + 1}. 第{n}号文件第{k}条：对企业研发投入给予补助，支持成果转化和人才培养。" for k in range(60)))
    env = {**os.environ, "TEPAI_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "index", str(big)], env=env,
                            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chroma_files = lambda: sum(f.stat().st_size for f in (data / "chroma").rglob("*") if f.is_file())  # noqa: E731
    start_size, deadline = chroma_files(), time.time() + 60
    while chroma_files() == start_size and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reader = make_kb(data, embeddings)
    snap = reader.index.snapshot()
    assert snap.generation == before.generation and len(snap.chunks) == len(before.chunks)
    assert "加计扣除" in reader.retriever.search("研发费用加计扣除", 1)[0].chunk.text
    report = reader.index.update([big])  # the next run completes and cleans up
    assert report.added == 40 and report.failed == 0
    live = {u for c in reader.index.snapshot().chunks for u in c.unit_ids()}
    assert reader.index.vectors.ids() == live


def test_a_changed_embedding_setting_rebuilds_the_index_on_next_start(tmp_path: Path, embeddings, use_embeddings) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import ensure_index
    from knowledge.answers import Answerer

    data = tmp_path / "data"
    docs = tmp_path / "docs"
    policy_copy(docs)
    before = make_kb(data, use_embeddings)  # an index built with the previous default
    before.index.update([docs])
    assert before.index.snapshot().embedding == "use-multilingual"

    # The operator switches TEPAI_EMBEDDING; nothing else is done by hand.
    after = make_kb(data, embeddings)
    assert after.index.is_stale()
    ensure_index(after, quiet=True)
    snap = after.index.snapshot()
    assert snap.embedding == "e5-small" and not after.index.is_stale()
    assert [d.title for d in snap.docs.values()] == ["企业科技特派员专项行动实施方案（征求意见稿）"]
    hits = after.retriever.search("到2027年特派员覆盖率目标是多少？", 3)
    assert hits and hits[0].dense > 0.5  # searched by the new model's vectors
    answer = Answerer(after.retriever).answer("到2027年特派员覆盖率目标是多少？")
    assert answer.answered and "50%" in answer.citations[0].text
    # A second start finds nothing to do.
    assert after.index.ensure_ready([docs]) is None


def test_a_status_change_on_a_stale_index_does_not_mark_it_rebuilt(tmp_path: Path, embeddings, use_embeddings) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    docs = tmp_path / "docs"
    policy_copy(docs)
    old = make_kb(data, use_embeddings)
    old.index.update([docs])
    new = make_kb(data, embeddings)
    key = next(iter(new.index.snapshot().docs))
    new.index.set_status(key, "retired")
    assert new.index.is_stale() and new.index.snapshot().embedding == "use-multilingual"
