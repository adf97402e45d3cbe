"""Hostile files against bounded parsing: how fast each is refused, and what memory it costs.

    .venv/bin/python benchmarks/files.py [--no-unbounded] [--unbounded-seconds 60]

Files (tests/hostile_files.py, built in a temp dir): a 3.6 MB DOCX holding 1 GB of XML,
a PDF whose content stream decodes to 57 MB of text operators, a PDF of 400 pages drawing
one 1.5 MB stream, a DOCX of 480,000 items;
and, as the baseline in the same run, ordinary documents (the bundled plan, a generated
20-page DOCX with tables, a 30-page text PDF).

For each file:
- `worker`: one parse through `knowledge.parsing.ParseWorker` in this process — wall time,
  the worker's peak RSS, and this process's RSS growth;
- `tepai index`: the real CLI as a subprocess on a fresh data dir — wall time, exit code,
  outcome, peak RSS of the CLI process tree (wait4);
- `unbounded` (baseline, unless --no-unbounded): the same file parsed the way it was before
  limits (read + chunk in one process, no checks), in a child capped at 3 GB of address space
  and `--unbounded-seconds`, to show what the limits prevent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402

from knowledge.documents import file_sha256  # noqa: E402
from knowledge.parsing import ParseWorker  # noqa: E402
from tests.hostile_files import (  # noqa: E402
    docx_chunk_flood,
    docx_zip_bomb,
    pdf_shared_stream_bomb,
    pdf_stream_bomb,
    pdf_with_content,
    text_operators,
)

BUNDLED = next((ROOT / "knowledge" / "corpus").glob("*.txt"))

UNBOUNDED = r"""
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from pathlib import Path
from knowledge.sources import Limits, use_limits
# Before limits: nothing checked but the 50 MB file size.
use_limits(Limits(unpacked_bytes=1 << 40, chars=1 << 40, pages=1 << 30, page_content_bytes=1 << 40,
                  pdf_content_bytes=1 << 40, paragraphs=1 << 40, chunks=1 << 40, html_bytes=1 << 40))
from knowledge.chunking import chunk_document
from knowledge.documents import load_document
import json
from knowledge.readers import UnreadableDocument
started = time.monotonic()
try:
    chunks = chunk_document(load_document(Path(sys.argv[1])))
    outcome = {"result": "ok", "chunks": len(chunks)}
except MemoryError:
    outcome = {"result": "MemoryError at the 3 GB cap"}
except UnreadableDocument as exc:
    outcome = {"result": "refused", "reason": exc.reason}
except Exception as exc:
    outcome = {"result": type(exc).__name__}
outcome["seconds"] = round(time.monotonic() - started, 1)
outcome["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(outcome, ensure_ascii=False))
"""


def ordinary_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("关于印发科技型中小企业培育办法的通知")
    for chapter in range(1, 21):
        document.add_heading(f"第{chapter}章 培育措施", level=1)
        for article in range(1, 8):
            document.add_paragraph(f"第{chapter * 10 + article}条 对入库科技型中小企业按研发投入给予补助，"
                                   "补助比例不超过百分之十，单个企业每年最高五十万元。")
        table = document.add_table(rows=4, cols=3)
        for row in table.rows:
            for cell in row.cells:
                cell.text = "研发补助 50万元"
    document.save(path)
    return path


def ordinary_pdf(path: Path) -> Path:
    # One page of 30 pages' worth of text operators: an ordinary text PDF's content size.
    return pdf_with_content(path, text_operators(30 * 4_000))


def rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def via_worker(path: Path) -> dict:
    before = rss_kb()
    started = time.monotonic()
    with ParseWorker() as worker:
        result = worker.parse(path, file_sha256(path))
    return {"seconds": round(time.monotonic() - started, 2), "refused": result.reason,
            "chunks": len(result.chunks), "worker_peak_mb": round(result.peak_rss_kb / 1024),
            "caller_growth_mb": round((rss_kb() - before) / 1024)}


def via_cli_peak(path: Path, data: Path) -> dict:
    """`tepai index` with the process tree's peak RSS (wait4 on the CLI)."""
    started = time.monotonic()
    with open(os.devnull, "wb") as sink:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.chdir(ROOT)
            os.dup2(sink.fileno(), 2)
            out = os.open(data.parent / f"{path.name}.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, 1)
            os.execve(sys.executable, [sys.executable, "-m", "bot", "index", "--json", str(path)],
                      {**os.environ, "TEPAI_DATA_DIR": str(data)})
        _, status, usage = os.wait4(pid, 0)
    seconds = round(time.monotonic() - started, 2)
    text = (data.parent / f"{path.name}.json").read_text(encoding="utf-8")
    summary = json.loads(text) if text.strip() else {}
    files = summary.get("files", [])
    return {"seconds": seconds, "exit": os.waitstatus_to_exitcode(status),
            "outcome": files[0]["outcome"] if files else None,
            "reason": files[0].get("reason") if files else None,
            "peak_mb_cli_tree": round(usage.ru_maxrss / 1024)}


def unbounded(path: Path, seconds: float) -> dict:
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", UNBOUNDED, str(path)], cwd=ROOT, capture_output=True,
                              text=True, timeout=seconds)
        lines = done.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else {"result": f"exit {done.returncode}", "stderr": done.stderr[-300:]}
    except subprocess.TimeoutExpired:
        return {"result": f"still parsing after {seconds:g} s (killed)", "seconds": round(time.monotonic() - started)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-unbounded", action="store_true")
    parser.add_argument("--unbounded-seconds", type=float, default=60)
    args = parser.parse_args()
    report: dict = {"files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {
            "docx_zip_bomb (1 GB XML)": docx_zip_bomb(folder / "bomb.docx"),
            "pdf_stream_bomb (57 MB operators)": pdf_stream_bomb(folder / "bomb.pdf"),
            "pdf_shared_stream_bomb (400 pages, one 1.5 MB stream)": pdf_shared_stream_bomb(folder / "pages.pdf"),
            "docx_chunk_flood (480,000 items)": docx_chunk_flood(folder / "flood.docx"),
            "baseline: bundled plan (txt)": BUNDLED,
            "baseline: 20-chapter docx with tables": ordinary_docx(folder / "ordinary.docx"),
            "baseline: text pdf": ordinary_pdf(folder / "ordinary.pdf"),
        }
        for n, (name, path) in enumerate(files.items()):
            entry = {"size_kb": round(path.stat().st_size / 1024, 1), "worker": via_worker(path),
                     "tepai_index": via_cli_peak(path, folder / f"data-{n}")}
            if not args.no_unbounded:
                entry["unbounded"] = unbounded(path, args.unbounded_seconds)
            report["files"][name] = entry
            print(name, json.dumps(entry, ensure_ascii=False), flush=True)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "files.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
