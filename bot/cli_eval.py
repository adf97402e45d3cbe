"""`tepai eval`: staff check the live library against their own question sets.

    tepai eval --qa 问题.jsonl [--ood 库外问题.jsonl] [--json]

Runs every question through the same answerer the bot uses (the configured data dir's
index and model), then prints hit@1, hit@3, the share answered and declined, and each
miss: the question, the phrase expected, and what was cited instead. The benchmark
(benchmarks/retrieval.py) measures with the same code, knowledge/evaluation.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import texts
from bot.settings import Settings

EXIT_OK, EXIT_INPUT = 0, 2
_SHOWN_CHARS = 80


def add_parser(sub) -> None:  # type: ignore[no-untyped-def]
    """The `eval` sub-command (a hook in bot/cli.py's parser)."""
    cmd = sub.add_parser("eval", help="用自己的问题集检验政策库：命中率、答复率、拒答率和未命中的问题")
    cmd.add_argument("--qa", type=Path, required=True,
                     help="库内问题 JSONL：每行 {\"q\": 问题, \"gold\": 政策原文中的一句话}")
    cmd.add_argument("--ood", type=Path, help="库外问题 JSONL：每行 {\"q\": 问题}，应当拒答")
    cmd.add_argument("--json", action="store_true", help="输出 JSON")


def cmd_eval(settings: Settings, args: argparse.Namespace, answerer=None) -> int:  # type: ignore[no-untyped-def]
    from knowledge.evaluation import EvalFileError, evaluate, load_questions

    try:
        qa = load_questions(args.qa, with_gold=True)
        ood = load_questions(args.ood, with_gold=False) if args.ood else []
    except EvalFileError as exc:
        print(texts.EVAL_BAD_FILE.format(reason=exc.message), file=sys.stderr)
        return EXIT_INPUT
    if answerer is None:
        from bot.cli_common import _answerer

        answerer = _answerer(settings)
    report = evaluate(answerer, qa, ood)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(render(report))
    return EXIT_OK


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def render(report) -> str:  # type: ignore[no-untyped-def]
    lines = [texts.EVAL_SUMMARY.format(
        questions=len(report.qa), hit1=_share(report.hit_at_1), hit3=_share(report.hit_at_3),
        answered=_share(report.answered))]
    if report.ood:
        lines.append(texts.EVAL_OOD_SUMMARY.format(questions=len(report.ood), declined=_share(report.declined)))
    misses = report.misses
    if misses:
        lines.append(texts.EVAL_MISSES_HEADER.format(count=len(misses)))
        for n, miss in enumerate(misses, 1):
            lines.append(texts.EVAL_MISS_QUESTION.format(n=n, q=_short(miss.question.q)))
            lines.append(texts.EVAL_MISS_EXPECTED.format(gold=_short(miss.question.gold or "")))
            if miss.answered and miss.cited:
                first = miss.cited[0]
                lines.append(texts.EVAL_MISS_CITED.format(doc=first["doc"], text=_short(first["text"])))
            else:
                lines.append(texts.EVAL_MISS_DECLINED)
    else:
        lines.append(texts.EVAL_NO_MISSES)
    wrong = report.wrongly_answered
    if wrong:
        lines.append(texts.EVAL_WRONGLY_ANSWERED_HEADER.format(count=len(wrong)))
        for n, item in enumerate(wrong, 1):
            first = item.cited[0] if item.cited else {"doc": "", "text": ""}
            lines.append(texts.EVAL_MISS_QUESTION.format(n=n, q=_short(item.question.q)))
            lines.append(texts.EVAL_MISS_CITED.format(doc=first["doc"], text=_short(first["text"])))
    return "\n".join(lines)
