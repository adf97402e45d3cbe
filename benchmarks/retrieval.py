"""Retrieval and answer quality on the bundled policy, with baselines in the same run.

    .venv/bin/python benchmarks/retrieval.py [--eval-dir ../shared/eval]

Sets: the dev sets in ../shared/eval (qa_dev, ood_dev) and the held-out sets written
separately in this folder (heldout_qa, heldout_ood) — never used to pick parameters.
A hit means the gold phrase (whitespace removed) is inside a cited text.

Rows: BM25 only, dense only, naive reciprocal-rank fusion, and the shipped hybrid;
each answered through the same `Answerer` (same abstention rule).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import load_settings  # noqa: E402
from knowledge.answers import Answerer  # noqa: E402
from knowledge.index import BUNDLED_CORPUS  # noqa: E402
from knowledge.retrieval import Hit, Retriever  # noqa: E402
from knowledge.service import open_knowledge  # noqa: E402


def norm(text: str) -> str:
    return "".join(text.split())


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class RRFRetriever:
    """Naive reciprocal-rank fusion of the BM25 and dense rankings (k=60): a baseline."""

    def __init__(self, index) -> None:  # type: ignore[no-untyped-def]
        self.bm25 = Retriever(index, "bm25")
        self.dense = Retriever(index, "dense")

    def search(self, question: str, k: int = 5) -> list[Hit]:
        fused: dict[str, float] = {}
        hits: dict[str, Hit] = {}
        for ranking in (self.bm25.search(question, 30), self.dense.search(question, 30)):
            for rank, hit in enumerate(ranking):
                fused[hit.chunk.id] = fused.get(hit.chunk.id, 0.0) + 1.0 / (60 + rank)
                previous = hits.get(hit.chunk.id)
                hits[hit.chunk.id] = hit if previous is None else Hit(
                    hit.chunk, hit.doc, 0.0, max(hit.dense, previous.dense),
                    max(hit.lexical, previous.lexical), max(hit.coverage, previous.coverage))
        order = sorted(fused, key=lambda i: -fused[i])[:k]
        top = fused[order[0]] if order else 1.0
        return [Hit(hits[i].chunk, hits[i].doc, fused[i] / top, hits[i].dense, hits[i].lexical, hits[i].coverage)
                for i in order]


def evaluate(name: str, retriever, qa: list[dict], ood: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    answerer = Answerer(retriever)
    r1 = r3 = a1 = a3 = answered = 0
    misses = []
    for item in qa:
        gold = norm(item["gold"])
        ranked = [gold in norm(h.chunk.text) for h in retriever.search(item["q"], 3)]
        r1 += bool(ranked[:1] and ranked[0])
        r3 += any(ranked)
        answer = answerer.answer(item["q"])
        cited = [gold in norm(c.text) for c in answer.citations]
        answered += answer.answered
        a1 += bool(cited[:1] and cited[0])
        a3 += any(cited[:3])
        if not (cited[:1] and cited[0]):
            misses.append(item["q"])
    declined = sum(not answerer.answer(item["q"]).answered for item in ood)
    n = len(qa)
    return {
        "retriever": name,
        "hit@1": r1 / n, "hit@3": r3 / n,
        "answer_hit@1": a1 / n, "answer_hit@3": a3 / n,
        "answered": answered / n, "declined": declined / len(ood) if ood else None,
        "misses": misses,
    }


def latency(retriever, questions: list[str], rounds: int = 5) -> dict:  # type: ignore[no-untyped-def]
    answerer = Answerer(retriever)
    for q in questions[:5]:
        answerer.answer(q)  # warm
    samples = []
    for _ in range(rounds):
        for q in questions:
            start = time.perf_counter()
            answerer.answer(q)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))]}


def cold_ask(data_dir: str, runs: int = 3) -> float:
    """Median wall time of a fresh `tepai ask` process over an existing index."""
    times = []
    env = {**os.environ, "TEPAI_DATA_DIR": data_dir}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "技术合同登记后怎么给补助？"],
                       env=env, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    sets = {
        "dev": (load(args.eval_dir / "qa_dev.jsonl"), load(args.eval_dir / "ood_dev.jsonl")),
        "heldout": (load(here / "heldout_qa.jsonl"), load(here / "heldout_ood.jsonl")),
    }
    data_dir = tempfile.mkdtemp(prefix="tepai-bench-")
    kb = open_knowledge(load_settings({"TEPAI_DATA_DIR": data_dir}))
    start = time.perf_counter()
    kb.index.update([BUNDLED_CORPUS])
    index_s = time.perf_counter() - start

    retrievers = {
        "bm25": Retriever(kb.index, "bm25"),
        "dense": Retriever(kb.index, "dense"),
        "rrf (naive)": RRFRetriever(kb.index),
        "hybrid (shipped)": kb.retriever,
    }
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "index_seconds": index_s, "sets": {}}
    for set_name, (qa, ood) in sets.items():
        rows = [evaluate(name, r, qa, ood) for name, r in retrievers.items()]
        report["sets"][set_name] = rows
        print(f"\n== {set_name}: {len(qa)} in-scope, {len(ood)} out-of-scope questions")
        print(f"{'retriever':18} {'hit@1':>6} {'hit@3':>6} {'ans@1':>6} {'ans@3':>6} {'answered':>8} {'declined':>8}")
        for row in rows:
            print(f"{row['retriever']:18} {row['hit@1']:6.2f} {row['hit@3']:6.2f} {row['answer_hit@1']:6.2f} "
                  f"{row['answer_hit@3']:6.2f} {row['answered']:8.2f} {row['declined']:8.2f}")
        shipped = rows[-1]
        if shipped["misses"]:
            print("  shipped misses:", "; ".join(shipped["misses"]))

    questions = [q["q"] for qa, ood in sets.values() for q in qa + ood]
    print("\n== warm latency per question (full answer), ms")
    report["latency"] = {}
    for name, retriever in retrievers.items():
        lat = latency(retriever, questions)
        report["latency"][name] = lat
        print(f"{name:18} p50 {lat['p50_ms']:6.1f}  p95 {lat['p95_ms']:6.1f}")
    report["cold_ask_seconds"] = cold_ask(data_dir)
    print(f"\ncold `tepai ask` (new process, existing index): {report['cold_ask_seconds']:.2f} s")

    dev = report["sets"]["dev"][-1]
    targets = {
        "hit@1 >= 0.95": dev["hit@1"] >= 0.95,
        "hit@3 == 1.0": dev["hit@3"] == 1.0,
        "declined >= 0.9": dev["declined"] >= 0.9,
        "answered >= 0.95": dev["answered"] >= 0.95,
        "warm p95 <= 50 ms": report["latency"]["hybrid (shipped)"]["p95_ms"] <= 50,
        "cold ask <= 3 s": report["cold_ask_seconds"] <= 3.0,
    }
    report["targets"] = targets
    print("\ntargets (dev set, shipped):", ", ".join(f"{k}: {'PASS' if v else 'FAIL'}" for k, v in targets.items()))
    out = here / "results"
    out.mkdir(exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
