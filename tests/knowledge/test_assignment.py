"""Campaign-wide assignment: optimality against greedy, brute force and an LP, plus the rules."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_array, vstack

from knowledge.assignment import (
    CAPACITY,
    NO_CANDIDATE,
    Assignment,
    Candidate,
    assign,
    greedy_assign,
)


def cands(*rows: tuple[str, str, float]) -> list[Candidate]:
    return [Candidate(d, s, a) for d, s, a in rows]


def chosen(result: Assignment) -> dict[str, str]:
    return {p.demand_id: p.specialist_id for p in result.pairs}


def loads(result: Assignment) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in result.pairs:
        out[p.specialist_id] = out.get(p.specialist_id, 0) + 1
    return out


# --------------------------------------------------------------------------- optimality


def test_serves_more_demands_than_greedy_in_the_classic_trap() -> None:
    candidates = cands(("D1", "S1", 0.9), ("D1", "S2", 0.8), ("D2", "S1", 0.85))
    caps = {"S1": 1, "S2": 1}
    best = assign(candidates, caps, set(), 0.3)
    greedy = greedy_assign(candidates, caps, set(), 0.3)
    assert chosen(best) == {"D1": "S2", "D2": "S1"}
    assert best.served == 2 and best.manual_review == []
    assert best.total_affinity == pytest.approx(1.65)
    assert greedy.served == 1 and greedy.reasons == {"D2": CAPACITY}


def test_coverage_wins_even_against_a_large_affinity_loss() -> None:
    # Serving D2 costs D1 almost all of its affinity; coverage still comes first, and this
    # also holds on a non-normalised scale with negative scores.
    for scale, shift in ((1.0, 0.0), (1000.0, -400.0)):
        candidates = cands(("D1", "S1", 1.0 * scale + shift), ("D1", "S2", 0.0001 * scale + shift),
                           ("D2", "S1", 0.99 * scale + shift))
        best = assign(candidates, {"S1": 1, "S2": 1}, set(), shift - 1)
        assert chosen(best) == {"D1": "S2", "D2": "S1"}


def test_long_augmenting_chain_is_found() -> None:
    # D0 can only use S0; D_i prefers S_{i-1} (0.9) over S_i (0.5). Greedy lets D1 grab S0
    # and strands D0; serving everyone needs every D_i to step down to S_i.
    n = 6
    rows = [("D0", "S0", 0.4)]
    for i in range(1, n):
        rows += [(f"D{i}", f"S{i - 1}", 0.9), (f"D{i}", f"S{i}", 0.5)]
    caps = {f"S{i}": 1 for i in range(n)}
    best = assign(cands(*rows), caps, set(), 0.3)
    greedy = greedy_assign(cands(*rows), caps, set(), 0.3)
    assert best.served == n and chosen(best) == {f"D{i}": f"S{i}" for i in range(n)}
    assert greedy.served == n - 1 and greedy.reasons == {"D0": CAPACITY}


def test_same_coverage_higher_total_affinity_than_greedy() -> None:
    candidates = cands(("D1", "S1", 0.9), ("D1", "S2", 0.6), ("D2", "S1", 0.8), ("D2", "S2", 0.35))
    caps = {"S1": 1, "S2": 1}
    best = assign(candidates, caps, set(), 0.3)
    greedy = greedy_assign(candidates, caps, set(), 0.3)
    assert best.served == greedy.served == 2
    assert chosen(best) == {"D1": "S2", "D2": "S1"}
    assert best.total_affinity == pytest.approx(1.4)
    assert greedy.total_affinity == pytest.approx(1.25)


def test_capacity_above_one_is_used_and_respected() -> None:
    candidates = cands(*[(f"D{i}", "S1", 0.9 - i / 100) for i in range(5)], ("D4", "S2", 0.4), ("D3", "S2", 0.5))
    result = assign(candidates, {"S1": 3, "S2": 1}, set(), 0.3)
    assert loads(result) == {"S1": 3, "S2": 1}
    assert result.served == 4
    # At most 4 can be served. S2 taking D3 (0.5) + S1 taking D0–D2 (2.67) beats
    # S2 taking D4 (0.4) + the same three, so D4 is the one left out.
    assert chosen(result) == {"D0": "S1", "D1": "S1", "D2": "S1", "D3": "S2"}
    assert result.manual_review == ["D4"] and result.reasons == {"D4": CAPACITY}


# --------------------------------------------------------------------------- exclusions and review


def test_blocked_and_below_minimum_pairs_go_to_manual_review_with_reasons() -> None:
    candidates = cands(
        ("D1", "S1", 0.9),  # blocked: S1 declined D1 before
        ("D2", "S2", 0.29),  # below min_affinity
        ("D3", "S1", 0.95),
        ("D5", "S1", 0.6),  # S1 is D3's only option and has one slot: capacity
    )
    blocked = {("D1", "S1"), ("D9", "S9")}  # unknown blocked pairs are harmless
    result = assign(candidates, {"S1": 1, "S2": 1}, blocked, 0.3, demands=["D0", "D1", "D2", "D3", "D5"])
    assert chosen(result) == {"D3": "S1"}
    assert result.manual_review == ["D0", "D1", "D2", "D5"]
    assert result.reasons == {"D0": NO_CANDIDATE, "D1": NO_CANDIDATE, "D2": NO_CANDIDATE, "D5": CAPACITY}


def test_min_affinity_is_inclusive_and_blocked_beats_a_free_better_pair() -> None:
    candidates = cands(("D1", "S1", 0.99), ("D1", "S2", 0.3))
    result = assign(candidates, {"S1": 1, "S2": 1}, {("D1", "S1")}, 0.3)
    assert chosen(result) == {"D1": "S2"} and result.pairs[0].alternates == []


def test_alternates_skip_assigned_blocked_and_weak_and_are_ordered() -> None:
    candidates = cands(
        ("D1", "S1", 0.9), ("D1", "S2", 0.8), ("D1", "S3", 0.85), ("D1", "S4", 0.7),
        ("D1", "S5", 0.6), ("D1", "S6", 0.2), ("D2", "S1", 0.95),
    )
    caps = {f"S{i}": 1 for i in range(1, 7)}
    blocked = {("D1", "S3")}
    result = assign(candidates, caps, blocked, 0.3, alternates=3)
    assert chosen(result) == {"D1": "S2", "D2": "S1"}  # D2 can only use S1
    pair = result.pairs[0]
    assert pair.alternates == ["S1", "S4", "S5"]  # by affinity; S3 blocked, S6 too weak
    assert assign(candidates, caps, blocked, 0.3, alternates=10).pairs[0].alternates == ["S1", "S4", "S5"]
    assert assign(candidates, caps, blocked, 0.3, alternates=1).pairs[0].alternates == ["S1"]
    assert all(p.alternates == [] for p in assign(candidates, caps, blocked, 0.3, alternates=0).pairs)


def test_lowest_and_totals() -> None:
    candidates = cands(("D1", "S1", 0.9), ("D2", "S2", 0.4), ("D3", "S3", 0.6))
    result = assign(candidates, {"S1": 1, "S2": 1, "S3": 1}, set(), 0.3)
    assert [p.demand_id for p in result.lowest(2)] == ["D2", "D3"]
    assert result.lowest(0) == [] and len(result.lowest(10)) == 3
    assert result.total_affinity == pytest.approx(1.9) and result.served == 3
    assert [p.demand_id for p in result.pairs] == ["D1", "D2", "D3"]  # input order kept


def test_empty_inputs() -> None:
    assert assign([], {}, set(), 0.3).served == 0
    result = assign([], {"S1": 2}, set(), 0.3, demands=["D1", "D2"])
    assert result.pairs == [] and result.reasons == {"D1": NO_CANDIDATE, "D2": NO_CANDIDATE}


@pytest.mark.parametrize(
    ("candidates", "caps", "alternates", "message"),
    [
        (cands(("D1", "S9", 0.5)), {"S1": 1}, 3, "no entry in capacities"),
        (cands(("D1", "S1", 0.5)), {"S1": 0}, 3, "capacity of specialist 'S1'"),
        (cands(("D1", "S1", 0.5)), {"S1": True}, 3, "capacity of specialist 'S1'"),
        (cands(("D1", "S1", 0.5)), {"S1": 1.5}, 3, "capacity of specialist 'S1'"),
        (cands(("D1", "S1", float("nan"))), {"S1": 1}, 3, "not finite"),
        (cands(("D1", "S1", 0.5), ("D1", "S1", 0.6)), {"S1": 1}, 3, "more than once"),
        (cands(("D1", "S1", 0.5)), {"S1": 1}, -1, "alternates"),
    ],
)
def test_invalid_input_is_refused_clearly(candidates, caps, alternates, message) -> None:  # type: ignore[no-untyped-def]
    for solver in (assign, greedy_assign):
        with pytest.raises(ValueError, match=message):
            solver(candidates, caps, set(), 0.3, alternates)


def test_non_finite_min_affinity_is_refused() -> None:
    with pytest.raises(ValueError, match="min_affinity"):
        assign(cands(("D1", "S1", 0.5)), {"S1": 1}, set(), float("nan"))


# --------------------------------------------------------------------------- against exact references


def brute_force(n_d: int, caps: dict[str, int], usable: dict[tuple[str, str], float]) -> tuple[int, float]:
    """(served, total) of the lexicographic optimum, by trying every assignment."""
    options = [[None] + [s for (d, s) in usable if d == f"D{i}"] for i in range(n_d)]
    best = (0, 0.0)
    for combo in itertools.product(*options):
        used = [s for s in combo if s is not None]
        if any(used.count(s) > caps[s] for s in set(used)):
            continue
        total = math.fsum(usable[(f"D{i}", s)] for i, s in enumerate(combo) if s is not None)
        if (len(used), total) > best:
            best = (len(used), total)
    return best


@st.composite
def instances(draw):  # type: ignore[no-untyped-def]
    n_d = draw(st.integers(1, 5))
    n_s = draw(st.integers(1, 4))
    caps = {f"S{j}": draw(st.integers(1, 3)) for j in range(n_s)}
    affinity = st.one_of(st.sampled_from([0.25, 0.5, 0.75]), st.floats(0.0, 1.0, allow_nan=False))
    rows, blocked = [], set()
    for i in range(n_d):
        for j in range(n_s):
            if draw(st.booleans()):
                rows.append(Candidate(f"D{i}", f"S{j}", draw(affinity)))
                if draw(st.integers(0, 5)) == 0:
                    blocked.add((f"D{i}", f"S{j}"))
    min_affinity = draw(st.sampled_from([0.0, 0.2, 0.4]))
    return n_d, caps, rows, blocked, min_affinity


@settings(max_examples=300, deadline=None)
@given(instances())
def test_matches_brute_force_and_never_loses_to_greedy(instance) -> None:  # type: ignore[no-untyped-def]
    n_d, caps, rows, blocked, min_affinity = instance
    demands = [f"D{i}" for i in range(n_d)]
    result = assign(rows, caps, blocked, min_affinity, 2, demands=demands)
    greedy = greedy_assign(rows, caps, blocked, min_affinity, 2, demands=demands)
    usable = {(c.demand_id, c.specialist_id): c.affinity for c in rows
              if (c.demand_id, c.specialist_id) not in blocked and c.affinity >= min_affinity}

    served, total = brute_force(n_d, caps, usable)
    assert result.served == served
    assert result.total_affinity == pytest.approx(total, abs=1e-9)
    assert all(n <= caps[s] for s, n in loads(result).items())
    assert all((p.demand_id, p.specialist_id) in usable for p in result.pairs)
    assert sorted(result.manual_review + [p.demand_id for p in result.pairs]) == demands
    for p in result.pairs:
        assert p.specialist_id not in p.alternates
        assert all((p.demand_id, s) in usable for s in p.alternates)
        scores = [usable[(p.demand_id, s)] for s in p.alternates]
        assert scores == sorted(scores, reverse=True)
    assert result.served >= greedy.served
    if result.served == greedy.served:
        assert result.total_affinity >= greedy.total_affinity - 1e-9


def lp_optimum(rows: list[Candidate], caps: dict[str, int]) -> tuple[float, float]:
    """Lexicographic optimum by two LPs; bipartite b-matching LPs have integral optima."""
    d_ids = {d: i for i, d in enumerate(dict.fromkeys(c.demand_id for c in rows))}
    s_ids = {s: i for i, s in enumerate(caps)}
    e = np.arange(len(rows))
    by_demand = coo_array((np.ones(len(rows)), ([d_ids[c.demand_id] for c in rows], e)), shape=(len(d_ids), len(rows)))
    by_spec = coo_array((np.ones(len(rows)), ([s_ids[c.specialist_id] for c in rows], e)), shape=(len(s_ids), len(rows)))
    a_ub = vstack([by_demand, by_spec]).tocsr()
    b_ub = np.concatenate([np.ones(len(d_ids)), np.array([caps[s] for s in s_ids], dtype=float)])
    first = linprog(-np.ones(len(rows)), A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    served = -first.fun
    affinity = np.array([c.affinity for c in rows])
    second = linprog(-affinity, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, len(rows))), b_eq=[served],
                     bounds=(0, 1), method="highs")
    return served, -second.fun


def test_matches_linear_programme_on_a_contended_medium_instance() -> None:
    rng = random.Random(11)
    specs = [f"S{j}" for j in range(120)]
    popular = specs[:30]  # everyone wants the same few experts: heavy contention
    rows = []
    for i in range(200):
        picks = rng.sample(popular, 6) + rng.sample(specs[30:], 2)
        rows += [Candidate(f"D{i}", s, round(rng.uniform(0.3, 0.9), 3)) for s in picks]
    caps = {s: rng.randint(1, 3) for s in specs}
    result = assign(rows, caps, set(), 0.3)
    served, total = lp_optimum(rows, caps)
    assert result.served == round(served)
    assert result.total_affinity == pytest.approx(total, abs=1e-6)
    assert result.served > greedy_assign(rows, caps, set(), 0.3).served


def test_an_explicit_request_wins_over_a_higher_affinity_but_never_costs_another_demand() -> None:
    candidates = [Candidate("A", "s1", 0.9), Candidate("A", "s2", 0.5), Candidate("B", "s1", 0.6)]
    plain = assign(candidates, {"s1": 1, "s2": 1}, set(), 0.3)
    assert {p.demand_id: p.specialist_id for p in plain.pairs} == {"A": "s2", "B": "s1"}  # serve both first

    # A asked for s2 while s1 fits it better: s2 is proposed, and it says so.
    solo = [Candidate("A", "s1", 0.9), Candidate("A", "s2", 0.5)]
    asked = assign(solo, {"s1": 1, "s2": 1}, set(), 0.3, preferred={("A", "s2")})
    assert [(p.specialist_id, p.requested, p.affinity) for p in asked.pairs] == [("s2", True, 0.5)]
    assert asked.pairs[0].alternates == ["s1"]

    # B asked for s1, which it would get anyway; it is marked as requested.
    both = assign(candidates, {"s1": 1, "s2": 1}, set(), 0.3, preferred={("B", "s1")})
    assert {p.demand_id: (p.specialist_id, p.requested) for p in both.pairs} == {"A": ("s2", False), "B": ("s1", True)}

    # A request for a blocked pair is not honoured: the block stands.
    blocked = assign(solo, {"s1": 1, "s2": 1}, {("A", "s2")}, 0.3, preferred={("A", "s2")})
    assert [(p.specialist_id, p.requested) for p in blocked.pairs] == [("s1", False)]

    # Serving more demands still comes first: A asked for s1, the only option for B.
    only = [Candidate("A", "s1", 0.9), Candidate("A", "s2", 0.8), Candidate("B", "s1", 0.9)]
    served = assign(only, {"s1": 1, "s2": 1}, set(), 0.3, preferred={("A", "s1")})
    assert served.served == 2 and {p.demand_id: p.specialist_id for p in served.pairs} == {"A": "s2", "B": "s1"}
