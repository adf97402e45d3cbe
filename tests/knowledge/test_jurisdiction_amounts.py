"""Where a rule applies and which tier an owner falls in: 省里 means the province's regulation,
营收8000万 means the 5,000万–2亿 tier."""

from __future__ import annotations

import pytest

from knowledge.amounts import Amount, Bound, amount_fit, stated_amounts, stated_bounds
from knowledge.answers import Answerer
from tests.conftest import make_library

# Short texts in the style of a bureau's library (written for this test, not taken from it).
DOCUMENTS = {
    "省人才条例.md": """---
title: 山东省人才工作促进条例（节选）
issuer: 山东省人民代表大会常务委员会
date: 2021-05-01
---

第十条 本省设立省级人才专项资金，对引进的高层次人才团队给予最高五百万元的项目资助。

第十一条 对来本省创业的留学人员，提供创业场地和一站式服务。
""",
    "市人才办法.md": """---
title: 济南市人才服务办法（节选）
issuer: 济南市人民政府
date: 2022-03-01
---

第八条 本市实施泉城英才计划，对入选人才给予安家补贴和子女入学便利。

第九条 市人才服务中心为引进的高层次人才团队提供一站式服务。
""",
    "研发投入办法.md": """---
title: 企业研发投入认定办法（节选）
issuer: 科学技术部
date: 2020-01-01
---

第六条 申请认定的企业，近三个会计年度研究开发费用总额占同期销售收入总额的比例符合下列要求：

（一）最近一年销售收入小于5,000万元（含）的企业，比例不低于5%；

（二）最近一年销售收入在5,000万元至2亿元（含）的企业，比例不低于4%；

（三）最近一年销售收入在2亿元以上的企业，比例不低于3%。
""",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embeddings):  # type: ignore[no-untyped-def]
    return Answerer(make_library(tmp_path_factory, embeddings, DOCUMENTS).retriever)


def test_an_owner_who_gives_their_revenue_gets_their_own_tier(library: Answerer) -> None:
    answer = library.answer("我们去年销售收入8000万元，研发费用要占多少才够？")
    assert answer.answered
    assert "5,000万元至2亿元（含）" in answer.citations[0].text
    big = library.answer("公司一年营收3亿，研发投入比例最低要求是多少？")
    assert "2亿元以上" in big.citations[0].text


def test_a_question_about_the_city_prefers_the_citys_own_rules(library: Answerer) -> None:
    answer = library.answer("济南给引进的高层次人才团队提供什么服务？")
    assert answer.answered and answer.citations[0].doc == "济南市人才服务办法（节选）"


def test_shengli_means_the_provinces_regulation_and_counts_as_covered(library: Answerer) -> None:
    # The regulation says 本省, never 山东 or 省里: the question's place words are answered by
    # whose regulation it is, so the question is not declined for lacking them.
    answer = library.answer("留学回来的人到山东创业，省里有什么说法？")
    assert answer.answered
    assert answer.citations[0].doc == "山东省人才工作促进条例（节选）"
    assert "留学人员" in answer.citations[0].text


def test_amounts_stated_in_a_question() -> None:
    assert stated_amounts("去年营收4000万，员工120人") == [Amount("money", 4e7), Amount("people", 120)]
    # Years, ratios and article numbers are not an owner's figures.
    assert stated_amounts("2027年覆盖50%，第11条") == []


def test_tiers_stated_in_a_clause() -> None:
    assert stated_bounds("销售收入小于5,000万元（含）的企业") == [Bound("money", None, 5e7)]
    assert stated_bounds("在5,000万元至2亿元（含）的企业") == [Bound("money", 5e7, 2e8)]
    assert stated_bounds("2亿元以上的企业") == [Bound("money", 2e8, None)]
    assert stated_bounds("从业人数不超过300人") == [Bound("people", None, 300)]
    # A clause without tiers neither fits nor contradicts a figure.
    assert amount_fit([Amount("money", 4e7)], "认定须同时满足以下条件") == 0.0
    assert amount_fit([Amount("money", 4e7)], "从业人数不超过300人、资产总额不超过5000万元") == 1.0
    assert amount_fit([Amount("money", 9e7)], "资产总额不超过5000万元") == 0.0


def test_amounts_as_owners_say_them_colloquially() -> None:
    # 1.2个亿 and 8千万 are how revenue is said aloud; 3个月 is a time, not a figure.
    assert stated_amounts("营收1.2个亿") == [Amount("money", 1.2e8)]
    assert stated_amounts("一年8千万的销售额") == [Amount("money", 8e7)]
    assert stated_amounts("3个月内报完") == []
    assert amount_fit(stated_amounts("营收1.2个亿"), "5,000万元至2亿元（含）的企业，比例不低于4%") > 0
    assert amount_fit(stated_amounts("营收1.2个亿"), "2亿元以上的企业，比例不低于3%") == 0


def test_another_places_own_rules_are_not_answered_by_ours(library: Answerer) -> None:
    # The same words, asked about 深圳 or 上海: none of these documents is that place's.
    assert library.answer("济南给引进的高层次人才团队提供什么服务？").answered
    assert not library.answer("深圳给引进的高层次人才团队提供什么服务？").answered
    assert not library.answer("上海对引进的高层次人才团队给多少项目资助？").answered
    # Naming where one came from is not asking about there: the question is about 本省.
    assert library.answer("我们团队从深圳来山东创业，省里对引进的高层次人才团队给多少资助？").answered
