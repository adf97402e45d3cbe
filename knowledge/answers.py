"""Answers: the best clauses quoted verbatim with their sources, or an honest decline.

`Answerer.answer(question)` returns an `Answer` — structured content, no channel
formatting. Whether the documents cover a question is decided from two kinds of
evidence, because neither alone is reliable:

- lexical coverage: the share of the question's words that a cited clause contains,
  each word weighted by how informative it is (IDF), question filler and the asker's own
  figures left out. Strong for Chinese questions about Chinese documents; meaningless for
  a question in another language.
- semantic similarity: the cosine between the question and the best-matching sentence.

`confidence` puts them on one scale where 0.5 is the bar (TEPAI_MIN_CONFIDENCE): for e5,
a logistic model (`Abstention`, fitted by benchmarks/calibrate.py on labelled in-scope and
out-of-scope questions, checked on held-out ones) after one rule — another place's own
rules are declined; questions mostly not in Chinese are judged by cosine alone.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Protocol

from knowledge.asking import ask_segment
from knowledge.retrieval import Hit, Retriever, jurisdiction
from knowledge.vocabulary import (
    DOMESTIC_WORDS,
    FOREIGN_COUNTRIES,
    HERE_PLACES_EN,
    JURISDICTION_WORDS,
    OTHER_PLACES,
    OTHER_PLACES_EN,
    PLACE_ALIASES,
    PROVINCE_CITIES,
)

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
class Abstention:
    """How sure the first clauses answer a question: a logistic model over the evidence below.

    confidence = 1 / (1 + e^−z), z = intercept + Σ weight × feature (`abstention_features`),
    so 0.5 is the bar. One rule stands before it: a question about another place's own rules
    (`asks_elsewhere`) is declined whatever the words, as the library holds none of them.
    The weights are fitted by `benchmarks/calibrate.py` on labelled questions (in-scope and
    out-of-scope, several libraries), with the intercept placed where about nine in ten of the
    out-of-scope questions it judges fall below it.
    """

    intercept: float
    coverage_best: float  # best word coverage among the clauses judged
    coverage_first: float  # word coverage of the first clause (the one quoted first)
    meaning_best: float  # (best cosine − 0.90) × 10: e5 puts Chinese pairs in 0.80–0.97
    meaning_first: float
    figure_missing: float  # the ask wants a number or a time, the first clause states none
    ask_best: float  # coverage of the words of the part that asks (knowledge.asking)
    ask_first: float
    known_best: float  # coverage of the words the library uses at all
    known_first: float
    cross_language_bar: float  # cosine at the bar for questions mostly not in Chinese

    def weights(self) -> tuple[float, ...]:
        return tuple(getattr(self, name) for name in FEATURE_NAMES)


FEATURE_NAMES = ("coverage_best", "coverage_first", "meaning_best", "meaning_first", "figure_missing",
                 "ask_best", "ask_first", "known_best", "known_first")
# Fitted by benchmarks/calibrate.py (see there for the sets and the cross-validated figures).
E5_ABSTENTION = Abstention(intercept=-3.419, coverage_best=-0.119, coverage_first=0.251, meaning_best=2.627,
                           meaning_first=3.216, figure_missing=-1.854, ask_best=1.049, ask_first=0.846,
                           known_best=0.824, known_first=1.289, cross_language_bar=0.857)
_HERE_WORDS = tuple(JURISDICTION_WORDS["province"] | JURISDICTION_WORDS["city"] | set(PLACE_ALIASES))
_ASKS_FIGURE = re.compile(r"多少|几[年个天月日号次倍项名人万]|比例|百分|上限|下限|税率|费率|额度|how much|how many|rate|percent",
                          re.IGNORECASE)
# Asked when: a clause that answers names a date, a deadline or a period, not just any number.
_ASKS_TIME = re.compile(r"什么时候|哪一?年|何时|截止|到期|几月|几号|多久|多长时间|when|how long", re.IGNORECASE)
_STATES_TIME = re.compile(r"\d+\s*(?:年|月|日|天|个月|个工作日)|[一二三四五六七八九十两]+(?:年|个月|月|日|天|个工作日)|"
                          r"年底|年末|月底|之日起|期限|以前|之前|届满|日内|年内|截止|有效期")
_STATES_FIGURE = re.compile(r"\d|百分之|[一二三四五六七八九十两百千万]+(?:年|日|天|个月|个工作日|倍|万元|元|名|人|%)")


def abstention_features(question: str, hits: list[Hit]) -> tuple[float, ...]:
    """The evidence `confidence` weighs, in `FEATURE_NAMES` order (hits: the clauses judged)."""
    first = hits[0]
    # A figure or a time is wanted when the ask says so (想给几个骨干…鼓励吗 does not ask how many).
    ask = ask_segment(question, min_chars=0)
    missing = ((_ASKS_FIGURE.search(ask) and not _STATES_FIGURE.search(first.chunk.text))
               or (_ASKS_TIME.search(ask) and not _STATES_TIME.search(first.chunk.text)))
    return (
        max(h.coverage for h in hits),
        first.coverage,
        (max(h.dense for h in hits) - 0.90) * 10,
        (first.dense - 0.90) * 10,
        1.0 if missing else 0.0,
        max(h.ask_coverage for h in hits),
        first.ask_coverage,
        max(h.known_coverage for h in hits),
        first.known_coverage,
    )


def confidence(question: str, hits: list[Hit], encoder: str = "e5-small",
               model: Abstention | None = None) -> float:
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
    model = model or E5_ABSTENTION
    if asks_elsewhere(question, hits):
        return 0.0  # another place's own rules: none of them is in the library
    if share < 0.5:
        # English about Chinese text: word coverage means little, meaning decides.
        return min(1.0, max(0.0, 0.5 + 5 * (similarity - model.cross_language_bar)))
    z = model.intercept + sum(w * f for w, f in zip(model.weights(), abstention_features(question, hits)))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


_COUNTRIES = "|".join(sorted(FOREIGN_COUNTRIES, key=len, reverse=True))
# 美国企业 / 日本一家公司 / 新加坡客户 / 从德国买的 / 放在德国做 / 卖给越南: the country is a party
# to the owner's case (whom they buy from, sell to, work with), not the place whose rules are asked about.
_PARTY_NOUNS = "企业|公司|客户|团队|机构|买家|买方|卖方|合作方|厂商|厂家|工厂|伙伴|专家|大学|高校|子公司|分公司|供应商|总部"
_COUNTRY_AS_PARTY = re.compile(
    rf"(?:{_COUNTRIES})(?:的|一家|一个|某|那家|这家|几家)?(?:{_PARTY_NOUNS})(?!所得税|税|法)"
    rf"|(?:在|放在|到|去)(?:{_COUNTRIES})(?:做|研发|生产|加工|开发)"
    rf"|(?:从|向|跟|和|与|同|给|卖给|卖到|出口到|出口给|引进|进口)(?:{_COUNTRIES})"
    rf"|(?:{_COUNTRIES})(?:进口|引进|买|采购|订购)")
_PLACE_EN = "|".join(re.escape(p) for p in sorted(OTHER_PLACES_EN, key=len, reverse=True))
_ELSEWHERE_EN = re.compile(rf"\b(?:in|of)\s+(?:the\s+)?(?:{_PLACE_EN})\b|\b(?:{_PLACE_EN})'s\b", re.IGNORECASE)
# "US" only as written: in any case it would be the word "us" ("most of us", "help us in …").
_US_EN = re.compile(r"\b(?:in|of)\s+(?:the\s+)?(?:US|U\.S\.)(?![a-z])|\b(?:US|U\.S\.)'s\b")
# "a company in Malaysia", "our client from Japan": a party to the case, as in Chinese ("the tax
# rate for small companies in Hong Kong" is still a question about Hong Kong's rules).
_PARTY_EN = re.compile(rf"\b(?:a|an|one|our|my|their|his|her)\s+(?:[a-z-]+\s+)?(?:company|client|customer|partner|"
                       rf"buyer|supplier|firm|factory|team|university|licensee|licensor|cousin|relative)\s+"
                       rf"(?:in|from|of)\s+(?:the\s+)?(?:{_PLACE_EN})\b", re.IGNORECASE)
_HERE_EN = re.compile(r"\b(?:" + "|".join(sorted(HERE_PLACES_EN)) + r")\b", re.IGNORECASE)


def asks_elsewhere(question: str, hits: list[Hit]) -> bool:
    """The question asks about the rules of a place outside the library's (another province or
    city, another country) and names no place of its own: no cited document is that place's."""
    if chinese_share(question) < 0.5:
        rest = _PARTY_EN.sub("", question)
        return bool(_ELSEWHERE_EN.search(rest) or _US_EN.search(rest)) and not _HERE_EN.search(question)
    named = {place for place in OTHER_PLACES if place in question}
    if named & FOREIGN_COUNTRIES:
        if any(word in question for word in DOMESTIC_WORDS):
            named -= FOREIGN_COUNTRIES  # 国内法律对美国企业…: this country's rules are asked about
        else:
            rest = _COUNTRY_AS_PARTY.sub("", question)
            named = {place for place in named if place not in FOREIGN_COUNTRIES or place in rest}
    if not named:
        return _asks_other_city(question, hits)
    here = set(_HERE_WORDS)
    for hit in hits:
        place = jurisdiction(hit.doc)
        if place is not None:
            if place[1] & named:
                return False  # a document of that very place is in the library
            here |= place[1]
    return not any(word in question for word in here)


def _asks_other_city(question: str, hits: list[Hit]) -> bool:
    """The question names a city of the province, and the first clause is another city's own rule."""
    cities = {city for city in PROVINCE_CITIES if city in question}
    if not cities or not hits:
        return False
    place = jurisdiction(hits[0].doc)
    return (place is not None and place[0] == "city" and not place[1] & cities
            and not any(word in question for word in place[1]))


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
