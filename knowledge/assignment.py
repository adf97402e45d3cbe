"""Global assignment of a campaign's demands to specialists (the "1+1+1" pairing round).

The embedding matcher proposes, per enterprise demand, a short list of specialists with an
affinity score (typically the top 50). This module picks one specialist per demand for the
whole campaign at once, so that a popular specialist is not handed to the first demand that
happens to rank them highly while another demand had no one else.

Objective, lexicographic:
  1. serve as many demands as possible;
  2. among those solutions, maximise the total affinity of the chosen pairs.
Constraints: a demand gets at most one specialist, a specialist at most `capacity` demands,
and blocked pairs (declined / conflict of interest) and pairs below `min_affinity` are never
used.

Explicit requests (an enterprise asked for this specialist, `preferred`) are a strong
preference: such a pair counts PREFERENCE_BONUS more in criterion 2 — more than any affinity
difference, so a requested specialist with capacity gets the demand — but never at the cost
of criterion 1: a request does not leave another demand unserved. A preferred pair is still
subject to blocks and capacity, and reported (`Pair.requested`) so staff see it was honoured.

Formulation (min-cost assignment on a sparse bipartite graph, solved exactly with
`scipy.sparse.csgraph.min_weight_full_bipartite_matching`, i.e. LAPJVsp):
  rows    = demands with at least one usable candidate;
  columns = one column per capacity *slot* of each specialist (capacity 3 -> 3 identical
            columns), plus one private "unassigned" dummy column per demand.
A demand's edges go to every slot of every usable candidate, and to its own dummy. The dummy
guarantees a full matching exists (every row can always fall back to it), which the solver
requires. Costs encode the lexicographic objective, see `_edge_costs`.

Demands that end on their dummy are reported for manual review with reason "capacity";
demands that never had a usable candidate get "no_candidate". Each served pair also carries
`alternates`: the next-best usable specialists for that demand, to offer when the assigned
specialist declines.

`greedy_assign` (take pairs by descending affinity while both sides are free) is kept only
as a baseline for tests and the benchmark; it is not used to make proposals.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

NO_CANDIDATE = "no_candidate"
CAPACITY = "capacity"
PREFERENCE_BONUS = 1.0  # above any affinity spread the matcher produces (scores are ~0–1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One (demand, specialist) suggestion from the matcher."""

    demand_id: str
    specialist_id: str
    affinity: float


@dataclass
class Pair:
    """A proposed pairing; `alternates` are fallback specialist ids, best first."""

    demand_id: str
    specialist_id: str
    affinity: float
    alternates: list[str] = field(default_factory=list)
    requested: bool = False  # the enterprise asked for this specialist


@dataclass
class Assignment:
    """The campaign-wide result. `reasons[demand_id]` says why a demand is in manual review."""

    pairs: list[Pair]
    manual_review: list[str]
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def served(self) -> int:
        return len(self.pairs)

    @property
    def total_affinity(self) -> float:
        return math.fsum(p.affinity for p in self.pairs)

    def lowest(self, n: int) -> list[Pair]:
        """The n weakest proposed pairs: where staff should look first."""
        return sorted(self.pairs, key=lambda p: p.affinity)[: max(n, 0)]


@dataclass
class _Problem:
    """Inputs reduced to integer indices; only usable edges survive into d/s/a."""

    demand_ids: list[str]
    specialist_ids: list[str]
    capacity: np.ndarray  # int64, per specialist index
    d: np.ndarray  # demand index per usable edge
    s: np.ndarray  # specialist index per usable edge
    a: np.ndarray  # affinity per usable edge
    p: np.ndarray | None = None  # bool per usable edge: an explicit request

    @property
    def weight(self) -> np.ndarray:
        """What criterion 2 maximises: affinity, plus the bonus on requested pairs."""
        return self.a if self.p is None else self.a + PREFERENCE_BONUS * self.p


# --------------------------------------------------------------------------- public API


def assign(
    candidates: Iterable[Candidate],
    capacities: Mapping[str, int],
    blocked: Collection[tuple[str, str]],
    min_affinity: float,
    alternates: int = 3,
    *,
    demands: Iterable[str] | None = None,
    preferred: Collection[tuple[str, str]] = (),
) -> Assignment:
    """Optimal assignment: most demands served, then highest total affinity (requested
    pairs first, see the module docstring).

    `demands` optionally lists every demand of the campaign, so that one the matcher returned
    nothing for still shows up in manual review (it also fixes the output order).
    """
    problem = _prepare(candidates, capacities, blocked, min_affinity, alternates, demands, preferred)
    chosen = _solve(problem)
    return _result(problem, chosen, alternates)


def greedy_assign(
    candidates: Iterable[Candidate],
    capacities: Mapping[str, int],
    blocked: Collection[tuple[str, str]],
    min_affinity: float,
    alternates: int = 3,
    *,
    demands: Iterable[str] | None = None,
    preferred: Collection[tuple[str, str]] = (),
) -> Assignment:
    """Baseline only: take usable pairs by descending affinity while both sides are free."""
    problem = _prepare(candidates, capacities, blocked, min_affinity, alternates, demands, preferred)
    chosen = np.full(len(problem.demand_ids), -1, dtype=np.int64)
    left = problem.capacity.copy()
    # Stable sort, so ties fall back to the matcher's order, like `assign`'s alternates.
    for edge in np.argsort(-problem.weight, kind="stable").tolist():
        d, s = int(problem.d[edge]), int(problem.s[edge])
        if chosen[d] < 0 and left[s] > 0:
            chosen[d] = s
            left[s] -= 1
    return _result(problem, chosen, alternates)


# --------------------------------------------------------------------------- input handling


def _prepare(
    candidates: Iterable[Candidate],
    capacities: Mapping[str, int],
    blocked: Collection[tuple[str, str]],
    min_affinity: float,
    alternates: int,
    demands: Iterable[str] | None,
    preferred: Collection[tuple[str, str]] = (),
) -> _Problem:
    _check_scalars(min_affinity, alternates)
    specialist_ids, capacity = _capacities(capacities)
    spec_index = {sid: i for i, sid in enumerate(specialist_ids)}
    demand_index: dict[str, int] = {}
    for demand_id in demands or ():
        demand_index.setdefault(demand_id, len(demand_index))
    # `in` on a list of tuples would make the loop below quadratic.
    blocked = blocked if isinstance(blocked, (set, frozenset)) else set(blocked)
    preferred = preferred if isinstance(preferred, (set, frozenset)) else set(preferred)

    d, s, a, keep, pref = [], [], [], [], []
    for c in candidates:
        sid = spec_index.get(c.specialist_id)
        if sid is None:
            raise ValueError(f"candidate {c.demand_id!r}→{c.specialist_id!r}: specialist has no entry in capacities")
        d.append(demand_index.setdefault(c.demand_id, len(demand_index)))
        s.append(sid)
        a.append(c.affinity)
        keep.append((c.demand_id, c.specialist_id) not in blocked)
        pref.append((c.demand_id, c.specialist_id) in preferred)

    d_arr = np.asarray(d, dtype=np.int64)
    s_arr = np.asarray(s, dtype=np.int64)
    a_arr = np.asarray(a, dtype=np.float64)
    demand_ids = list(demand_index)
    _check_edges(d_arr, s_arr, a_arr, demand_ids, specialist_ids)
    pref_arr = np.asarray(pref, dtype=bool)
    # A requested pair is usable below min_affinity: the enterprise knows what it asked for.
    usable = np.asarray(keep, dtype=bool) & ((a_arr >= min_affinity) | pref_arr)
    return _Problem(demand_ids, specialist_ids, capacity, d_arr[usable], s_arr[usable], a_arr[usable],
                    pref_arr[usable] if pref_arr.any() else None)


def _check_scalars(min_affinity: float, alternates: int) -> None:
    if not math.isfinite(min_affinity):
        raise ValueError(f"min_affinity must be a finite number, got {min_affinity!r}")
    if isinstance(alternates, bool) or not isinstance(alternates, int) or alternates < 0:
        raise ValueError(f"alternates must be an integer ≥ 0, got {alternates!r}")


def _capacities(capacities: Mapping[str, int]) -> tuple[list[str], np.ndarray]:
    for sid, cap in capacities.items():
        # bool is an int subclass; True as "capacity 1" is almost certainly a data bug.
        if isinstance(cap, bool) or not isinstance(cap, (int, np.integer)) or cap < 1:
            raise ValueError(f"capacity of specialist {sid!r} must be an integer ≥ 1, got {cap!r}")
    return list(capacities), np.fromiter(capacities.values(), dtype=np.int64, count=len(capacities))


def _check_edges(d: np.ndarray, s: np.ndarray, a: np.ndarray, demand_ids: list[str], specialist_ids: list[str]) -> None:
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"candidate {demand_ids[d[i]]!r}→{specialist_ids[s[i]]!r}: affinity {a[i]!r} is not finite")
    # A duplicated pair has no single affinity to optimise; refuse rather than guess.
    keys = d * max(len(specialist_ids), 1) + s
    uniq, first, counts = np.unique(keys, return_index=True, return_counts=True)
    if uniq.size != keys.size:
        i = int(first[np.flatnonzero(counts > 1)[0]])
        raise ValueError(f"candidate {demand_ids[d[i]]!r}→{specialist_ids[s[i]]!r} appears more than once")


# --------------------------------------------------------------------------- the solver


def _solve(problem: _Problem) -> np.ndarray:
    """Specialist index chosen per demand index, -1 where none."""
    chosen = np.full(len(problem.demand_ids), -1, dtype=np.int64)
    if problem.a.size == 0:
        return chosen
    rows, d_row = np.unique(problem.d, return_inverse=True)
    specs, s_col = np.unique(problem.s, return_inverse=True)
    slots = _slot_counts(problem.capacity[specs], s_col)
    edge_rows, edge_cols, edge_of = _expand_slots(d_row, s_col, slots)
    real_cost, dummy_cost = _edge_costs(problem.weight, served_max=min(rows.size, int(slots.sum())))

    n_rows, n_slots = rows.size, int(slots.sum())
    graph = csr_array(
        (
            np.concatenate([real_cost[edge_of], np.full(n_rows, dummy_cost)]),
            (np.concatenate([edge_rows, np.arange(n_rows)]), np.concatenate([edge_cols, n_slots + np.arange(n_rows)])),
        ),
        shape=(n_rows, n_slots + n_rows),
    )
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    real = matched_cols < n_slots  # anything else is the row's own "unassigned" dummy
    slot_owner = np.repeat(specs, slots)
    chosen[rows[matched_rows[real]]] = slot_owner[matched_cols[real]]
    return chosen


def _slot_counts(capacity: np.ndarray, s_col: np.ndarray) -> np.ndarray:
    # A specialist named by only 2 demands can never fill a 3rd slot: fewer identical
    # columns means a smaller graph and fewer tied alternatives for the solver to explore.
    return np.minimum(capacity, np.bincount(s_col, minlength=capacity.size))


def _expand_slots(d_row: np.ndarray, s_col: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge (demand, specialist) -> one edge per slot of that specialist, vectorised.

    Returns row, column and the originating edge index of every expanded edge.
    """
    first_slot = np.concatenate([[0], np.cumsum(slots)[:-1]])
    reps = slots[s_col]
    edge_of = np.repeat(np.arange(s_col.size), reps)
    # 0, 1, ..., reps-1 within each repeated block.
    within = np.arange(edge_of.size) - np.repeat(np.cumsum(reps) - reps, reps)
    return d_row[edge_of], first_slot[s_col[edge_of]] + within, edge_of


def _edge_costs(affinity: np.ndarray, served_max: int) -> tuple[np.ndarray, float]:
    """Costs that make "serve one more demand" beat any affinity gain.

    Every row is matched (real slot or its dummy), so a solution serving `s` demands costs
        C = Σ_served (1 + (a_max - a_e)) + (n - s) · D,    with 0 ≤ a_max - a_e ≤ R.
    * For a fixed `s` the `1`s and D-terms are constant, so minimising C maximises Σ a_e:
      criterion 2.
    * A solution serving s+k (k ≥ 1) costs at most (s+k)(1+R) + (n-s-k)D; one serving s
      costs at least s + (n-s)D. The first is cheaper iff D > 1 + (s+k)R/k, and
      (s+k)/k ≤ s+1 ≤ served_max, so D = 2 + served_max·R always suffices: criterion 1.
    The `1 +` keeps every real cost ≥ 1 because the solver treats weights as non-zero.
    With n = 10k and R < 1, C stays below ~1e8, so float64 still resolves affinity
    differences of ~1e-7 in the total; finer ties are not meaningful matcher output anyway.
    """
    a_max = float(affinity.max())
    spread = a_max - float(affinity.min())
    return 1.0 + (a_max - affinity), 2.0 + served_max * spread


# --------------------------------------------------------------------------- output


def _result(problem: _Problem, chosen: np.ndarray, alternates: int) -> Assignment:
    pairs: list[Pair] = []
    reasons: dict[str, str] = {}
    ranked = _ranked_candidates(problem)
    requested = set() if problem.p is None else set(zip(problem.d[problem.p].tolist(), problem.s[problem.p].tolist()))
    for d, demand_id in enumerate(problem.demand_ids):
        options = ranked.get(d)
        if not options:
            reasons[demand_id] = NO_CANDIDATE
        elif chosen[d] < 0:
            reasons[demand_id] = CAPACITY
        else:
            pairs.append(_pair(problem, demand_id, int(chosen[d]), options, alternates))
            pairs[-1].requested = (d, int(chosen[d])) in requested
    return Assignment(pairs, list(reasons), reasons)


def _ranked_candidates(problem: _Problem) -> dict[int, list[tuple[int, float]]]:
    """Usable (specialist, affinity) per demand, best first; ties keep the matcher's order."""
    order = np.lexsort((-problem.a, problem.d))  # lexsort is stable
    ranked: dict[int, list[tuple[int, float]]] = {}
    for d, s, a in zip(problem.d[order].tolist(), problem.s[order].tolist(), problem.a[order].tolist()):
        ranked.setdefault(d, []).append((s, a))
    return ranked


def _pair(problem: _Problem, demand_id: str, chosen: int, options: list[tuple[int, float]], k: int) -> Pair:
    affinity = next(a for s, a in options if s == chosen)
    # Blocked and below-minimum specialists were dropped in _prepare, so they cannot show
    # up here. Alternates are ranked by affinity only, not by spare capacity: an alternate
    # may be full when asked, and after several declines re-running `assign` is the answer.
    backups = [problem.specialist_ids[s] for s, _ in options if s != chosen][:k]
    return Pair(demand_id, problem.specialist_ids[chosen], affinity, backups)
