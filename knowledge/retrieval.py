"""Hybrid retrieval over a many-document library.

A question is searched by its own words plus the formal words the policy vocabulary
adds (高企 → 高新技术企业; knowledge/vocabulary.py), two ways:

- lexical: BM25 over jieba tokens of each clause and its heading;
- dense: cosine between the question and each sentence of a clause (a clause is as
  close as its closest sentence).

The candidates of both are then ranked on one 0–1 scale by a convex combination of

- meaning: the dense cosine, relative to the spread among this question's candidates
  (encoders such as e5 put every Chinese sentence between 0.75 and 0.9: the absolute
  value says little, the ordering a lot);
- words: BM25 relative to the question's best lexical match;
- the document: how much of the question names the document the clause belongs to
  (a question about 企业所得税法 or 高企 prefers clauses of that law);
- figures: a question asking 多少 / 比例 / 几年 prefers a clause that states a figure;
- jurisdiction: a question that names a place or level (济南, 山东, 省里, 国家) prefers
  clauses of that place's documents, and such words count as covered by them (a 山东省
  regulation says 本省, not 山东);
- amounts: a question that states its own figure (营收4000万, 200名员工) prefers the
  clause whose stated bounds contain it (小于5,000万元（含） over 2亿元以上);
- coverage: the IDF-weighted share of the question's words the clause holds, and again of
  the words of the part that asks (knowledge.asking: an owner's story before the question
  says little about which clause answers it).

`mode="bm25"` and `mode="dense"` rank by one kind alone (benchmark baselines).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from knowledge.amounts import amount_fit, stated_amounts
from knowledge.asking import ask_segment
from knowledge.chunking import Chunk
from knowledge.index import DocRecord, KnowledgeIndex, Snapshot
from knowledge.lexical import token_weights, tokenize
from knowledge.vocabulary import JURISDICTION_WORDS, PLACE_ALIASES, QUESTION_FILLER, expand, expansion_pairs

Mode = Literal["hybrid", "bm25", "dense"]
CANDIDATES = 30


@dataclass(frozen=True)
class Weights:
    """How the evidence combines (hybrid mode). Measured in benchmarks/retrieval.py."""

    dense: float = 0.40
    lexical: float = 0.60
    document: float = 0.10
    figures: float = 0.05
    place: float = 0.05
    amounts: float = 0.20
    named: float = 0.25  # the question says the clause's document by name (在企业所得税法里…)
    basis: float = 0.15  # taken off an enacting clause (为了…，根据…，制定本法) unless its purpose is asked
    # The question's words the clause holds (IDF-weighted, formal words standing in for an
    # owner's): unlike BM25 it does not saturate on one repeated word or favour short clauses,
    # and the words of the part that asks count again (knowledge.asking).
    coverage: float = 0.4
    ask: float = 0.2
    # Taken off a clause that only introduces a list (…须同时满足以下条件： / …符合如下要求：):
    # its items, each chunked with it in front, say what it introduces.
    lead_only: float = 0.1
    expand_dense: bool = True  # embed the question with its formal words appended
    dense_floor: float = 0.1  # quantile of the candidates' cosines that maps to 0


WEIGHTS = Weights()

# Title words that name a kind of document, not its subject.
_GENERIC_TITLE_WORDS = frozenset(
    """中华 华人 人民 共和 共和国 中华人民共和国 法 条例 办法 管理 关于 通知 意见 实施 方案 规定 若干 解释
    问题 指导 决定 暂行 试行 征求意见稿 征求 意见稿 第二批 推广 相关 支持 促进 发展 最高 最高人民法院 法院
    审理 适用 法律 举措 改革 工作 专项 行动 市 省""".split()
)
_ASKS_FIGURE = re.compile(
    r"多少|几[年个天月日次倍项名人万]|比例|百分|上限|下限|最高|最低|最少|最多|至少|不低于|不超过|多久|多长|期限|"
    r"税率|费率|额度|标准是|how much|how many|how long|rate|percent", re.IGNORECASE)
# 营收1.2个亿, 300万, 60个人, 8个月: the asker's own figures, followed by a unit.
_OWN_FIGURE = re.compile(r"(\d[\d.,]*)\s*(?:多|来|余)?\s*(?:个)?(?:亿|千万|百万|万|千|元|块|人|名|个月|月|年|天|%)")
# Money and head counts, in figures or in words: the unit goes too (300万 → 300, 万; 60个人 →
# 60, 个人; 罚了十来万, 两百多人). Periods in words stay: 三年 may be the very period asked about.
_OWN_AMOUNT = re.compile(r"(?:\d[\d.,]*|[一二两三四五六七八九十百千几]+)\s*(?:多|来|余)?\s*(?:个)?"
                         r"(?:亿|千万|百万|万元|万|千元|元|块钱|块|人|名)(?:多|余)?")
# The enacting clause or a notice's preamble: why and under what law the text was made
# (为了促进…，根据《…法》，制定本条例 / …现就有关问题通知如下：). It shares the words of every
# clause below it and says none of their rules.
_BASIS_CLAUSE = re.compile(
    r"^(?:第[一二三四五六七八九十]+条\s*)?(?:为了?|根据|依据|按照)[^。]*?"
    r"(?:制定本(?:法|条例|办法|规定|细则|方案|意见|决定)|特制定(?:本|如下)?[^。]{0,12}|[^。]{0,20}如下)[。：:]?\s*$")
_LEAD_ONLY = re.compile(r"[：:]\s*$")
_ASKS_BASIS = re.compile(r"目的|宗旨|为什么(?:要)?(?:制定|出台|搞)|依据|根据什么|立法|出台背景|由来|初衷")
_STATES_FIGURE = re.compile(r"\d|百分之|[一二三四五六七八九十两]+(?:年|日|天|个月|个工作日|倍|万元|元|名|人)")


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    doc: DocRecord
    score: float  # the fused score used for ranking, 0–1
    dense: float  # cosine similarity of question and clause
    lexical: float  # BM25 relative to the question's best match, 0–1
    coverage: float  # IDF-weighted share of the question's words in the clause
    document: float = 0.0  # how much of the question names this clause's document, 0–1
    # The same share over the words of the part that asks (knowledge.asking), and over the
    # words the library uses at all: an owner's own words for the case (甲方, 只收) are in no
    # clause, so they lower `coverage` alike for every clause and for in- and out-of-scope questions.
    ask_coverage: float = 0.0
    known_coverage: float = 0.0


class QuestionWords:
    """The question's informative words, each with the formal words that may stand for it.

    A compound is one word (jieba's search mode also yields its parts: 电动车 → 电动, 动车):
    counted once, with its parts as partial evidence — a clause that says 电动 covers two
    thirds of 电动车 — so a long compound weighs no more than a short word of the same IDF.
    """

    def __init__(self, weights: dict[str, float], alternatives: dict[str, tuple[str, ...]],
                 parts: dict[str, tuple[str, ...]] | None = None) -> None:
        self.weights = weights
        self.alternatives = alternatives
        self.parts = parts or {}
        self._total = sum(weights.values())

    def only(self, keep: Callable[[str], bool]) -> QuestionWords:
        """The words for which `keep(word)` holds, with their alternatives."""
        return QuestionWords({t: w for t, w in self.weights.items() if keep(t)}, self.alternatives, self.parts)

    def coverage(self, passage: str, covered: frozenset[str] = frozenset()) -> float:
        """IDF-weighted share of the words that `passage` contains, itself or as a formal word.

        `covered`: words the passage's document answers for without saying them (its place).
        """
        return self.share(self.found(passage, covered))

    def found(self, passage: str, covered: frozenset[str] = frozenset()) -> dict[str, float]:
        """How much of each word `passage` contains (1: itself, a formal word, or `covered`;
        less: only a part of a compound, by the part's length)."""
        text = passage.lower()
        out = {}
        for t in self.weights:
            if t in covered or self._says(t, text):
                out[t] = 1.0
            else:
                part = max((len(p) for p in self.parts.get(t, ()) if self._says(p, text)), default=0)
                if part:
                    out[t] = part / len(t)
        return out

    def _says(self, word: str, text: str) -> bool:
        return word in text or any(a in text for a in self.alternatives.get(word, ()))

    def share(self, found: dict[str, float]) -> float:
        """IDF-weighted share of the words, each counted as far as `found` has it."""
        if not self._total:
            return 0.0
        return sum(w * found[t] for t, w in self.weights.items() if t in found) / self._total


def question_weights(question: str, cache_dir=None) -> QuestionWords:  # type: ignore[no-untyped-def]
    """What a clause must contain to answer `question` (its own words, not the expansions)."""
    # The asker's own figures (营收1.2个亿, 300万) describe their case; a clause states thresholds.
    own = {m.group(1) for m in _OWN_FIGURE.finditer(question)}
    own |= {t for m in _OWN_AMOUNT.finditer(question) for t in tokenize(m.group(0))}
    tokens = {t for t in tokenize(question) if t not in QUESTION_FILLER and t not in own}
    pairs = expansion_pairs(question)
    alternatives: dict[str, tuple[str, ...]] = {}
    for token in tokens:
        words: list[str] = []
        for trigger, formal in pairs:
            if token in trigger or trigger in token:
                words.extend(formal)
        if words:
            alternatives[token] = tuple(words)
    # Search mode yields a compound and its parts: the compound is the word, its parts evidence.
    parts = {t: tuple(p for p in tokens if p != t and p in t) for t in tokens}
    whole = [t for t in tokens if not any(t != u and t in u for u in tokens)]
    return QuestionWords(token_weights(whole, cache_dir), alternatives, {t: parts[t] for t in whole if parts[t]})


class Retriever:
    def __init__(self, index: KnowledgeIndex, mode: Mode = "hybrid", weights: Weights = WEIGHTS) -> None:
        self.index = index
        self.mode = mode
        self.weights = weights
        self._per_document_cache: dict[str, tuple[str, dict[str, Any]]] = {}

    def search(self, question: str, k: int = 5) -> list[Hit]:
        snap = self.index.snapshot()
        if snap is None or not snap.chunks or not question.strip():
            return []
        allowed = snap.searchable
        expanded = expand(question)
        tokens = tokenize(expanded)
        # Vectors of another model (an index not yet rebuilt) cannot be compared with ours.
        use_dense = self.mode != "bm25" and snap.embedding == self.index.embedding_name
        use_lexical = self.mode != "dense" or not use_dense

        lexical = np.zeros(len(snap.chunks), dtype=np.float32)
        if use_lexical:
            raw = snap.lexical.scores(tokens)
            raw = np.where(allowed, raw, 0.0)
            top = float(raw.max()) if raw.size else 0.0
            if top > 0:
                lexical = raw / top

        dense: dict[int, float] = {}
        vector = None
        if use_dense:
            text = expanded if (self.mode == "hybrid" and self.weights.expand_dense) else question
            vector = self.index.embeddings.embed_array([text], query=True)[0]
            if snap.dense is not None:
                # Every unit compared exactly; the chunks of the 3·CANDIDATES nearest, as from Chroma.
                sims = np.asarray(snap.dense @ np.asarray(vector, dtype=np.float32), dtype=np.float32)
                rows = snap.dense_chunks
                usable = np.where(allowed[rows], sims, -np.inf)
                top = min(3 * CANDIDATES, len(usable))
                for row in np.argpartition(-usable, top - 1)[:top] if top else []:
                    if usable[row] > -np.inf:
                        pos = int(rows[row])
                        dense[pos] = max(dense.get(pos, 0.0), float(usable[row]))
            else:
                for unit_id, similarity in self.index.vectors.query(vector, 3 * CANDIDATES):
                    pos = snap.position.get(unit_id.rsplit(":", 1)[0])
                    if pos is not None and allowed[pos]:
                        dense[pos] = max(dense.get(pos, 0.0), similarity)

        candidates = set(dense)
        if use_lexical:
            # argpartition: only the best CANDIDATES, not a full sort of every chunk.
            top_n = min(CANDIDATES, len(lexical))
            order = np.argpartition(-lexical, top_n - 1)[:top_n] if top_n else []
            candidates.update(int(i) for i in order if lexical[i] > 0)
        if not candidates:
            return []

        # Coverage (for abstention) counts the question's own words and the formal words
        # they stand for: 高企 in a question is covered by 高新技术企业 in a clause.
        weights = token_weights(tokens, self.index.index_dir.parent / "cache")
        judged = question_weights(question, self.index.index_dir.parent / "cache")
        places = self._place_words(snap, judged) if self.mode == "hybrid" else {}
        ask = ask_segment(question)
        asked = judged if ask == question else question_weights(ask, self.index.index_dir.parent / "cache")
        known = judged.only(lambda t: snap.lexical.knows(t) or t in judged.alternatives
                            or any(snap.lexical.knows(p) for p in judged.parts.get(t, ())))
        everything = judged if asked is judged else QuestionWords(
            {**judged.weights, **asked.weights}, {**asked.alternatives, **judged.alternatives},
            {**asked.parts, **judged.parts})
        coverage = {}
        titled = self._title_words(snap, judged) if self.mode == "hybrid" else {}
        for pos in candidates:
            key = snap.chunks[pos].doc_key
            text, covered = snap.chunks[pos].index_text, places.get(key, frozenset()) | titled.get(key, frozenset())
            found = everything.found(text, covered)  # one pass over the clause for all three shares
            coverage[pos] = (judged.share(found), asked.share(found), known.share(found))
        missing_dense = [p for p in candidates if p not in dense]
        if missing_dense and vector is not None:
            if snap.dense is not None:
                by_chunk = np.zeros(len(snap.chunks), dtype=np.float32)  # cosines below 0 count as 0
                np.maximum.at(by_chunk, snap.dense_chunks, sims)
                dense.update({p: float(by_chunk[p]) for p in missing_dense})
            else:
                dense.update(self._dense_for(snap, vector, missing_dense))

        doc_evidence, named_docs = (self._document_evidence(snap, question, weights) if self.mode == "hybrid"
                                    else ({}, frozenset()))
        asks_figure = bool(_ASKS_FIGURE.search(ask_segment(question, min_chars=0)))  # 想给几个骨干…鼓励吗: no figure
        asks_basis = bool(_ASKS_BASIS.search(question))
        amounts = stated_amounts(question) if self.mode == "hybrid" else []
        spread = self._dense_scale(dense, candidates, self.weights.dense_floor)

        hits = []
        for pos in candidates:
            d = dense.get(pos, 0.0)
            lex = float(lexical[pos])
            chunk = snap.chunks[pos]
            doc_ev = doc_evidence.get(chunk.doc_key, 0.0)
            whole, ask_share, in_library = coverage[pos]
            if self.mode == "bm25" or not use_dense:
                score = lex
            elif self.mode == "dense":
                score = d
            else:
                w = self.weights
                figure = 1.0 if asks_figure and _STATES_FIGURE.search(chunk.text) else 0.0
                place = 1.0 if places.get(chunk.doc_key) else 0.0
                fit = amount_fit(amounts, chunk.text) if amounts else 0.0
                basis = 0.0 if asks_basis or not _BASIS_CLAUSE.match(chunk.text.strip()) else 1.0
                named = 1.0 if chunk.doc_key in named_docs else 0.0
                score = (w.dense * spread(d) + w.lexical * lex + w.document * doc_ev + w.named * named
                         + w.figures * figure + w.place * place + w.amounts * fit - w.basis * basis
                         + w.coverage * whole + w.ask * ask_share
                         - w.lead_only * (1.0 if _LEAD_ONLY.search(chunk.text) else 0.0))
            hits.append(Hit(chunk, snap.docs[chunk.doc_key], float(score), d, lex, whole, doc_ev, ask_share, in_library))
        hits.sort(key=lambda h: (-h.score, h.chunk.ordinal))
        return hits[:k]

    @staticmethod
    def _dense_scale(dense: dict[int, float], candidates: set[int], quantile: float):  # type: ignore[no-untyped-def]
        """Map cosines onto 0–1 between a low quantile of the candidates' and their best."""
        values = sorted(dense.get(p, 0.0) for p in candidates)
        if not values:
            return lambda d: 0.0
        best = values[-1]
        floor = values[int(quantile * (len(values) - 1))]
        span = best - floor
        if span <= 1e-6:
            return lambda d: 1.0 if d >= best else 0.0
        return lambda d: min(1.0, max(0.0, (d - floor) / span))

    def _per_document(self, snap: Snapshot, what: str, compute: Callable[[DocRecord], Any]) -> dict[str, Any]:
        """`compute(doc)` for every document of the library, kept until the library changes."""
        cached = self._per_document_cache.get(what)
        if cached is None or cached[0] != snap.generation:
            cached = (snap.generation, {key: compute(doc) for key, doc in snap.docs.items()})
            self._per_document_cache[what] = cached
        return cached[1]

    def _titles(self, snap: Snapshot) -> dict[str, frozenset[str]]:
        return self._per_document(snap, "titles", lambda doc: frozenset(
            t for t in tokenize(doc.title) if t not in _GENERIC_TITLE_WORDS))

    def _jurisdictions(self, snap: Snapshot) -> dict[str, tuple[str, frozenset[str]] | None]:
        return self._per_document(snap, "jurisdictions", jurisdiction)

    def _place_words(self, snap: Snapshot, judged: QuestionWords) -> dict[str, frozenset[str]]:
        """Per document: the question's words that name where the document applies."""
        out = {}
        for key, place in self._jurisdictions(snap).items():
            if place is None:
                continue
            level, names = place
            words = frozenset(t for t in judged.weights if t in JURISDICTION_WORDS[level]
                              or PLACE_ALIASES.get(t, t).rstrip("省市") in names)
            if words:
                out[key] = words
        return out

    def _title_words(self, snap: Snapshot, judged: QuestionWords) -> dict[str, frozenset[str]]:
        """Per document: the question's words its title says (企业所得税法 for that law's clauses).

        A clause answers for the name of its document without repeating it; the implementing
        regulation's clause that cites 企业所得税法 by name does not thereby cover more.
        """
        out = {}
        for key, title_words in self._titles(snap).items():
            # Said the owners' way too: 技改 names the 企业技术改造条例.
            words = frozenset(t for t in judged.weights
                              if t in title_words or any(a in title_words for a in judged.alternatives.get(t, ())))
            if words:
                out[key] = words
        return out

    def _document_evidence(self, snap: Snapshot, question: str,
                           weights: dict[str, float]) -> tuple[dict[str, float], frozenset[str]]:
        """Per document: the weighted share of the question's words that are in its title (0–1);
        and the documents the question names whole.

        A question that says a document's name whole (企业所得税法, 中华人民共和国专利法) means that
        document: its evidence is full, and others whose titles merely share its words
        (企业所得税法实施条例) count half.
        """
        total = sum(weights.values())
        if not total:
            return {}, frozenset()
        out = {}
        for key, title_words in self._titles(snap).items():
            named = sum(w for t, w in weights.items() if t in title_words)
            if named:
                out[key] = min(1.0, named / total * 2)
        said = _TITLE_MARKS.sub("", question)
        names = self._per_document(snap, "short titles", lambda doc: _short_titles(doc.title))
        whole = frozenset(key for key in out if any(len(name) >= 4 and name in said for name in names[key]))
        if whole:
            out = {key: 1.0 if key in whole else value / 2 for key, value in out.items()}
        return out, whole

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


_TITLE_MARKS = re.compile(r"[\s《》“”\"]")
_TITLE_NOTES = re.compile(r"[（(][^）)]*[）)]")


def _short_titles(title: str) -> tuple[str, ...]:
    """A title as a question says it: without （节选） / （2018修正） and without 中华人民共和国."""
    bare = _TITLE_MARKS.sub("", _TITLE_NOTES.sub("", title))
    return (bare, bare.removeprefix("中华人民共和国"))


_LOCAL_ISSUER = re.compile(r"^([\u4e00-\u9fff]{2,4}?)(省|市|自治区)")
_CENTRAL = re.compile(r"^(中华人民共和国|全国|国务院|最高人民|国家)|部$|部\s|总局|委员会$")


def jurisdiction(doc: DocRecord) -> tuple[str, frozenset[str]] | None:
    """(level, place names) of where a document applies, from its issuer or title; None if unsaid."""
    for source in (doc.issuer or "", doc.title):
        match = _LOCAL_ISSUER.match(source.strip())
        if match:
            return ("province" if match.group(2) != "市" else "city", frozenset({match.group(1)}))
    issuer = (doc.issuer or "").strip()
    if _CENTRAL.search(issuer) or _CENTRAL.match(doc.title.strip()):
        return ("national", frozenset())
    return None
