"""Measure the library against question sets: the code behind `tepai eval` and the benchmark.

Question files are JSON Lines. In-scope sets carry `q` (the question) and `gold`, a
verbatim phrase of the policy text that the right clause contains (compared with all
whitespace removed); `id` and `doc` are optional. Out-of-scope sets carry `q` only:
the library should decline them.

- hit@1 / hit@3: the gold phrase is inside the first / one of the first three clauses
  retrieved for the question.
- answered: share of in-scope questions answered at all (not declined).
- answer hit@1: answered, and the first cited clause holds the gold phrase.
- declined: share of out-of-scope questions declined.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.answers import Answerer, InvalidQuestion

MAX_FILE_BYTES = 5_000_000


class EvalFileError(ValueError):
    """A question file cannot be used; `message` is Chinese, for the person who wrote it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EvalQuestion:
    q: str
    gold: str | None = None
    id: str | None = None
    doc: str | None = None


@dataclass
class QuestionResult:
    question: EvalQuestion
    rank: int | None  # 1-based rank of the first retrieved clause holding gold (top 3), or None
    answered: bool
    confidence: float
    cited: list[dict] = field(default_factory=list)  # {"doc", "section", "text"} of each citation
    retrieved: list[dict] = field(default_factory=list)  # the first three clauses retrieved

    @property
    def answer_hit(self) -> bool:
        """Answered, and the first citation holds the gold phrase."""
        if not self.answered or not self.cited or not self.question.gold:
            return False
        return normalise(self.question.gold) in normalise(self.cited[0]["text"])

    def as_dict(self) -> dict:
        return {
            "id": self.question.id,
            "q": self.question.q,
            "gold": self.question.gold,
            "doc": self.question.doc,
            "rank": self.rank,
            "answered": self.answered,
            "confidence": round(self.confidence, 4),
            "cited": self.cited,
            "retrieved": self.retrieved,
        }


@dataclass
class EvalReport:
    qa: list[QuestionResult]
    ood: list[QuestionResult]

    @staticmethod
    def _share(count: int, total: int) -> float | None:
        return round(count / total, 4) if total else None

    @property
    def hit_at_1(self) -> float | None:
        return self._share(sum(r.rank == 1 for r in self.qa), len(self.qa))

    @property
    def hit_at_3(self) -> float | None:
        return self._share(sum(r.rank is not None for r in self.qa), len(self.qa))

    @property
    def answered(self) -> float | None:
        return self._share(sum(r.answered for r in self.qa), len(self.qa))

    @property
    def answer_hit_at_1(self) -> float | None:
        return self._share(sum(r.answer_hit for r in self.qa), len(self.qa))

    @property
    def declined(self) -> float | None:
        return self._share(sum(not r.answered for r in self.ood), len(self.ood))

    @property
    def misses(self) -> list[QuestionResult]:
        """In-scope questions whose first cited clause is not the right one (or declined)."""
        return [r for r in self.qa if not r.answer_hit]

    @property
    def wrongly_answered(self) -> list[QuestionResult]:
        """Out-of-scope questions answered anyway."""
        return [r for r in self.ood if r.answered]

    def as_dict(self) -> dict:
        return {
            "questions": len(self.qa),
            "out_of_scope": len(self.ood),
            "hit@1": self.hit_at_1,
            "hit@3": self.hit_at_3,
            "answered": self.answered,
            "answer_hit@1": self.answer_hit_at_1,
            "declined": self.declined,
            "misses": [r.as_dict() for r in self.misses],
            "wrongly_answered": [r.as_dict() for r in self.wrongly_answered],
            "confidence": {
                "in_scope": [round(r.confidence, 4) for r in self.qa],
                "out_of_scope": [round(r.confidence, 4) for r in self.ood],
            },
        }


def normalise(text: str) -> str:
    return "".join(text.split())


def load_questions(path: Path, *, with_gold: bool) -> list[EvalQuestion]:
    """Read a question file; raise `EvalFileError` with a Chinese reason naming the line."""
    name = path.name
    if not path.is_file():
        raise EvalFileError(f"找不到问题文件：{path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise EvalFileError(f"{name} 太大（上限 {MAX_FILE_BYTES // 1_000_000} MB）")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EvalFileError(f"{name} 不是 UTF-8 编码的文本文件") from None
    questions: list[EvalQuestion] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            raise EvalFileError(f"{name} 第 {number} 行不是 JSON（每行应是一个对象，如 {{\"q\": \"问题\"}}）") from None
        if not isinstance(item, dict):
            raise EvalFileError(f"{name} 第 {number} 行不是 JSON 对象")
        q = item.get("q")
        if not isinstance(q, str) or not q.strip():
            raise EvalFileError(f"{name} 第 {number} 行缺少问题字段 q")
        gold = item.get("gold")
        if with_gold and (not isinstance(gold, str) or not normalise(gold)):
            raise EvalFileError(f"{name} 第 {number} 行缺少标准答案字段 gold（政策原文中的一句话）")
        ident = item.get("id")
        doc = item.get("doc")
        questions.append(EvalQuestion(
            q=q,
            gold=gold if with_gold else None,
            id=str(ident) if ident is not None else None,
            doc=doc if isinstance(doc, str) else None,
        ))
    if not questions:
        raise EvalFileError(f"{name} 里没有问题")
    return questions


def _clause(doc: str, section: str, text: str) -> dict:
    return {"doc": doc, "section": section, "text": text}


def run_question(answerer: Answerer, question: EvalQuestion, k: int = 3) -> QuestionResult:
    try:
        answer = answerer.answer(question.q)
    except InvalidQuestion:
        return QuestionResult(question, None, False, 0.0)
    hits = answer.hits[:k]
    gold = normalise(question.gold) if question.gold else None
    rank = None
    if gold:
        rank = next((n for n, h in enumerate(hits, 1) if gold in normalise(h.chunk.text)), None)
    return QuestionResult(
        question,
        rank,
        answer.answered,
        answer.confidence,
        cited=[_clause(c.doc, c.section, c.text) for c in answer.citations] if answer.answered else [],
        retrieved=[_clause(h.doc.title, h.chunk.section, h.chunk.text) for h in hits],
    )


def evaluate(answerer: Answerer, qa: Sequence[EvalQuestion], ood: Sequence[EvalQuestion] = ()) -> EvalReport:
    return EvalReport([run_question(answerer, q) for q in qa], [run_question(answerer, q) for q in ood])
