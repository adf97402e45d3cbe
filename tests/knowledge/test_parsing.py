"""Hostile files are refused with a reason, in a worker process, before they cost the caller.

The bombs are the ones seen in the wild (see tests/hostile_files.py); each is small on
disk. The worker's memory and time limits are also exercised directly, with limits
loosened so that only the backstop stands between the bomb and the machine.
"""

from __future__ import annotations

import json
import logging
import resource
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.documents import file_sha256
from knowledge.parsing import CRASH_REASON, MB, MEMORY_REASON, TIMEOUT_REASON, Limits, ParseWorker
from tests.bot.test_cli import tepai
from tests.conftest import CORPUS_FILE
from tests.hostile_files import pdf_shared_stream_bomb, pdf_with_content, text_operators


@pytest.fixture
def hostile(hostile_files: dict[str, Path]) -> dict[str, Path]:
    return hostile_files


def _parse(path: Path, limits: Limits | None = None):  # type: ignore[no-untyped-def]
    with ParseWorker(limits or Limits()) as worker:
        return worker.parse(path, file_sha256(path))


def test_the_files_are_small_on_disk(hostile: dict[str, Path]) -> None:
    sizes = {name: path.stat().st_size for name, path in hostile.items()}
    assert sizes["zip_bomb"] < 4 * MB and sizes["stream_bomb"] < 70_000 and sizes["chunk_flood"] < 200_000


def test_a_docx_zip_bomb_is_refused_before_it_inflates(hostile: dict[str, Path]) -> None:
    result = _parse(hostile["zip_bomb"])
    assert result.document is None
    assert "解压后超过 64 MB 上限" in result.reason and "压缩炸弹" in result.reason
    # Refused from the zip directory alone: the worker never grew anywhere near 1 GB.
    assert result.peak_rss_kb < 400 * 1024


def test_a_pdf_content_stream_bomb_is_refused_without_parsing_it(hostile: dict[str, Path]) -> None:
    result = _parse(hostile["stream_bomb"])
    assert result.reason.startswith("PDF 第 1 页内容过大") and "压缩炸弹" in result.reason


def test_pages_sharing_one_bomb_stream_are_refused_by_their_total(tmp_path: Path) -> None:
    path = pdf_shared_stream_bomb(tmp_path / "汇编.pdf")
    assert path.stat().st_size < 70_000
    result = _parse(path)
    per_page = len(text_operators(1_500_000))
    page = next(n for n in range(1, 400) if n * per_page > 32 * MB)
    assert result.reason == f"PDF 内容解压后合计超过 32 MB 上限（至第 {page} 页），疑似压缩炸弹"


def test_a_docx_of_480000_items_is_refused(hostile: dict[str, Path]) -> None:
    result = _parse(hostile["chunk_flood"])
    assert "段落过多（480,000 段" in result.reason


def test_a_document_that_splits_into_too_many_chunks_is_refused(tmp_path: Path) -> None:
    items = tmp_path / "清单.md"
    # Sentences too long to share a chunk: one chunk each, well within the character limit.
    sentence = "企业应当按照规定的程序和时限提交申请材料，" * 6
    items.write_text("\n".join(f"第{n}项，{sentence}。" for n in range(1, 6002)), encoding="utf-8")
    result = _parse(items)
    assert result.reason == "拆分出的条款片段过多（6001，上限 5000）"


def test_the_memory_limit_stops_a_bomb_the_format_checks_let_through(hostile: dict[str, Path]) -> None:
    loose = replace(Limits(), unpacked_bytes=4 << 30, paragraphs=10**9, memory_bytes=400 * MB)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = _parse(hostile["zip_bomb"], loose)
    assert result.reason in (MEMORY_REASON.format(mb=400), CRASH_REASON)
    # The caller's own memory did not take the 1 GB.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024


def test_the_time_limit_stops_a_parse_that_runs_too_long_and_the_next_file_still_reads(
        hostile: dict[str, Path]) -> None:
    loose = replace(Limits(), page_content_bytes=1 << 30, pdf_content_bytes=1 << 30, timeout=0.5)
    with ParseWorker(loose) as worker:
        late = worker.parse(hostile["stream_bomb"], "x")
        assert late.reason == TIMEOUT_REASON.format(seconds=0.5)
        worker.limits = Limits()
        fine = worker.parse(CORPUS_FILE, file_sha256(CORPUS_FILE))
    assert fine.reason is None and fine.chunks and "特派员" in fine.document.title


def test_library_warnings_go_to_the_log_not_the_screen(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A PDF whose cross-reference offset is wrong: pypdf repairs it and warns.
    good = pdf_with_content(tmp_path / "ok.pdf", text_operators(2_000))
    data = good.read_bytes()
    broken = tmp_path / "notice.pdf"
    broken.write_bytes(data.replace(b"startxref\n", b"startxref\n1", 1))
    caplog.set_level(logging.INFO, logger="knowledge.parsing")
    result = _parse(broken)
    assert result.reason is None and "Policy text" in " ".join(result.document.paragraphs)
    assert any("pypdf" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records)

    done = tepai("index", "--json", str(broken), env={"TEPAI_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0 and json.loads(done.stdout)["documents"]["added"] == 1
    assert "pypdf" not in done.stderr and "startxref" not in done.stderr


def test_tepai_index_refuses_each_bomb_by_name_and_indexes_the_rest(
        hostile: dict[str, Path], tmp_path: Path) -> None:
    done = tepai("index", "--json", CORPUS_FILE.as_posix(), *(p.as_posix() for p in hostile.values()),
                 env={"TEPAI_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["documents"]["added"] == 1 and summary["documents"]["failed"] == 3
    reasons = {Path(f["path"]).name: f["reason"] for f in summary["files"] if f["outcome"] == "failed"}
    assert "压缩炸弹" in reasons["高企申报指南.docx"] and "压缩炸弹" in reasons["补助通知.pdf"]
    assert "段落过多" in reasons["条款汇编.docx"]
    assert "Traceback" not in done.stderr

