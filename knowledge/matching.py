"""Specialist matching: affinity between an enterprise demand and a specialist profile.

affinity = 0.5·cos(demand, whole profile) + 0.5·max cos(demand, one expertise item)
           + FIELD_WEIGHT · field agreement

The whole-profile cosine rewards broad fit; the best single expertise item ("乳制品加工")
rewards a precise match and names the reason. Field agreement is 1 for the same field and
otherwise the cosine of the two field names, so taxonomies that differ in wording
(生物与新医药 / 生物医药) still agree. Vectors live in their own Chroma collection; one
vector per profile and one per expertise item.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from knowledge.embeddings import BaseEmbeddings
from knowledge.vectors import VectorStore, collection_name

FIELD_WEIGHT = 0.15
CANDIDATES = 60
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
        tail = f"。{self.achievements}" if self.achievements else ""
        return f"{self.field}：{self.expertise}{tail}"

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
    score: float
    matched_item: str  # the expertise item closest to the demand
    shared_field: str | None  # set when the fields agree


@dataclass(frozen=True)
class PreparedBatch:
    """Embedded profiles ready to be written (see `MatchIndex.prepare`)."""

    specialist_ids: list[str]
    ids: list[str]
    vectors: np.ndarray
    metadatas: list[dict]


@dataclass
class MatchIndex:
    """Specialist vectors in Chroma, with their profiles (in metadata)."""

    embeddings: BaseEmbeddings
    store: VectorStore
    _field_cache: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def open(cls, embeddings: BaseEmbeddings, client, embedding_name: str) -> MatchIndex:  # type: ignore[no-untyped-def]
        return cls(embeddings, VectorStore(client, collection_name("specialists", embedding_name)))

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

    def field_agreement(self, a: str, b: str) -> float:
        if not a or not b:
            return 0.0
        if a == b:
            return 1.0
        similarity = float(self._field_vector(a) @ self._field_vector(b))
        return max(0.0, (similarity - 0.5) / 0.5)

    def match(self, demand: Demand, top: int = 10, exclude: set[str] | None = None) -> list[Match]:
        """The `top` specialists for `demand`, best first."""
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
        matches = []
        for sid, entry in by_specialist.items():
            meta = entry["meta"]
            item_sim, item = entry["item"]
            profile_sim = entry["profile"] if entry["profile"] is not None else item_sim
            if item_sim < 0:
                item_sim, item = profile_sim, meta["expertise"]
            agreement = self.field_agreement(demand.field, meta["field"])
            score = 0.5 * profile_sim + 0.5 * item_sim + FIELD_WEIGHT * agreement
            matches.append(Match(sid, meta["name"], meta["institution"], meta["title"], meta["field"],
                                 meta["expertise"], round(score, 4), item,
                                 meta["field"] if agreement >= 0.5 else None))
        matches.sort(key=lambda m: (-m.score, m.id))
        return matches[:top]
