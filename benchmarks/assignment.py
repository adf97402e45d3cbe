"""Campaign-wide demand→specialist assignment at scale, with the greedy baseline in the same run.

    .venv/bin/python benchmarks/assignment.py [--demands 10000 --specialists 5000 --top 50 --seed 7]

Instance (seeded): each demand gets `top` distinct specialists drawn with popularity weights
(log-normal, so some specialists sit in many top-50 lists and capacity is contended, as with
well-known experts), affinities per demand from a Beta distribution squeezed into 0.2–0.8 with
a per-demand difficulty shift (some demands have few candidates above the minimum),
capacities 1–3, ~1% of candidate pairs blocked, min_affinity 0.3.
Reports time, served (coverage), total affinity and manual review for both, plus peak RSS,
and writes benchmarks/results/assignment.json. Target: solver ≤ 30 s at full size.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.assignment import CAPACITY, NO_CANDIDATE, Assignment, Candidate, assign, greedy_assign  # noqa: E402

MIN_AFFINITY = 0.3
BLOCKED_SHARE = 0.01
TARGET_S = 30.0


def top_lists(rng: np.random.Generator, demands: int, specialists: int, top: int) -> np.ndarray:
    """Per demand, `top` distinct specialists drawn ∝ popularity (Gumbel top-k, in chunks)."""
    log_pop = rng.normal(0.0, 1.0, specialists)  # log-normal popularity
    out = np.empty((demands, top), dtype=np.int64)
    for start in range(0, demands, 1000):
        stop = min(start + 1000, demands)
        keys = log_pop + rng.gumbel(size=(stop - start, specialists))
        out[start:stop] = np.argpartition(-keys, top - 1, axis=1)[:, :top]
    return out


def affinities(rng: np.random.Generator, demands: int, top: int) -> np.ndarray:
    shift = rng.normal(0.0, 0.06, (demands, 1))  # some demands are simply harder to match
    raw = 0.2 + 0.6 * rng.beta(2.0, 3.0, (demands, top)) + shift
    return np.clip(raw, 0.2, 0.8)


def instance(demands: int, specialists: int, top: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    specs = top_lists(rng, demands, specialists, top)
    aff = affinities(rng, demands, top)
    demand_ids = [f"D{i:06d}" for i in range(demands)]
    spec_ids = [f"S{j:05d}" for j in range(specialists)]
    candidates = [Candidate(demand_ids[i], spec_ids[j], a)
                  for i, (row, arow) in enumerate(zip(specs.tolist(), aff.tolist())) for j, a in zip(row, arow)]
    capacities = {sid: int(c) for sid, c in zip(spec_ids, rng.integers(1, 4, specialists))}
    picks = np.flatnonzero(rng.random(len(candidates)) < BLOCKED_SHARE)
    blocked = {(candidates[i].demand_id, candidates[i].specialist_id) for i in picks.tolist()}
    return candidates, capacities, blocked, demand_ids


def summary(result: Assignment, seconds: float, demands: int) -> dict:
    reasons = list(result.reasons.values())
    return {
        "seconds": round(seconds, 3),
        "served": result.served,
        "coverage": round(result.served / demands, 4),
        "total_affinity": round(result.total_affinity, 3),
        "mean_affinity": round(result.total_affinity / max(result.served, 1), 4),
        "manual_review": len(result.manual_review),
        "no_candidate": reasons.count(NO_CANDIDATE),
        "capacity": reasons.count(CAPACITY),
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def check(result: Assignment, capacities: dict[str, int], blocked: set[tuple[str, str]]) -> None:
    """Cheap sanity checks so a fast-but-wrong solver cannot pass the benchmark."""
    load: dict[str, int] = {}
    for p in result.pairs:
        load[p.specialist_id] = load.get(p.specialist_id, 0) + 1
        assert (p.demand_id, p.specialist_id) not in blocked and p.affinity >= MIN_AFFINITY
    assert all(n <= capacities[s] for s, n in load.items()), "capacity violated"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--specialists", type=int, default=5_000)
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    t = time.perf_counter()
    candidates, capacities, blocked, demand_ids = instance(args.demands, args.specialists, args.top, args.seed)
    generated = time.perf_counter() - t
    rss_instance = peak_rss_mb()
    usable = sum(c.affinity >= MIN_AFFINITY and (c.demand_id, c.specialist_id) not in blocked for c in candidates)
    print(f"instance: {args.demands} demands × {args.specialists} specialists, top {args.top}: "
          f"{len(candidates)} candidates ({usable} usable), {sum(capacities.values())} slots, "
          f"{len(blocked)} blocked, min_affinity {MIN_AFFINITY}  [{generated:.1f} s, peak RSS {rss_instance:.0f} MB]")

    report: dict = {"instance": {"demands": args.demands, "specialists": args.specialists, "top": args.top,
                                 "seed": args.seed, "candidates": len(candidates), "slots": sum(capacities.values()),
                                 "blocked": len(blocked), "min_affinity": MIN_AFFINITY}}
    for name, solver in (("optimal", assign), ("greedy", greedy_assign)):
        t = time.perf_counter()
        result = solver(candidates, capacities, blocked, MIN_AFFINITY, 3, demands=demand_ids)
        seconds = time.perf_counter() - t
        check(result, capacities, blocked)
        report[name] = summary(result, seconds, args.demands)
        r = report[name]
        print(f"{name:8} {r['seconds']:6.2f} s  served {r['served']} ({100 * r['coverage']:.2f}%)  "
              f"total affinity {r['total_affinity']:.1f} (mean {r['mean_affinity']:.3f})  manual review "
              f"{r['manual_review']} (no_candidate {r['no_candidate']}, capacity {r['capacity']})")

    opt, greedy = report["optimal"], report["greedy"]
    report["gain"] = {"served": opt["served"] - greedy["served"],
                      "total_affinity": round(opt["total_affinity"] - greedy["total_affinity"], 3)}
    report["peak_rss_mb"] = round(peak_rss_mb(), 1)
    report["target_s"] = TARGET_S
    report["pass"] = opt["seconds"] <= TARGET_S
    print(f"gain over greedy: +{report['gain']['served']} served, {report['gain']['total_affinity']:+.1f} affinity;  "
          f"peak RSS {report['peak_rss_mb']:.0f} MB;  solver target ≤ {TARGET_S:.0f} s: "
          f"{'PASS' if report['pass'] else 'FAIL'}")

    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "assignment.json").write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
