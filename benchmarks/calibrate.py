"""Fit the abstention model (knowledge.answers.E5_ABSTENTION) on labelled questions.

    .venv/bin/python benchmarks/calibrate.py [--real-dir DIR] [--plan-dir DIR] [--target 0.9]

Whether the library answers a question is decided by a logistic model over five kinds of
evidence (`knowledge.answers.abstention_features`). This script fits its weights on
in-scope and out-of-scope questions, chooses the intercept so that `--target` of the
out-of-scope ones it judges fall below the bar, and prints the line to put in
knowledge/answers.py. Questions declined before the model is asked (about another place's
own rules, or with no clause at all) are left out of the fit and count as declined.

Groups (each question is judged by the live pipeline: retrieval, then the first three clauses):
- real library (bundled plan + ../shared/corpus-real): the dev sets in ../shared/eval and
  four calibration sets in benchmarks/calibration (written separately, questions of the
  kind owners type: short and colloquial, long with their own story, near-miss clauses;
  out-of-scope ones close to the library: details it does not give, other places,
  neighbouring policy areas);
- many-document library (the real library + the nine public laws and regulations in
  benchmarks/library): two calibration sets about six of those documents, written by
  people who saw neither the code nor the other sets;
- plan alone: the plan's dev sets.
Never fitted on: benchmarks/heldout_* — benchmarks/retrieval.py reports those.

Before printing the fit, each group is held out in turn (fitted on the others, bar from the
others): the answered / declined shares on the held-out group show how the model does on
questions it was not fitted on, beside the model currently in knowledge/answers.py.
Questions mostly not in Chinese are left out of the model: they are judged by meaning alone,
against a cosine bar chosen on them (`cross_language_bar`).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import load_settings  # noqa: E402
from knowledge.answers import (  # noqa: E402
    E5_ABSTENTION,
    FEATURE_NAMES,
    Abstention,
    abstention_features,
    asks_elsewhere,
    chinese_share,
    clean_question,
    confidence,
)
from knowledge.evaluation import load_questions  # noqa: E402
from knowledge.index import BUNDLED_CORPUS  # noqa: E402
from knowledge.service import open_knowledge  # noqa: E402

HERE = Path(__file__).resolve().parent
# Nine public laws and regulations beside the real library (benchmarks/library.md).
MORE_DOCUMENTS = HERE / "library"
JUDGED = 3  # Answerer judges the first three clauses


def open_library(data_dir: str | None, paths: list[Path], name: str):  # type: ignore[no-untyped-def]
    directory = data_dir or tempfile.mkdtemp(prefix=f"tepai-calibrate-{name}-")
    kb = open_knowledge(load_settings({"TEPAI_DATA_DIR": directory, "TEPAI_EMBEDDING": "e5-small"}).knowledge)
    kb.index.update(paths)
    return kb


def collect(kb, qa: Path, ood: Path, other: list[tuple[float, float]]):  # type: ignore[no-untyped-def]
    """(features, label, shipped confidence) of every Chinese question of one group; questions
    mostly in another language add (best cosine, label) to `other` (judged by meaning alone)."""
    rows = []
    for path, label in ((qa, 1.0), (ood, 0.0)):
        for q in load_questions(path, with_gold=label == 1.0):
            text = clean_question(q.q)
            hits = kb.retriever.search(text, k=5)[:JUDGED]
            elsewhere = bool(hits) and asks_elsewhere(text, hits)
            if chinese_share(text) < 0.5:
                if hits and not elsewhere:
                    other.append((max(h.dense for h in hits), label))
                continue
            # None: declined before the model is asked (no clause; another place's own rules).
            features = abstention_features(text, hits) if hits and not elsewhere else None
            rows.append((features, label, confidence(text, hits)))
    return rows


def cross_language_bar(other: list[tuple[float, float]]) -> float:
    """The cosine that best separates in-scope from out-of-scope questions in another language
    (answered share + declined share, highest; of equals, the highest bar): halfway between two
    neighbouring cosines."""
    if not {label for _, label in other} >= {0.0, 1.0}:
        return E5_ABSTENTION.cross_language_bar
    values = sorted({cosine for cosine, _ in other})
    best, best_bar = -1.0, E5_ABSTENTION.cross_language_bar
    for low, high in zip(values, values[1:]):
        bar = (low + high) / 2
        answered = np.mean([c >= bar for c, label in other if label == 1.0])
        declined = np.mean([c < bar for c, label in other if label == 0.0])
        if answered + declined >= best:
            best, best_bar = answered + declined, bar
    return round(float(best_bar), 3)


def fit(x: np.ndarray, y: np.ndarray, l2: float, weight: np.ndarray | None = None,
        iterations: int = 4000) -> tuple[np.ndarray, float]:
    """Weighted logistic regression by gradient descent on standardised features; raw-scale weights back."""
    weight = np.ones(len(y)) if weight is None else weight / weight.mean()
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        w -= 0.1 * (z.T @ (weight * (p - y)) / len(y) + l2 * w / len(y))
        b -= 0.1 * float(np.mean(weight * (p - y)))
    raw = w / std
    return raw, b - float(raw @ mean)


def place_bar(scores: np.ndarray, y: np.ndarray, target: float) -> float:
    """The score below which `target` of the out-of-scope questions fall."""
    out = np.sort(scores[y == 0])
    return float(out[min(len(out) - 1, math.ceil(target * len(out)) - 1)]) + 1e-6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus-real")
    parser.add_argument("--real-dir", help="an existing e5 index of the real library (default: build one)")
    parser.add_argument("--plan-dir", help="an existing e5 index of the plan alone (default: build one)")
    parser.add_argument("--many-dir", help="an existing e5 index of the many-document library (default: build one)")
    parser.add_argument("--target", type=float, default=0.9, help="share of out-of-scope questions to decline")
    # Strong enough that correlated evidence (coverage of the whole question, of the ask, of the
    # known words) shares its weight instead of taking opposite signs.
    parser.add_argument("--l2", type=float, default=20.0)
    parser.add_argument("--balanced", action="store_true", help="each group the same say in the fit")
    args = parser.parse_args()

    real = open_library(args.real_dir, [BUNDLED_CORPUS, args.corpus], "real")
    plan = open_library(args.plan_dir, [BUNDLED_CORPUS], "plan")
    many = open_library(args.many_dir, [BUNDLED_CORPUS, args.corpus, MORE_DOCUMENTS], "many")
    cal = HERE / "calibration"
    other: list[tuple[float, float]] = []
    groups = {
        "real dev": collect(real, args.eval_dir / "real_qa_dev.jsonl", args.eval_dir / "real_ood_dev.jsonl", other),
        **{f"real set{i}": collect(real, cal / f"set{i}_real_qa.jsonl", cal / f"set{i}_real_ood.jsonl", other)
           for i in (1, 2, 3, 4)},
        **{f"many set{i}": collect(many, cal / f"set{i}_many_qa.jsonl", cal / f"set{i}_many_ood.jsonl", other)
           for i in (5, 6)},
        "plan dev": collect(plan, args.eval_dir / "qa_dev.jsonl", args.eval_dir / "ood_dev.jsonl", other),
    }

    def table(names):  # type: ignore[no-untyped-def]
        """Every question of `names`: labels, current confidence, whether the model judges it
        (not declined before), a weight giving each group the same say; features of those judged."""
        rows = [(row, 1.0 / len(groups[name])) for name in names for row in groups[name]]
        judged = np.array([r[0] is not None for r, _ in rows])
        return (np.array([r[1] for r, _ in rows]), np.array([r[2] for r, _ in rows]), judged,
                np.array([w for _, w in rows]), np.array([r[0] for r, _ in rows if r[0] is not None]))

    def scores(x, judged, w, b):  # type: ignore[no-untyped-def]
        """The model's score of every question: −inf for those declined before the model."""
        full = np.full(len(judged), -np.inf)
        full[judged] = x @ w + b
        return full

    print(f"{'held out':10} {'n':>4}   {'fitted: answered / declined':>28}   {'in answers.py now':>18}")
    totals = {"fit": [[], []], "now": [[], []]}
    for held in groups:
        y, _, judged, weight, x = table([g for g in groups if g != held])
        w, b = fit(x, y[judged], args.l2, weight[judged] if args.balanced else None)
        bar = place_bar(x @ w + b, y[judged], args.target)
        hy, hnow, hjudged, _, hx = table([held])
        held_scores = scores(hx, hjudged, w, b)
        fitted = (held_scores[hy == 1] > bar, held_scores[hy == 0] <= bar)
        now = (hnow[hy == 1] >= 0.5, hnow[hy == 0] < 0.5)
        for key, (a, d) in (("fit", fitted), ("now", now)):
            totals[key][0].extend(a)
            totals[key][1].extend(d)
        print(f"{held:10} {len(hy):4}   {np.mean(fitted[0]):13.2f} / {np.mean(fitted[1]):.2f}"
              f"   {np.mean(now[0]):11.2f} / {np.mean(now[1]):.2f}")
    print(f"{'all':10} {'':4}   {np.mean(totals['fit'][0]):13.2f} / {np.mean(totals['fit'][1]):.2f}"
          f"   {np.mean(totals['now'][0]):11.2f} / {np.mean(totals['now'][1]):.2f}")

    y, _, judged, weight, x = table(list(groups))
    w, b = fit(x, y[judged], args.l2, weight[judged] if args.balanced else None)
    bar = place_bar(x @ w + b, y[judged], args.target)
    model = Abstention(b - bar, *map(float, w), cross_language_bar=cross_language_bar(other))  # type: ignore[call-arg]
    margin = scores(x, judged, w, b - bar)
    print(f"\nall groups: {int(np.sum(y == 1))} in-scope, {int(np.sum(y == 0))} out-of-scope "
          f"({int(np.sum(~judged))} declined by the other-place rule or for want of a clause); at the bar "
          f"answered {np.mean(margin[y == 1] >= 0):.2f}, declined {np.mean(margin[y == 0] < 0):.2f}")
    print(f"questions in another language: {sum(1 for _, label in other if label)} in-scope, "
          f"{sum(1 for _, label in other if not label)} out-of-scope; cosine bar {model.cross_language_bar} "
          f"(now {E5_ABSTENTION.cross_language_bar})")
    fields = ", ".join(f"{name}={getattr(model, name):.3f}" for name in ("intercept", *FEATURE_NAMES))
    print(f"E5_ABSTENTION = Abstention({fields}, cross_language_bar={model.cross_language_bar})")


if __name__ == "__main__":
    main()
