"""Specialist matching: how well what a specialist knows fits an enterprise demand.

    expertise  = 0.5·cos(demand, whole profile) + 0.5·max cos(demand, one expertise item)
    standing   = (expertise − background mean) / background spread
    relevance  = tanh(standing / 10)
    score      = tanh((standing + FIELD_TIE · field agreement) / 10)

The whole-profile cosine rewards broad fit; the best single expertise item ("乳制品加工")
rewards a precise match and names the reason. The profile vector holds expertise and
achievements only, not the field label: a shared label must not pass for knowledge.

Raw cosines mean different things per encoder (e5 puts almost any two Chinese texts
above 0.85, USE spreads them over 0–0.6) and per demand (a long demand is "close" to
everything). So each demand is also compared with a fixed background — the names of
broad industry sectors (`BACKGROUND`, general domain vocabulary, not tuned to any data) —
and the standing counts how far the expertise stands above that background, in units of
the background's spread; tanh(·/10) maps it onto 0–1 for display and for the assignment's
affinities (monotone: the ranking is the standing's). A specialist whose relevance is below
RELEVANCE_FLOOR (a standing of about 3.4 spreads) is not a match at all: callers say so
instead of suggesting them.

Field agreement only breaks near-ties: at most FIELD_TIE (half a background spread), so a
clearly better expertise match always ranks first. It is 1 for the same label and
otherwise measured the same way — the two labels' similarity against the background — so
labels from different taxonomies (生物与新医药 / 生物医药) still agree by meaning.
Vectors live in their own Chroma collection; one vector per profile and one per item.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from knowledge.embeddings import BaseEmbeddings
from knowledge.vectors import VectorStore, collection_name

FIELD_TIE = 0.5  # background spreads
RELEVANCE_FLOOR = 0.33  # tanh(3.43 / 10); set on the dev demands and dev_unmatched, see benchmarks/matching.py
CANDIDATES = 60
# Broad sectors a demand is compared against to tell "relevant" from "merely Chinese text".
BACKGROUND = ("电子信息", "生物与新医药", "航空航天", "新材料", "高技术服务", "新能源与节能", "资源与环境",
              "先进制造与自动化", "现代农业", "文化创意", "教育培训", "金融服务", "交通运输", "建筑工程",
              "食品加工", "医疗卫生", "化学工程", "纺织服装")
_ITEM_SPLIT = re.compile(r"[、，,；;。/]|（|）|\(|\)")


@dataclass(frozen=True)
class Profile:
    id: str
    name: str
    institution: str
    title: str
    field: str
    expertise: str
    achievements: str = ""
    capacity: int = 1

    @property
    def text(self) -> str:
        return f"{self.expertise}。{self.achievements}" if self.achievements else self.expertise

    @property
    def items(self) -> list[str]:
        parts = [p.strip() for p in _ITEM_SPLIT.split(self.expertise) if len(p.strip()) >= 2]
        return list(dict.fromkeys([self.expertise] + parts))


@dataclass(frozen=True)
class Demand:
    field: str = ""
    product: str = ""
    directions: tuple[str, ...] = ()
    description: str = ""

    @property
    def text(self) -> str:
        head = "：".join(p for p in (self.product, self.description) if p)
        return head or "、".join(self.directions) or self.field

    @classmethod
    def from_mapping(cls, data: dict) -> Demand:
        raw = data.get("direction", data.get("directions", ()))
        directions = tuple(raw) if isinstance(raw, (list, tuple)) else tuple(d for d in [raw] if d)
        return cls(str(data.get("field") or ""), str(data.get("product") or ""), directions,
                   str(data.get("description") or ""))


@dataclass(frozen=True)
class Match:
    id: str
    name: str
    institution: str
    title: str
    field: str
    expertise: str
    score: float  # relevance plus the field tie-break; what the ranking and the assignment use
    matched_item: str  # the expertise item closest to the demand
    shared_field: str | None  # set when the fields agree
    relevance: float = 1.0  # expertise against the background (see module docstring)

    @property
    def relevant(self) -> bool:
        """At or above the relevance floor: worth suggesting at all."""
        return self.relevance >= RELEVANCE_FLOOR


@dataclass(frozen=True)
class PreparedBatch:
    """Embedded profiles ready to be written (see `MatchIndex.prepare`)."""

    specialist_ids: list[str]
    ids: list[str]
    vectors: np.ndarray
    metadatas: list[dict]


# 2: the profile vector holds expertise and achievements, not the field label.
PROFILE_FORMAT = 2


@dataclass
class MatchIndex:
    """Specialist vectors in Chroma, with their profiles (in metadata)."""

    embeddings: BaseEmbeddings
    store: VectorStore
    _field_cache: dict[str, np.ndarray] = field(default_factory=dict)
    _background: np.ndarray | None = None
    _agreement_cache: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def open(cls, embeddings: BaseEmbeddings, client, embedding_name: str) -> MatchIndex:  # type: ignore[no-untyped-def]
        # The profile format is part of the name: vectors of another format are never mixed in,
        # and the bot rebuilds the new collection from the database at start (reconcile_index).
        return cls(embeddings, VectorStore(client, collection_name(f"specialists-v{PROFILE_FORMAT}", embedding_name)))

    def upsert(self, profiles: list[Profile], batch: int = 512) -> None:
        """Add or replace profiles (their old item vectors are removed first)."""
        self.write(self.prepare(profiles, batch))

    def prepare(self, profiles: list[Profile], batch: int = 512,
                progress: Callable[[int, int], None] | None = None) -> list[PreparedBatch]:
        """Embed profiles without touching the store: the slow half of `upsert`, run before any
        database transaction or store lock is taken."""
        prepared = []
        for start in range(0, len(profiles), batch):
            chunk = profiles[start : start + batch]
            ids, texts, metas = [], [], []
            for p in chunk:
                meta = {"sid": p.id, "name": p.name, "institution": p.institution, "title": p.title,
                        "field": p.field, "expertise": p.expertise, "capacity": p.capacity}
                ids.append(f"{p.id}#p")
                texts.append(p.text)
                metas.append({**meta, "kind": "profile", "item": p.expertise})
                for n, item in enumerate(p.items):
                    ids.append(f"{p.id}#{n}")
                    texts.append(item)
                    metas.append({**meta, "kind": "item", "item": item})
            prepared.append(PreparedBatch([p.id for p in chunk], ids, self.embeddings.embed_array(texts), metas))
            if progress:
                progress(start + len(chunk), len(profiles))
        return prepared

    def write(self, prepared: list[PreparedBatch]) -> None:
        """Store embedded profiles: old vectors of each profile out, the new ones in."""
        for part in prepared:
            self.remove(part.specialist_ids)
            self.store.upsert(part.ids, part.vectors, part.metadatas)

    def remove(self, specialist_ids: list[str]) -> None:
        if specialist_ids:
            self.store.delete_where({"sid": {"$in": list(specialist_ids)}})

    def count(self) -> int:
        return self.store.count_where({"kind": "profile"})

    def _field_vector(self, name: str) -> np.ndarray:
        if name not in self._field_cache:
            self._field_cache[name] = self.embeddings.embed_array([name])[0]
        return self._field_cache[name]

    def _background_vectors(self) -> np.ndarray:
        if self._background is None:
            self._background = self.embeddings.embed_array(list(BACKGROUND))
        return self._background

    def _standing(self, vector: np.ndarray, similarity: np.ndarray | float) -> np.ndarray | float:
        """How many background spreads `similarity` stands above `vector`'s background."""
        background = self._background_vectors() @ vector
        return (similarity - float(background.mean())) / max(float(background.std()), 1e-6)

    def field_agreement(self, a: str, b: str) -> float:
        """1 for the same label; otherwise 0–1 by meaning (different taxonomies still agree)."""
        if not a or not b:
            return 0.0
        if a == b:
            return 1.0
        if (a, b) not in self._agreement_cache:
            va, vb = self._field_vector(a), self._field_vector(b)
            similarity = float(va @ vb)
            standing = (self._standing(va, similarity) + self._standing(vb, similarity)) / 2
            self._agreement_cache[(a, b)] = float(min(1.0, max(0.0, (standing - 0.5) / 1.5)))
        return self._agreement_cache[(a, b)]

    def match(self, demand: Demand, top: int = 10, exclude: set[str] | None = None) -> list[Match]:
        """The `top` specialists for `demand`, best first — below the relevance floor too
        (`Match.relevant` tells them apart; staff see them marked, owners never)."""
        if not demand.text.strip():  # no count() here: it costs more than the query at 100k
            return []
        query = self.embeddings.embed_array([demand.text], query=True)[0]
        hits = self.store.query_with_metadata(query, max(CANDIDATES, top) * 4)
        by_specialist: dict[str, dict] = {}
        for similarity, meta in hits:
            sid = meta["sid"]
            if exclude and sid in exclude:
                continue
            entry = by_specialist.setdefault(sid, {"meta": meta, "profile": None, "item": (-1.0, "")})
            if meta["kind"] == "profile":
                entry["profile"] = similarity
            elif similarity > entry["item"][0]:
                entry["item"] = (similarity, meta["item"])
        missing = [sid for sid, e in by_specialist.items() if e["profile"] is None]
        if missing:
            for sid, vector in self.store.vectors_for([f"{sid}#p" for sid in missing]).items():
                by_specialist[sid.split("#")[0]]["profile"] = float(vector @ query)
        background = self._background_vectors() @ query
        centre, spread = float(background.mean()), max(float(background.std()), 1e-6)
        matches = []
        for sid, entry in by_specialist.items():
            meta = entry["meta"]
            item_sim, item = entry["item"]
            profile_sim = entry["profile"] if entry["profile"] is not None else item_sim
            if item_sim < 0:
                item_sim, item = profile_sim, meta["expertise"]
            agreement = self.field_agreement(demand.field, meta["field"])
            standing = (0.5 * profile_sim + 0.5 * item_sim - centre) / spread
            relevance = math.tanh(standing / 10)
            score = math.tanh((standing + FIELD_TIE * agreement) / 10)
            matches.append(Match(sid, meta["name"], meta["institution"], meta["title"], meta["field"],
                                 meta["expertise"], round(score, 4), item,
                                 meta["field"] if agreement >= 0.5 else None, round(relevance, 4)))
        matches.sort(key=lambda m: (-m.score, m.id))
        return matches[:top]
