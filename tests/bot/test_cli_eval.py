"""Staff run their own question sets against the live library with `tepai eval`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bot import cli, cli_eval
from core import texts
from bot.settings import load_settings
from knowledge.answers import Answerer


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def question_sets(tmp_path: Path) -> tuple[Path, Path]:
    qa = write_jsonl(tmp_path / "qa.jsonl", [
        {"id": "a1", "q": "到2027年特派员覆盖率目标是多少？", "gold": "全市50%的科技型中小企业配备科技特派员"},
        {"q": "揭榜挂帅项目支持哪些领域？", "gold": "特色优势产业、战略新兴产业"},
        # A phrase the plan does not contain: must be reported as a miss, with what was cited.
        {"q": "特派员征集选聘公告面向哪些单位发布？", "gold": "这句话不在任何文件里"},
    ])
    ood = write_jsonl(tmp_path / "ood.jsonl", [{"q": "明天会下雨吗？"}, {"q": "推荐一部好看的电影"}])
    return qa, ood


def run_eval(policy_kb, qa: Path, ood: Path | None, as_json: bool, capsys) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    args = argparse.Namespace(qa=qa, ood=ood, json=as_json)
    code = cli_eval.cmd_eval(load_settings({}), args, answerer=Answerer(policy_kb.retriever))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_staff_see_hit_rates_and_each_miss_in_chinese(policy_kb, question_sets, capsys) -> None:  # type: ignore[no-untyped-def]
    qa, ood = question_sets
    code, out, _ = run_eval(policy_kb, qa, ood, False, capsys)
    assert code == 0
    assert "库内问题 3 个：首条命中率 0.67，前三条命中率 0.67" in out
    assert "库外问题 2 个：拒答率 1.00" in out
    assert "未命中的库内问题（1 个）" in out
    assert "问题：特派员征集选聘公告面向哪些单位发布？" in out and "应引用：这句话不在任何文件里" in out
    assert "实际引用：《企业科技特派员专项行动实施方案（征求意见稿）》" in out


def test_json_output_has_stable_keys(policy_kb, question_sets, capsys) -> None:  # type: ignore[no-untyped-def]
    qa, ood = question_sets
    code, out, _ = run_eval(policy_kb, qa, ood, True, capsys)
    payload = json.loads(out)
    assert code == 0
    assert {"questions", "out_of_scope", "hit@1", "hit@3", "answered", "answer_hit@1", "declined",
            "misses", "wrongly_answered", "confidence"} <= set(payload)
    assert payload["questions"] == 3 and payload["hit@1"] == pytest.approx(2 / 3, abs=1e-3)
    assert payload["declined"] == 1.0 and payload["wrongly_answered"] == []
    miss = payload["misses"][0]
    assert miss["gold"] == "这句话不在任何文件里" and miss["rank"] is None and miss["cited"]
    assert len(payload["confidence"]["in_scope"]) == 3 and len(payload["confidence"]["out_of_scope"]) == 2


def test_without_ood_file_only_in_scope_figures(policy_kb, question_sets, capsys) -> None:  # type: ignore[no-untyped-def]
    qa, _ = question_sets
    code, out, _ = run_eval(policy_kb, qa, None, True, capsys)
    assert code == 0 and json.loads(out)["declined"] is None


@pytest.mark.parametrize("content, reason", [
    (None, "找不到问题文件"),
    ("这不是 JSON\n", "第 1 行不是 JSON"),
    ('{"q": "有问题", "gold": "有"}\n{"gold": "没有问题字段"}\n', "第 2 行缺少问题字段 q"),
    ('{"q": "没有标准答案"}\n', "第 1 行缺少标准答案字段 gold"),
    ("[1, 2]\n", "第 1 行不是 JSON 对象"),
    ("\n\n", "里没有问题"),
])
def test_a_bad_question_file_gets_a_clear_chinese_message_and_exit_2(
        tmp_path: Path, capsys, content: str | None, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "qa.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code = cli.main(["eval", "--qa", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert texts.EVAL_BAD_FILE.split("{")[0] in err and reason in err and "Traceback" not in err


def test_an_ood_file_without_q_is_refused_too(tmp_path: Path, question_sets, capsys) -> None:  # type: ignore[no-untyped-def]
    qa, _ = question_sets
    bad = write_jsonl(tmp_path / "ood-bad.jsonl", [{"question": "字段名写错了"}])
    assert cli.main(["eval", "--qa", str(qa), "--ood", str(bad)]) == 2
    assert "ood-bad.jsonl 第 1 行缺少问题字段 q" in capsys.readouterr().err


def test_a_binary_file_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "qa.jsonl"
    path.write_bytes(b"\xff\xfe\x00\x81 not text")
    assert cli.main(["eval", "--qa", str(path)]) == 2
    assert "不是 UTF-8" in capsys.readouterr().err
