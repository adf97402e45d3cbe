"""Retrieval and answer quality on the real library and on the bundled plan, with baselines.

    .venv/bin/python benchmarks/retrieval.py [--eval-dir ../shared/eval] [--corpus ../shared/corpus-real]

Libraries:
- real: the bundled plan + the real documents in ../shared/corpus-real (md, docx, html);
- many: the real library + nine more public laws and regulations (benchmarks/library) — 21
  documents, as a bureau's library grows;
- plan: the bundled plan alone.

Sets: the dev sets in ../shared/eval (real_qa_dev/real_ood_dev for the real library,
qa_dev/ood_dev for the plan) and held-out sets written separately in this folder
(heldout_real_qa/heldout_real_ood over the real documents, heldout_qa/heldout_ood over
the plan) — never used to pick parameters; and on the real library the three calibration
sets in benchmarks/calibration, which the abstention model is fitted on (reported, not a
check). A hit means the gold phrase (whitespace
removed) is inside a retrieved clause; scoring is knowledge/evaluation.py, the same code
as `tepai eval`.

Rows, all answered through the same `Answerer`:
- bm25: BM25 over jieba tokens alone (e5 index);
- dense: e5-small cosine alone;
- today (USE, old fusion): the pipeline shipped before this change — Universal Sentence
  Encoder, the convex BM25/dense fusion without vocabulary or document evidence, and
  the USE abstention bars;
- shipped: e5-small, policy vocabulary, fused evidence and the fitted abstention model.
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import load_settings  # noqa: E402
from knowledge.answers import Answerer  # noqa: E402
from knowledge.evaluation import evaluate, load_questions  # noqa: E402
from knowledge.index import BUNDLED_CORPUS  # noqa: E402
from knowledge.lexical import coverage as lexical_coverage  # noqa: E402
from knowledge.lexical import token_weights, tokenize  # noqa: E402
from knowledge.retrieval import CANDIDATES, Hit, Retriever  # noqa: E402
from knowledge.service import open_knowledge  # noqa: E402

HERE = Path(__file__).resolve().parent


class TodayRetriever(Retriever):
    """The fusion shipped before this change, kept verbatim as a baseline."""

    def search(self, question: str, k: int = 5) -> list[Hit]:
        snap = self.index.snapshot()
        if snap is None or not snap.chunks or not question.strip():
            return []
        allowed = snap.searchable
        tokens = tokenize(question)
        raw = np.where(allowed, snap.lexical.scores(tokens), 0.0)
        top = float(raw.max()) if raw.size else 0.0
        lexical = raw / top if top > 0 else np.zeros(len(snap.chunks), dtype=np.float32)
        dense: dict[int, float] = {}
        vector = self.index.embeddings.embed_array([question], query=True)[0]
        for unit_id, similarity in self.index.vectors.query(vector, 3 * CANDIDATES):
            pos = snap.position.get(unit_id.rsplit(":", 1)[0])
            if pos is not None and allowed[pos]:
                dense[pos] = max(dense.get(pos, 0.0), similarity)
        candidates = set(dense)
        top_n = min(CANDIDATES, len(lexical))
        order = np.argpartition(-lexical, top_n - 1)[:top_n] if top_n else []
        candidates.update(int(i) for i in order if lexical[i] > 0)
        if not candidates:
            return []
        weights = token_weights(tokens, self.index.index_dir.parent / "cache")
        coverage = {pos: lexical_coverage(weights, snap.chunks[pos].index_text) for pos in candidates}
        best_coverage = max(coverage.values())
        missing = [p for p in candidates if p not in dense]
        if missing:
            dense.update(self._dense_for(snap, vector, missing))
        hits = []
        for pos in candidates:
            w = 0.5 * best_coverage
            score = w * float(lexical[pos]) + (1 - w) * dense.get(pos, 0.0)
            chunk = snap.chunks[pos]
            hits.append(Hit(chunk, snap.docs[chunk.doc_key], float(score), dense.get(pos, 0.0),
                            float(lexical[pos]), coverage[pos]))
        hits.sort(key=lambda h: (-h.score, h.chunk.ordinal))
        return hits[:k]


def build(data_dir: str, embedding: str, paths: list[Path]):  # type: ignore[no-untyped-def]
    kb = open_knowledge(load_settings({"TEPAI_DATA_DIR": data_dir, "TEPAI_EMBEDDING": embedding}).knowledge)
    start = time.perf_counter()
    report = kb.index.update(paths)
    return kb, time.perf_counter() - start, report.chunks


def quantiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda q: ordered[int(q * (len(ordered) - 1))]  # noqa: E731
    return {"min": ordered[0], "p10": pick(0.1), "median": pick(0.5), "p90": pick(0.9), "max": ordered[-1]}


def latency(answerer: Answerer, questions: list[str], rounds: int = 3) -> dict:
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


def cold_ask(data_dir: str, embedding: str, runs: int = 3) -> float:
    """Median wall time of a fresh `tepai ask` process over an existing index."""
    times = []
    env = {**os.environ, "TEPAI_DATA_DIR": data_dir, "TEPAI_EMBEDDING": embedding}
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "技术合同登记后怎么给补助？"],
                       env=env, cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus-real")
    args = parser.parse_args()

    def qs(path: Path, gold: bool):  # type: ignore[no-untyped-def]
        return load_questions(path, with_gold=gold)

    sets = {
        "real": {
            "dev": (qs(args.eval_dir / "real_qa_dev.jsonl", True), qs(args.eval_dir / "real_ood_dev.jsonl", False)),
            "heldout": (qs(HERE / "heldout_real_qa.jsonl", True), qs(HERE / "heldout_real_ood.jsonl", False)),
            # The abstention model is fitted on these (benchmarks/calibrate.py): not a check.
            "calibration": tuple(sum((qs(HERE / "calibration" / f"set{i}_real_{kind}.jsonl", kind == "qa")
                                      for i in (1, 2, 3, 4)), []) for kind in ("qa", "ood")),
        },
        "many": {
            "dev": (qs(args.eval_dir / "real_qa_dev.jsonl", True), qs(args.eval_dir / "real_ood_dev.jsonl", False)),
            # Written apart from everything else, never fitted on (benchmarks/library.md).
            "heldout": (qs(HERE / "heldout_many_qa.jsonl", True), qs(HERE / "heldout_many_ood.jsonl", False)),
            "heldout new documents": (qs(HERE / "heldout_newdocs_qa.jsonl", True),
                                      qs(HERE / "heldout_newdocs_ood.jsonl", False)),
            "calibration": tuple(sum((qs(HERE / "calibration" / f"set{i}_many_{kind}.jsonl", kind == "qa")
                                      for i in (5, 6)), []) for kind in ("qa", "ood")),
        },
        "plan": {
            "dev": (qs(args.eval_dir / "qa_dev.jsonl", True), qs(args.eval_dir / "ood_dev.jsonl", False)),
            "heldout": (qs(HERE / "heldout_qa.jsonl", True), qs(HERE / "heldout_ood.jsonl", False)),
        },
    }
    libraries = {"real": [BUNDLED_CORPUS, args.corpus], "many": [BUNDLED_CORPUS, args.corpus, HERE / "library"],
                 "plan": [BUNDLED_CORPUS]}
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                    "libraries": {}}
    for lib, paths in libraries.items():
        e5_dir = tempfile.mkdtemp(prefix=f"tepai-bench-{lib}-e5-")
        use_dir = tempfile.mkdtemp(prefix=f"tepai-bench-{lib}-use-")
        e5, e5_s, chunks = build(e5_dir, "e5-small", paths)
        use, use_s, _ = build(use_dir, "use-multilingual", paths)
        rows = {
            "bm25": Answerer(Retriever(e5.index, "bm25")),
            "dense (e5)": Answerer(Retriever(e5.index, "dense")),
            "today (USE, old fusion)": Answerer(TodayRetriever(use.index)),
            "shipped": Answerer(e5.retriever),
        }
        entry: dict = {"chunks": chunks, "index_seconds": {"e5-small": e5_s, "use-multilingual": use_s}, "sets": {}}
        print(f"\n#### library: {lib} ({chunks} chunks; indexing e5-small {e5_s:.0f} s, USE {use_s:.0f} s)")
        for set_name, (qa, ood) in sets[lib].items():
            print(f"== {lib} / {set_name}: {len(qa)} in-scope, {len(ood)} out-of-scope questions")
            print(f"{'retriever':24} {'hit@1':>6} {'hit@3':>6} {'ans@1':>6} {'answered':>8} {'declined':>8}")
            results = {}
            for name, answerer in rows.items():
                r = evaluate(answerer, qa, ood).as_dict()
                results[name] = r
                print(f"{name:24} {r['hit@1']:6.2f} {r['hit@3']:6.2f} {r['answer_hit@1']:6.2f} "
                      f"{r['answered']:8.2f} {r['declined']:8.2f}")
            shipped = results["shipped"]
            dist = {"in_scope": quantiles(shipped["confidence"]["in_scope"]),
                    "out_of_scope": quantiles(shipped["confidence"]["out_of_scope"])}
            print("  shipped confidence (bar 0.5)  in-scope: "
                  + " ".join(f"{k} {v:.2f}" for k, v in dist["in_scope"].items())
                  + "  |  out-of-scope: " + " ".join(f"{k} {v:.2f}" for k, v in dist["out_of_scope"].items()))
            for miss in shipped["misses"]:
                print(f"  miss: {miss['q']}")
            for wrong in shipped["wrongly_answered"]:
                print(f"  answered out-of-scope: {wrong['q']}")
            entry["sets"][set_name] = {"rows": results, "confidence": dist}
        questions = [q.q for name, (qa, ood) in sets[lib].items() if name != "calibration" for q in qa + ood]
        entry["latency"] = {name: latency(rows[name], questions) for name in ("today (USE, old fusion)", "shipped")}
        for name, lat in entry["latency"].items():
            print(f"warm answer {name:24} p50 {lat['p50_ms']:6.1f} ms  p95 {lat['p95_ms']:6.1f} ms")
        if lib == "real":
            entry["cold_ask_seconds"] = {"e5-small": cold_ask(e5_dir, "e5-small"),
                                         "use-multilingual": cold_ask(use_dir, "use-multilingual")}
            print("cold `tepai ask` (new process, existing index): "
                  + ", ".join(f"{k} {v:.2f} s" for k, v in entry["cold_ask_seconds"].items()))
        report["libraries"][lib] = entry

    real = report["libraries"]["real"]
    plan = report["libraries"]["plan"]
    rdev = real["sets"]["dev"]["rows"]["shipped"]
    pdev = plan["sets"]["dev"]["rows"]["shipped"]
    targets = {
        "real hit@1 >= 0.85": rdev["hit@1"] >= 0.85,
        "real hit@3 >= 0.95": rdev["hit@3"] >= 0.95,
        "real declined >= 0.90": rdev["declined"] >= 0.90,
        "real answered >= 0.95": rdev["answered"] >= 0.95,
        "plan hit@1 >= 0.95": pdev["hit@1"] >= 0.95,
        "plan hit@3 == 1.0": pdev["hit@3"] == 1.0,
        "plan declined >= 0.90": pdev["declined"] >= 0.90,
        "warm p95 <= 50 ms (real)": real["latency"]["shipped"]["p95_ms"] <= 50,
        "cold ask <= 3 s": real["cold_ask_seconds"]["e5-small"] <= 3.0,
    }
    report["targets"] = targets
    print("\ntargets (dev sets, shipped):", ", ".join(f"{k}: {'PASS' if v else 'FAIL'}" for k, v in targets.items()))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "retrieval.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
