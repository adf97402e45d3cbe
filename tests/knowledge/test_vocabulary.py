"""How owners say what the texts say: the question is also searched by the law's own words."""

from __future__ import annotations

from knowledge.vocabulary import expand, expansions


def test_owners_words_bring_the_laws_terms() -> None:
    assert "公益性捐赠" in expansions("给慈善机构捐了款，税前能扣多少？")
    assert "非公有制经济组织" in expansions("民营企业的工程师能评职称吗？")
    assert "规模以上" in expansions("规上企业技改有奖励吗")
    assert {"弥补", "结转"} <= set(expansions("前年亏了300万，今年能抵吗"))
    assert "促成" in expansions("中介没撮合成，还收费吗？")
    assert "汇算清缴" in expansions("年度汇算什么时候截止")


def test_a_question_keeps_its_own_words_and_adds_only_new_ones() -> None:
    question = "高企资格能管几年？"
    assert expand(question).startswith(question)
    assert "高新技术企业" in expansions(question)
    assert "高企" not in expansions(question)
    # A word the question already has is not added again.
    assert "亏损" not in expansions("亏损能结转几年")
