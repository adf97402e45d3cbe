"""Hybrid retrieval: BM25 over jieba tokens fused with dense (Chroma) similarity.

Fusion is a convex combination of the two scores, each put on a 0–1 scale:
the dense cosine as is (it is already comparable across questions), and BM25
divided by the best BM25 score of the question, damped by how much of the
question's vocabulary the best lexical match actually covers. A question that
shares no words with the corpus (English about a Chinese document, a loose
paraphrase) is ranked by meaning alone; a question whose rare words appear
verbatim in a clause is ranked mostly by them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from knowledge.chunking import Chunk
from knowledge.index import DocRecord, KnowledgeIndex, Snapshot
from knowledge.lexical import coverage as lexical_coverage
from knowledge.lexical import token_weights, tokenize

Mode = Literal["hybrid", "bm25", "dense"]
CANDIDATES = 30
LEXICAL_WEIGHT = 0.5


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    doc: DocRecord
    score: float  # the fused score used for ranking, 0–1
    dense: float  # cosine similarity of question and clause
    lexical: float  # BM25 relative to the question's best match, 0–1
    coverage: float  # IDF-weighted share of the question's words in the clause


class Retriever:
    def __init__(self, index: KnowledgeIndex, mode: Mode = "hybrid", lexical_weight: float = LEXICAL_WEIGHT) -> None:
        self.index = index
        self.mode = mode
        self.lexical_weight = lexical_weight

    def search(self, question: str, k: int = 5) -> list[Hit]:
        snap = self.index.snapshot()
        if snap is None or not snap.chunks or not question.strip():
            return []
        allowed = snap.searchable
        tokens = tokenize(question)

        lexical = np.zeros(len(snap.chunks), dtype=np.float32)
        if self.mode != "dense":
            raw = snap.lexical.scores(tokens)
            raw = np.where(allowed, raw, 0.0)
            top = float(raw.max()) if raw.size else 0.0
            if top > 0:
                lexical = raw / top

        dense: dict[int, float] = {}
        vector = None
        if self.mode != "bm25":
            vector = self.index.embeddings.embed_array([question], query=True)[0]
            for unit_id, similarity in self.index.vectors.query(vector, 3 * CANDIDATES):
                pos = snap.position.get(unit_id.rsplit(":", 1)[0])
                if pos is not None and allowed[pos]:
                    dense[pos] = max(dense.get(pos, 0.0), similarity)

        candidates = set(dense)
        if self.mode != "dense":
            # argpartition: only the best CANDIDATES, not a full sort of every chunk.
            top = min(CANDIDATES, len(lexical))
            order = np.argpartition(-lexical, top - 1)[:top] if top else []
            candidates.update(int(i) for i in order if lexical[i] > 0)
        if not candidates:
            return []

        weights = token_weights(tokens, self.index.index_dir.parent / "cache")
        coverage = {pos: lexical_coverage(weights, snap.chunks[pos].index_text) for pos in candidates}
        best_coverage = max(coverage.values()) if coverage else 0.0
        missing_dense = [p for p in candidates if p not in dense]
        if missing_dense and vector is not None:
            dense.update(self._dense_for(snap, vector, missing_dense))

        hits = []
        for pos in candidates:
            d = dense.get(pos, 0.0)
            lex = float(lexical[pos])
            if self.mode == "bm25":
                score = lex
            elif self.mode == "dense":
                score = d
            else:
                w = self.lexical_weight * best_coverage
                score = w * lex + (1 - w) * d
            chunk = snap.chunks[pos]
            hits.append(Hit(chunk, snap.docs[chunk.doc_key], float(score), d, lex, coverage[pos]))
        hits.sort(key=lambda h: (-h.score, h.chunk.ordinal))
        return hits[:k]

    def _dense_for(self, snap: Snapshot, query: np.ndarray, positions: list[int]) -> dict[int, float]:
        """Cosine for lexical candidates the dense search did not return (stored vectors)."""
        unit_ids = {pos: snap.chunks[pos].unit_ids() for pos in positions}
        stored = self.index.vectors.vectors_for([u for ids in unit_ids.values() for u in ids])
        out = {}
        for pos, ids in unit_ids.items():
            sims = [float(stored[u] @ query) for u in ids if u in stored]
            if sims:
                out[pos] = max(0.0, max(sims))
        return out
