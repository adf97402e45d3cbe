"""Specialist matching quality (and speed at scale), with a BM25 baseline in the same run.

    .venv/bin/python benchmarks/matching.py [--scale 100000]

Quality: `../shared/eval/specialists_dev.jsonl` + `demands_dev.jsonl` (dev) and the
held-out demands in this folder, written separately; hit@k = a gold specialist in the top k.
Scale (optional): N generated specialists, top-10 query latency p50/p95.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.embeddings import UseMultilingualEmbeddings  # noqa: E402
from knowledge.lexical import LexicalIndex, tokenize  # noqa: E402
from knowledge.matching import Demand, MatchIndex, Profile  # noqa: E402
from knowledge.vectors import open_client  # noqa: E402


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def profiles(rows: list[dict]) -> list[Profile]:
    return [Profile(r["id"], r["name"], r["institution"], r.get("title", ""), r["field"], r["expertise"],
                    r.get("achievements", "")) for r in rows]


def bm25_ranking(pool: list[Profile], demand: Demand) -> list[str]:
    lexical = LexicalIndex.build([f"{p.field} {p.expertise} {p.achievements}" for p in pool])
    scores = lexical.scores(tokenize(f"{demand.field} {demand.product} {demand.description}"))
    return [pool[i].id for i in np.argsort(-scores)]


def hits(rankings: list[list[str]], demands: list[dict]) -> tuple[float, float]:
    h1 = sum(r[:1] and r[0] in d["gold"] for r, d in zip(rankings, demands)) / len(demands)
    h3 = sum(any(x in d["gold"] for x in r[:3]) for r, d in zip(rankings, demands)) / len(demands)
    return h1, h3


def quality(index: MatchIndex, pool: list[Profile], sets: dict[str, list[dict]]) -> dict:
    report = {}
    for name, demands in sets.items():
        shipped = [[m.id for m in index.match(Demand.from_mapping(d), 10)] for d in demands]
        baseline = [bm25_ranking(pool, Demand.from_mapping(d)) for d in demands]
        report[name] = {"shipped": hits(shipped, demands), "bm25": hits(baseline, demands), "n": len(demands)}
        print(f"{name:8} n={len(demands):3}  shipped hit@1 {report[name]['shipped'][0]:.2f} hit@3 "
              f"{report[name]['shipped'][1]:.2f}   bm25 hit@1 {report[name]['bm25'][0]:.2f} hit@3 {report[name]['bm25'][1]:.2f}")
    return report


WORDS = ["智能制造", "数控", "传感器", "发酵", "育种", "电池", "光伏", "涂层", "催化", "软件", "芯片", "检测", "医疗器械",
         "疫苗", "污水", "固废", "储能", "氢能", "机器人", "视觉", "材料", "焊接", "铸造", "食品", "中药", "物流", "营销"]
FIELDS = ["电子信息", "生物与新医药", "航空航天", "新材料", "高技术服务", "新能源与节能", "资源与环境", "先进制造与自动化", "现代农业"]


def scale(embeddings, count: int, queries: int = 200) -> dict:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    index = MatchIndex.open(embeddings, open_client(Path(tempfile.mkdtemp()) / "chroma", None), "use-multilingual")
    pool = [Profile(f"G{n:06d}", f"专家{n}", f"第{n % 300}研究院", "教授", rng.choice(FIELDS),
                    "、".join(rng.sample(WORDS, 3)) + f"{n % 97}号课题") for n in range(count)]
    start = time.perf_counter()
    index.upsert(pool, batch=2000)
    build = time.perf_counter() - start
    latencies = []
    for n in range(queries):
        demand = Demand(rng.choice(FIELDS), rng.choice(WORDS), (), f"想解决{rng.choice(WORDS)}和{rng.choice(WORDS)}方面的问题")
        t = time.perf_counter()
        index.match(demand, 10)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    result = {"specialists": count, "index_s": build, "p50_ms": statistics.median(latencies),
              "p95_ms": latencies[int(0.95 * (len(latencies) - 1))]}
    print(f"scale: {count} specialists indexed in {build:.0f} s; top-10 p50 {result['p50_ms']:.1f} ms, "
          f"p95 {result['p95_ms']:.1f} ms (target ≤ 50 ms: {'PASS' if result['p95_ms'] <= 50 else 'FAIL'})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--scale", type=int, default=0)
    args = parser.parse_args()
    embeddings = UseMultilingualEmbeddings()
    pool = profiles(load(args.eval_dir / "specialists_dev.jsonl"))
    index = MatchIndex.open(embeddings, open_client(Path(tempfile.mkdtemp()) / "chroma", None), "use-multilingual")
    index.upsert(pool)
    report = {"quality": quality(index, pool, {
        "dev": load(args.eval_dir / "demands_dev.jsonl"),
        "heldout": load(ROOT / "benchmarks" / "heldout_demands.jsonl"),
    })}
    if args.scale:
        report["scale"] = scale(embeddings, args.scale)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "matching.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
