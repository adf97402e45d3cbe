"""Answers: the best clauses quoted verbatim with their sources, or an honest decline.

`Answerer.answer(question)` returns an `Answer` — structured content, no channel
formatting. Whether the documents cover a question is decided from two kinds of
evidence, because neither alone is reliable:

- lexical coverage: the share of the question's words that a cited clause contains,
  each word weighted by how informative it is in general Chinese (jieba's IDF table). Strong for Chinese questions about Chinese documents; meaningless for a
  question in another language.
- semantic similarity: the cosine between the question and the best-matching sentence.
  Cross-language similarities run systematically lower, so the bar depends on how much
  of the question is in Chinese.

`confidence` puts both on one scale where 0.5 is the bar (TEPAI_MIN_CONFIDENCE).
The bars were calibrated on the dev sets (in-scope vs out-of-scope questions) and
checked on held-out questions; see benchmarks/retrieval.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Protocol

from knowledge.retrieval import Hit, Retriever, jurisdiction
from knowledge.vocabulary import JURISDICTION_WORDS, OTHER_PLACES, PLACE_ALIASES

MAX_QUESTION_CHARS = 500
MAX_QUOTED_CHARS = 600
MAX_CITATIONS = 3
DEFAULT_MIN_CONFIDENCE = 0.5
# Bars (each maps to confidence 0.5).
COVERAGE_BAR = 0.40
SIMILARITY_BAR_SAME_LANGUAGE = 0.45
SIMILARITY_BAR_CROSS_LANGUAGE = 0.25
# A further citation must score at least this share of the best one.
RELATIVE_CUTOFF = 0.6

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


class InvalidQuestion(ValueError):
    """The question cannot be answered as asked; `code` selects the reply text."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # empty | too_long | no_text


@dataclass(frozen=True)
class Citation:
    doc: str  # document title
    section: str  # heading path
    text: str  # verbatim clause
    score: float
    draft: bool
    issuer: str | None = None
    date: str | None = None
    chunk_id: str = ""
    # Validity of the cited document (knowledge.metadata): shown beside every citation.
    doc_number: str | None = None
    effective: str | None = None
    amended_by: str | None = None


@dataclass
class Answer:
    question: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    best_score: float = 0.0
    generated: str | None = None  # generative mode: model text citing [1], [2] …
    # The ranked clauses the decision was made on (for evaluation and logs; not shown).
    hits: list[Hit] = field(default_factory=list, repr=False, compare=False)

    @property
    def draft(self) -> bool:
        return any(c.draft for c in self.citations)


def clean_question(question: str) -> str:
    """Strip control characters and collapse whitespace; raise `InvalidQuestion`."""
    text = re.sub(r"[\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]", " ", question or "")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InvalidQuestion("empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestion("too_long")
    if not re.search(r"[\w\u3400-\u9fff]", text):
        raise InvalidQuestion("no_text")  # emoji or punctuation only
    return text


def chinese_share(text: str) -> float:
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


@dataclass(frozen=True)
class Calibration:
    """Where an encoder's cosines put the bar (see module docstring)."""

    bar: float  # same language: coverage + gain × (cosine − reference) at the bar
    dense_reference: float
    dense_gain: float  # coverage points per cosine point above or below the reference
    cross_language_bar: float  # cosine bar for questions mostly not in Chinese


# e5 puts every Chinese sentence pair between ~0.80 and ~0.97: small cosine steps matter,
# and word coverage carries as much evidence as meaning does.
E5_CALIBRATION = Calibration(bar=0.65, dense_reference=0.90, dense_gain=6.0, cross_language_bar=0.884)
FIGURE_PENALTY = 0.3
PLACE_PENALTY = 0.6  # stronger than a missing figure: the place is the question
_HERE_WORDS = tuple(JURISDICTION_WORDS["province"] | JURISDICTION_WORDS["city"] | set(PLACE_ALIASES))
_ASKS_FIGURE = re.compile(r"多少|几[年个天月日次倍项名人万]|比例|百分|上限|下限|税率|费率|额度|how much|how many|rate|percent",
                          re.IGNORECASE)
_STATES_FIGURE = re.compile(r"\d|百分之|[一二三四五六七八九十两百千万]+(?:年|日|天|个月|个工作日|倍|万元|元|名|人|%)")


def confidence(question: str, hits: list[Hit], encoder: str = "e5-small") -> float:
    """0–1; at or above 0.5 the documents are taken to answer the question."""
    if not hits:
        return 0.0
    share = chinese_share(question)
    similarity = max(h.dense for h in hits)
    if encoder != "e5-small":
        # Universal Sentence Encoder (other encoders, BM25 alone): the original two-bar rule.
        coverage = max(h.coverage for h in hits) * share
        bar = SIMILARITY_BAR_SAME_LANGUAGE if share >= 0.5 else SIMILARITY_BAR_CROSS_LANGUAGE
        return min(1.0, 0.5 * max(coverage / COVERAGE_BAR, similarity / bar))
    cal = E5_CALIBRATION
    if share < 0.5:
        # English about Chinese text: word coverage means little, meaning decides.
        return min(1.0, max(0.0, 0.5 + 5 * (similarity - cal.cross_language_bar)))
    coverage = max(h.coverage for h in hits)
    strength = coverage + cal.dense_gain * (similarity - cal.dense_reference)
    if _ASKS_FIGURE.search(question) and not _STATES_FIGURE.search(hits[0].chunk.text):
        # Asked for a number, and the best clause states none: likely the wrong clause.
        strength -= FIGURE_PENALTY
    if asks_elsewhere(question, hits):
        # About another place's own rules (深圳's award, Singapore's tax): ours do not say them.
        strength -= PLACE_PENALTY
    return min(1.0, max(0.0, 0.5 + (strength - cal.bar) / 2))


def asks_elsewhere(question: str, hits: list[Hit]) -> bool:
    """The question names a place outside the library's (another province or city, another
    country) and no place of its own: no cited document is that place's."""
    named = {place for place in OTHER_PLACES if place in question}
    if not named:
        return False
    here = set(_HERE_WORDS)
    for hit in hits:
        place = jurisdiction(hit.doc)
        if place is not None:
            if place[1] & named:
                return False  # a document of that very place is in the library
            here |= place[1]
    return not any(word in question for word in here)


def _trim(text: str, budget: int) -> str:
    """Whole sentences of `text` within `budget` characters (at least one, cut if needed)."""
    if len(text) <= budget:
        return text
    out = ""
    for sentence in re.split(r"(?<=[。！？；])", text):
        if out and len(out) + len(sentence) > budget:
            break
        out += sentence
    return out if len(out) <= budget else out[: max(0, budget - 1)] + "…"


class AnswerGenerator(Protocol):
    """Writes a prose answer from numbered clauses; returns None to fall back."""

    def generate(self, question: str, citations: list[Citation]) -> str | None: ...


class Answerer:
    def __init__(self, retriever: Retriever, min_confidence: float | None = None,
                 generator: AnswerGenerator | None = None) -> None:
        self.retriever = retriever
        self.min_confidence = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
        self.generator = generator

    def answer(self, question: str) -> Answer:
        """Raises `InvalidQuestion` for input that is not a question."""
        question = clean_question(question)
        hits = self.retriever.search(question, k=5)
        conf = confidence(question, hits[:3], self._encoder())
        best = hits[0].score if hits else 0.0
        if conf < self.min_confidence:
            return Answer(question, answered=False, confidence=conf, best_score=best, hits=hits)
        answer = Answer(question, True, self._citations(hits), conf, best, hits=hits)
        if self.generator is not None:
            # Any failure inside the generator means the extractive answer stands.
            try:
                answer.generated = self.generator.generate(question, answer.citations)
            except Exception:
                logging.getLogger(__name__).warning("generator failed; extractive answer used", exc_info=True)
        return answer

    def _encoder(self) -> str:
        """The model whose cosines the hits carry (abstention is calibrated per model)."""
        if getattr(self.retriever, "mode", "hybrid") == "bm25":
            return "bm25"  # no cosines at all: the word-coverage bar alone decides
        index = getattr(self.retriever, "index", None)
        return getattr(index, "embedding_name", "e5-small")

    def _citations(self, hits: list[Hit]) -> list[Citation]:
        citations: list[Citation] = []
        budget = MAX_QUOTED_CHARS
        top = hits[0].score
        for hit in hits[:MAX_CITATIONS]:
            if citations and (hit.score < RELATIVE_CUTOFF * top or budget < 40):
                break
            text = _trim(hit.chunk.text, budget)
            budget -= len(text)
            citations.append(
                Citation(
                    doc=hit.doc.title,
                    section=hit.chunk.section,
                    text=text,
                    score=round(hit.score, 4),
                    draft=hit.doc.is_draft,
                    issuer=hit.doc.issuer,
                    date=hit.doc.date,
                    chunk_id=hit.chunk.id,
                    doc_number=hit.doc.doc_number,
                    effective=hit.doc.effective,
                    amended_by=hit.doc.amended_by if hit.doc.status == "amended" else None,
                )
            )
        return citations
