"""A library of several documents: abbreviations, document names and honest declines."""

from __future__ import annotations

import pytest

from knowledge.answers import Answerer
from knowledge.index import BUNDLED_CORPUS
from tests.conftest import make_library

# Short texts in the style of the laws a bureau loads (written for this test).
DOCUMENTS = {
    "企业所得税法（节选）.md": """---
title: 企业所得税法（节选）
issuer: 全国人民代表大会
date: 2018-12-29
---

## 第一章 总则

第四条 企业所得税的税率为25％。

## 第四章 税收优惠

第二十八条 符合条件的小型微利企业，减按20％的税率征收企业所得税。国家需要重点扶持的高新技术企业，减按15％的税率征收企业所得税。

第三十条 企业的下列支出，可以在计算应纳税所得额时加计扣除：

（一）开发新技术、新产品、新工艺发生的研究开发费用；

（二）安置残疾人员所支付的工资。
""",
    "高新技术企业认定管理办法（节选）.md": """---
title: 高新技术企业认定管理办法（节选）
issuer: 科技部 财政部 税务总局
date: 2016-01-29
---

第九条 通过认定的高新技术企业，其资格自颁发证书之日起有效期为三年。

第十一条 认定为高新技术企业须同时满足以下条件：

（一）企业申请认定时须注册成立一年以上；

（二）从事研发和相关技术创新活动的科技人员占企业当年职工总数的比例不低于10%。
""",
    "融资担保指导意见（节选）.md": """---
title: 关于有效发挥政府性融资担保基金作用的指导意见（节选）
issuer: 国务院办公厅
date: 2019-02-14
---

（四）聚焦重点对象。政府性融资担保机构要重点支持单户担保金额500万元及以下的小微企业。

（五）降低担保费率。对单户担保金额500万元及以下的小微企业，担保费率原则上不超过1%。
""",
    "企业所得税法实施条例（节选）.md": """---
title: 中华人民共和国企业所得税法实施条例（节选）
issuer: 国务院
date: 2019-04-23
---

第一条 根据《中华人民共和国企业所得税法》（以下简称企业所得税法）的规定，制定本条例。

第九十五条 企业所得税法第三十条第（一）项所称研究开发费用的加计扣除，是指企业为开发新技术、新产品、新工艺发生的研究开发费用，未形成无形资产计入当期损益的，在按照规定据实扣除的基础上，按照研究开发费用的50%加计扣除。
""",
    "研发费用加计扣除通知（节选）.md": """---
title: 关于完善研究开发费用税前加计扣除政策的通知（节选）
issuer: 财政部 国家税务总局 科技部
date: 2015-11-02
---

根据《中华人民共和国企业所得税法》及其实施条例有关规定，为进一步鼓励企业开展研究开发活动，现就企业研发费用税前加计扣除有关问题通知如下：

一、研发活动是指企业为获得科学与技术新知识，创造性运用科学技术新知识，或实质性改进技术、产品（服务）、工艺而持续进行的具有明确目标的系统性活动。

下列活动不适用税前加计扣除政策：企业产品（服务）的常规性升级。
""",
    "济南市科技创新促进条例（节选）.md": """---
title: 济南市科技创新促进条例（节选）
issuer: 济南市人民代表大会常务委员会
date: 2021-06-01
---

第二十条 市人民政府设立科技创新发展资金，对企业建设研发平台、开展关键核心技术攻关给予补助。
""",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embeddings):  # type: ignore[no-untyped-def]
    return Answerer(make_library(tmp_path_factory, embeddings, DOCUMENTS, BUNDLED_CORPUS).retriever)


def test_an_owner_saying_gaoqi_gets_the_clause_that_says_gaoxin_jishu_qiye(library: Answerer) -> None:
    answer = library.answer("高企资格拿到手以后能管几年？")
    assert answer.answered
    assert "有效期为三年" in answer.citations[0].text
    assert answer.citations[0].doc == "高新技术企业认定管理办法（节选）"


def test_naming_the_law_finds_the_clause_of_that_law(library: Answerer) -> None:
    answer = library.answer("研发费用能多扣，这个在企业所得税法里是怎么写的？")
    assert answer.answered and answer.citations[0].doc == "企业所得税法（节选）"
    assert "加计扣除" in answer.citations[0].text


def test_a_figure_question_is_answered_by_the_clause_with_the_figure(library: Answerer) -> None:
    answer = library.answer("高企的企业所得税税率是多少？")
    assert answer.answered and "减按15％的税率" in answer.citations[0].text


@pytest.mark.parametrize("question", [
    "住房公积金能提出来还房贷吗？怎么办理？",
    "员工试用期最长能约定几个月？",
    "济南到北京的高铁票多少钱？",
    "What is the corporate income tax rate in Singapore?",
])
def test_a_question_outside_every_document_is_declined(library: Answerer, question: str) -> None:
    # Several documents share words with these (公司, 税率, 企业…): overlap is not an answer.
    answer = library.answer(question)
    assert not answer.answered and answer.citations == []


def test_a_citys_own_rules_answer_for_that_city_and_not_for_another(library: Answerer) -> None:
    here = library.answer("济南市对企业建设研发平台有补助吗？")
    assert here.answered and here.citations[0].doc == "济南市科技创新促进条例（节选）"
    # Qingdao is in the same province, but Jinan's regulation is Jinan's own.
    other = library.answer("青岛市对企业建设研发平台有补助吗？")
    assert not other.answered and other.citations == []


def test_naming_the_regulation_finds_the_regulation_not_the_law(library: Answerer) -> None:
    answer = library.answer("企业所得税法实施条例里研发费用加计扣除是怎么规定的？")
    assert answer.answered and answer.citations[0].doc == "中华人民共和国企业所得税法实施条例（节选）"


def test_a_notices_preamble_is_not_quoted_as_the_rule(library: Answerer) -> None:
    # The preamble shares every word (企业所得税法, 研发费用, 加计扣除) and states no rule.
    answer = library.answer("产品做个常规升级，算研发活动能享受加计扣除吗？")
    assert answer.answered
    assert "常规性升级" in answer.citations[0].text
    assert not answer.citations[0].text.startswith("根据")
    first = library.answer("研发费用税前加计扣除有哪些规定？").citations[0]
    assert "加计扣除" in first.text and not first.text.startswith("根据")


def test_an_item_is_quoted_with_its_number(library: Answerer) -> None:
    # "（二）" is part of the clause as written: the quote says which item of 第三十条 applies.
    answer = library.answer("安置残疾人员发的工资能在算应纳税所得额时加计扣除吗？")
    assert answer.answered
    assert "（二）安置残疾人员所支付的工资" in answer.citations[0].text
    assert answer.citations[0].text.startswith("企业的下列支出，可以在计算应纳税所得额时加计扣除：")


def test_an_owner_who_tells_the_story_first_is_answered_on_what_they_ask(library: Answerer) -> None:
    answer = library.answer("我们是一家做工业软件的小公司，二十来个人，客户主要在省内，今年打算申报高企，"
                            "材料正在准备。想问下公司注册满多久才能申请？")
    assert answer.answered
    assert "注册成立一年以上" in answer.citations[0].text
