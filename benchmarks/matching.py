"""Specialist matching quality (and speed at scale), beside its baselines in the same run.

    .venv/bin/python benchmarks/matching.py [--scale 100000] [--embedding e5-small]

Sets: dev (`../shared/eval/specialists_dev.jsonl` + `demands_dev.jsonl`, `gold` = the
officer's picks) and held-out (written separately in this folder, never tuned on): the dev
pool plus `heldout_specialists.jsonl` (40 more, other wording, other field taxonomies) and
`heldout_demands.jsonl` (44 demands, many filed under a field label that is not the right
expert's). hit@k = a gold specialist in the top k.

Rankings compared in the same run, per encoder (USE and e5-small):
  shipped   — MatchIndex.match (knowledge/matching.py), through Chroma as in the bot;
  today     — the previous formula: 0.5·cos(profile with field label) + 0.5·best item
              + 0.15·field cosine (the pre-issue-11 code, reproduced here);
  dense     — cos(demand, profile text "field：expertise") only;
and BM25 over jieba (encoder-free).

Relevance floor: the share of in-pool demands whose gold specialist is at or above the
floor (must stay near 1), and the share of demands nobody in the pool can serve
(`dev_unmatched.jsonl` for dev — the floor was set on it — `heldout_unmatched.jsonl` for
held-out) whose best candidate is below it, i.e. correctly "no suitable specialist".
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

from knowledge.embeddings import BaseEmbeddings, make_embeddings  # noqa: E402
from knowledge.lexical import LexicalIndex, tokenize  # noqa: E402
from knowledge.matching import Demand, MatchIndex, Profile  # noqa: E402
from knowledge.vectors import open_client  # noqa: E402

HERE = ROOT / "benchmarks"
ENCODERS = ("e5-small", "use-multilingual")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def profiles(rows: list[dict]) -> list[Profile]:
    return [Profile(r["id"], r["name"], r["institution"], r.get("title", ""), r["field"], r["expertise"],
                    r.get("achievements", "")) for r in rows]


def hits(rankings: list[list[str]], demands: list[dict]) -> tuple[float, float]:
    h1 = sum(bool(r[:1]) and r[0] in d["gold"] for r, d in zip(rankings, demands)) / len(demands)
    h3 = sum(any(x in d["gold"] for x in r[:3]) for r, d in zip(rankings, demands)) / len(demands)
    return round(h1, 3), round(h3, 3)


def bm25_rankings(pool: list[Profile], demands: list[Demand]) -> list[list[str]]:
    lexical = LexicalIndex.build([f"{p.field} {p.expertise} {p.achievements}" for p in pool])
    out = []
    for demand in demands:
        scores = lexical.scores(tokenize(f"{demand.field} {demand.product} {demand.description}"))
        out.append([pool[i].id for i in np.argsort(-scores, kind="stable")])
    return out


def old_rankings(embeddings: BaseEmbeddings, pool: list[Profile], demands: list[Demand]) -> dict[str, list[list[str]]]:
    """Today's formula and the plain dense baseline, computed directly (no index)."""
    labelled = embeddings.embed_array([f"{p.field}：{p.expertise}" for p in pool])
    items = [(n, item) for n, p in enumerate(pool) for item in p.items]
    item_vectors = embeddings.embed_array([item for _, item in items])
    owner = np.array([n for n, _ in items])
    labels = sorted({p.field for p in pool} | {d.field for d in demands if d.field})
    label_vectors = dict(zip(labels, embeddings.embed_array(labels)))
    queries = embeddings.embed_array([d.text for d in demands], query=True)
    today, dense = [], []
    for demand, query in zip(demands, queries):
        profile = labelled @ query
        best_item = np.full(len(pool), -1.0)
        np.maximum.at(best_item, owner, item_vectors @ query)
        agreement = np.array([0.0 if not demand.field else 1.0 if demand.field == p.field else
                              max(0.0, (float(label_vectors[demand.field] @ label_vectors[p.field]) - 0.5) / 0.5)
                              for p in pool])
        for scores, out in ((0.5 * profile + 0.5 * best_item + 0.15 * agreement, today), (profile, dense)):
            out.append([pool[i].id for i in np.argsort(-scores, kind="stable")])
    return {"today": today, "dense": dense}


def evaluate(embeddings: BaseEmbeddings, pool: list[Profile], demands: list[dict], unmatched: list[dict]) -> dict:
    index = MatchIndex.open(embeddings, open_client(Path(tempfile.mkdtemp()) / "chroma", None), embeddings.name)
    index.upsert(pool)
    parsed = [Demand.from_mapping(d) for d in demands]
    shipped = [index.match(d, 10) for d in parsed]
    result = {"shipped": hits([[m.id for m in ms] for ms in shipped], demands)}
    for name, rankings in old_rankings(embeddings, pool, parsed).items():
        result[name] = hits(rankings, demands)
    gold_kept = [any(m.relevant for m in ms if m.id in d["gold"]) for ms, d in zip(shipped, demands)]
    declined = [not any(m.relevant for m in index.match(Demand.from_mapping(d), 3)) for d in unmatched]
    result["gold_above_floor"] = round(sum(gold_kept) / len(demands), 3)
    result["unmatched_declined"] = round(sum(declined) / max(len(unmatched), 1), 3)
    result["misses"] = [d["id"] for ms, d in zip(shipped, demands) if not ms or ms[0].id not in d["gold"]]
    return result


def quality(encoders: list[str], eval_dir: Path) -> dict:
    dev_pool = profiles(load(eval_dir / "specialists_dev.jsonl"))
    sets = {
        "dev": (dev_pool, load(eval_dir / "demands_dev.jsonl"), load(HERE / "dev_unmatched.jsonl")),
        "heldout": (dev_pool + profiles(load(HERE / "heldout_specialists.jsonl")), load(HERE / "heldout_demands.jsonl"),
                    load(HERE / "heldout_unmatched.jsonl")),
    }
    report: dict = {}
    for set_name, (pool, demands, unmatched) in sets.items():
        bm25 = hits(bm25_rankings(pool, [Demand.from_mapping(d) for d in demands]), demands)
        report[set_name] = {"n": len(demands), "pool": len(pool), "bm25": bm25}
        print(f"{set_name}: {len(demands)} demands × {len(pool)} specialists; BM25 hit@1 {bm25[0]:.2f} hit@3 {bm25[1]:.2f}")
        for encoder in encoders:
            r = evaluate(make_embeddings(encoder), pool, demands, unmatched)
            report[set_name][encoder] = r
            print(f"  {encoder:16} shipped {r['shipped'][0]:.2f} / {r['shipped'][1]:.2f}   today {r['today'][0]:.2f} / "
                  f"{r['today'][1]:.2f}   dense {r['dense'][0]:.2f} / {r['dense'][1]:.2f}   "
                  f"gold ≥ floor {r['gold_above_floor']:.2f}, unmatched declined {r['unmatched_declined']:.2f} "
                  f"({len(unmatched)})   misses {' '.join(r['misses']) or '—'}")
    return report


WORDS = ["智能制造", "数控", "传感器", "发酵", "育种", "电池", "光伏", "涂层", "催化", "软件", "芯片", "检测", "医疗器械",
         "疫苗", "污水", "固废", "储能", "氢能", "机器人", "视觉", "材料", "焊接", "铸造", "食品", "中药", "物流", "营销"]
FIELDS = ["电子信息", "生物与新医药", "航空航天", "新材料", "高技术服务", "新能源与节能", "资源与环境", "先进制造与自动化", "现代农业"]


def scale(embeddings: BaseEmbeddings, count: int, queries: int = 200) -> dict:
    rng = random.Random(7)
    index = MatchIndex.open(embeddings, open_client(Path(tempfile.mkdtemp()) / "chroma", None), embeddings.name)
    pool = [Profile(f"G{n:06d}", f"专家{n}", f"第{n % 300}研究院", "教授", rng.choice(FIELDS),
                    "、".join(rng.sample(WORDS, 3)) + f"{n % 97}号课题") for n in range(count)]
    start = time.perf_counter()
    index.upsert(pool, batch=2000)
    build = time.perf_counter() - start
    latencies = []
    for _ in range(queries):
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
    parser.add_argument("--embedding", action="append", choices=ENCODERS,
                        help="encoder(s) to measure (default: both)")
    parser.add_argument("--scale", type=int, default=0)
    args = parser.parse_args()
    encoders = args.embedding or list(ENCODERS)
    report = {"quality": quality(encoders, args.eval_dir)}
    if args.scale:
        report["scale"] = scale(make_embeddings(encoders[0]), args.scale)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "matching.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
