"""The abstention model: which evidence makes the bot answer, and which makes it decline.

Hits are built by hand so each test changes one kind of evidence and nothing else; the
end-to-end behaviour on indexed documents is in test_library.py and test_answers.py.
"""

from __future__ import annotations

import math

import pytest

from knowledge.answers import (
    E5_ABSTENTION,
    FEATURE_NAMES,
    Abstention,
    abstention_features,
    asks_elsewhere,
    confidence,
)
from knowledge.chunking import Chunk
from knowledge.index import DocRecord
from knowledge.retrieval import Hit, question_weights

NATIONAL = DocRecord(key="law", path="law.md", title="中华人民共和国促进科技成果转化法", issuer="全国人民代表大会常务委员会",
                     date="2015-08-29", status="current", sha256="0" * 64, chunk_ids=["c1"])
JINAN = DocRecord(key="jn", path="jn.md", title="济南市科技创新促进条例", issuer="济南市人民代表大会常务委员会",
                  date="2021-06-01", status="current", sha256="1" * 64, chunk_ids=["c2"])


def hit(text: str, *, dense: float = 0.9, coverage: float = 1.0, doc: DocRecord = NATIONAL,
        ask: float | None = None, known: float | None = None) -> Hit:
    """A clause; for a one-part question of words the library knows, the three coverages coincide."""
    chunk = Chunk(id=f"c-{abs(hash(text))}", doc_key=doc.key, ordinal=0, section="第一章", text=text)
    return Hit(chunk=chunk, doc=doc, score=0.9, dense=dense, lexical=1.0, coverage=coverage,
               ask_coverage=coverage if ask is None else ask, known_coverage=coverage if known is None else known)


CLAUSE = "第九条 通过认定的高新技术企业，其资格自颁发证书之日起有效期为三年。"


def test_the_features_are_named_in_the_order_the_weights_are_given() -> None:
    features = abstention_features("高企资格有效期几年？", [hit(CLAUSE)])
    assert len(features) == len(FEATURE_NAMES) == len(E5_ABSTENTION.weights())


def test_confidence_is_the_logistic_of_the_weighted_evidence() -> None:
    model = Abstention(intercept=0.5, coverage_best=1.0, coverage_first=1.0, meaning_best=0.0, meaning_first=0.0,
                       figure_missing=-2.0, ask_best=0.0, ask_first=0.0, known_best=0.0, known_first=0.0,
                       cross_language_bar=0.88)
    hits = [hit(CLAUSE, coverage=0.5)]
    assert confidence("高企资格有效期几年？", hits, model=model) == pytest.approx(1 / (1 + math.exp(-1.5)))


def test_the_more_of_the_question_the_quoted_clause_covers_the_surer_the_answer() -> None:
    question = "高企资格有效期几年？"
    shares = [confidence(question, [hit(CLAUSE, coverage=c)]) for c in (0.2, 0.5, 0.8, 1.0)]
    assert shares == sorted(shares) and shares[0] < 0.5 <= shares[-1]


def test_closer_meaning_raises_confidence() -> None:
    question = "高企资格有效期几年？"
    shares = [confidence(question, [hit(CLAUSE, dense=d, coverage=0.7)]) for d in (0.82, 0.86, 0.90, 0.94)]
    assert shares == sorted(shares) and shares[0] < shares[-1]


def test_words_found_only_in_a_lower_clause_count_for_less_than_in_the_quoted_one() -> None:
    question = "高企资格有效期几年？"
    quoted_covers = confidence(question, [hit(CLAUSE, coverage=0.9), hit("其他条款。", coverage=0.3)])
    lower_covers = confidence(question, [hit(CLAUSE, coverage=0.3), hit("其他条款。", coverage=0.9)])
    assert quoted_covers > 0.5 > lower_covers


def test_a_figure_is_wanted_only_when_the_ask_wants_one() -> None:
    # 几个 in the story ("a few of our engineers") asks for no number; 多少 in the ask does.
    clause = "国家鼓励企业采取股权、期权、分红等方式激励科学技术人员。"
    story = abstention_features("想给几个技术骨干发点股权，国家鼓励这样做吗？", [hit(clause)])
    figure = abstention_features("给技术骨干的股权激励，比例最多能给多少？", [hit(clause)])
    assert story[FEATURE_NAMES.index("figure_missing")] == 0.0
    assert figure[FEATURE_NAMES.index("figure_missing")] == 1.0


def test_the_words_of_the_ask_and_the_words_the_library_knows_weigh_in() -> None:
    question = "高企资格有效期几年？"
    base = confidence(question, [hit(CLAUSE, coverage=0.4)])
    assert confidence(question, [hit(CLAUSE, coverage=0.4, ask=0.9)]) > base
    assert confidence(question, [hit(CLAUSE, coverage=0.4, known=0.9)]) > base


def test_a_figure_question_needs_a_figure_in_the_quoted_clause() -> None:
    question = "担保费率最多是多少？"
    with_figure = hit("担保费率原则上不超过1%。", coverage=0.8)
    without = hit("担保机构要降低担保费率。", coverage=0.8)
    assert abstention_features(question, [with_figure])[FEATURE_NAMES.index("figure_missing")] == 0.0
    assert abstention_features(question, [without])[FEATURE_NAMES.index("figure_missing")] == 1.0
    assert confidence(question, [with_figure]) > confidence(question, [without])


@pytest.mark.parametrize("clause, missing", [
    ("申报材料须在每年6月30日前报送。", 0.0),
    ("其资格自颁发证书之日起有效期为三年。", 0.0),
    ("企业应当如实报送申报材料。", 1.0),
])
def test_a_when_question_needs_a_date_or_a_period_in_the_quoted_clause(clause: str, missing: float) -> None:
    features = abstention_features("申报材料什么时候交？", [hit(clause, coverage=0.8)])
    assert features[FEATURE_NAMES.index("figure_missing")] == missing


def test_another_provinces_rules_are_not_answered_from_this_library() -> None:
    assert asks_elsewhere("上海的科技成果转化奖励比例是多少？", [hit("奖励比例不低于百分之五十。")])
    assert not asks_elsewhere("科技成果转化奖励比例是多少？", [hit("奖励比例不低于百分之五十。")])


def test_one_city_of_the_province_is_not_answered_with_another_citys_own_rules() -> None:
    jinan_clause = hit("市人民政府设立科技创新专项资金。", doc=JINAN)
    assert asks_elsewhere("青岛市有没有科技创新专项资金？", [jinan_clause])
    assert not asks_elsewhere("济南市有没有科技创新专项资金？", [jinan_clause])
    # A national law holds in every city; moving between cities is not asking about another's rules.
    assert not asks_elsewhere("青岛的企业能享受成果转化奖励吗？", [hit("奖励比例不低于百分之五十。")])
    assert not asks_elsewhere("公司从青岛搬到济南，还能申请科技创新专项资金吗？", [jinan_clause])
    # Declined whatever the words: the library holds none of Qingdao's own rules.
    assert confidence("青岛市有没有科技创新专项资金？", [hit(jinan_clause.chunk.text, dense=0.97, doc=JINAN)]) == 0.0
    assert confidence("济南市有没有科技创新专项资金？", [hit(jinan_clause.chunk.text, dense=0.97, doc=JINAN)]) >= 0.5


def test_an_english_question_is_judged_by_meaning_alone() -> None:
    question = "How long is the high-tech enterprise qualification valid?"
    assert confidence(question, [hit(CLAUSE, dense=0.95, coverage=0.0)]) >= 0.5
    assert confidence(question, [hit(CLAUSE, dense=0.80, coverage=1.0)]) < 0.5


def test_no_clause_means_no_confidence() -> None:
    assert confidence("高企资格有效期几年？", []) == 0.0


@pytest.mark.parametrize("question, words", [
    ("我们公司营收1.2个亿，60个人，能申请高企吗？", {"申请", "营收", "高企"}),
    ("贷款300万元的担保费率是多少？", {"担保费率", "贷款"}),
    ("环保局罚了我们十来万，这笔罚款能不能税前扣除？", {"扣除", "环保局", "税前", "罚款"}),
    ("公司有两百多人，算中小企业吗", {"中小企业"}),
    ("打算送一台6万多的电动车当奖品", {"一台", "送", "当", "电动车", "奖品"}),
])
def test_the_askers_own_figures_are_not_words_a_clause_must_contain(question: str, words: set[str]) -> None:
    # 1.2个亿, 60个人, 300万元, 十来万, 两百多人 describe the asker's case; a clause states thresholds.
    assert set(question_weights(question).weights) == words


def test_a_compound_is_one_word_and_its_parts_are_partial_evidence() -> None:
    words = question_weights("担保费率是多少")
    # Search mode also yields 担保, 费率, 保费…: counted apart, 担保费率 would weigh four words.
    assert set(words.weights) == {"担保费率"}
    assert words.coverage("担保费率原则上不超过1%。") == 1.0
    assert words.coverage("收取的费率应当公开。") == pytest.approx(0.5)
    assert words.coverage("银行应当公开贷款利率。") == 0.0


def test_a_figure_that_names_a_thing_stays_a_word_to_find() -> None:
    assert "1" in question_weights("1+1+1是什么意思").weights


@pytest.mark.parametrize("question", [
    "一家美国企业想买我们的独家授权，国内法律对技术给境外用是什么态度？",
    "委托国外机构做的研发费用有没有比例限制？我们有一块研发是放在德国做的",
    "跟日本公司签技术许可合同要注意什么？",
    "我们从德国买了一套算法的使用许可，合同签了还没登记，现在算生效了吗？",
    "前年从日本一家公司引进的技术被人说侵权，我们该怎么办？",
    "We license our software to a company in Singapore. Does the contract need to be registered?",
    "My client from Japan wants an exclusive licence; what do Chinese rules say about that?",
])
def test_a_country_named_as_a_party_is_not_a_question_about_its_rules(question: str) -> None:
    assert not asks_elsewhere(question, [hit("技术出口应当遵守国家有关规定。")])


@pytest.mark.parametrize("question", [
    "新加坡的企业所得税税率是多少？",
    "美国对高新技术企业有什么税收优惠？",
    "What is the profits tax rate for small companies in Hong Kong?",
    "What is Singapore's corporate income tax rate?",
])
def test_a_countrys_own_rules_are_not_answered_from_this_library(question: str) -> None:
    assert asks_elsewhere(question, [hit("企业所得税的税率为25%。")])
    assert confidence(question, [hit("企业所得税的税率为25%。", dense=0.97)]) == 0.0


def test_us_is_the_united_states_only_as_written() -> None:
    # Case-blind, "us" would make "most of us" a question about American rules.
    assert not asks_elsewhere("Can most of us in a small team apply for the R&D deduction?", [hit(CLAUSE)])
    assert asks_elsewhere("What is the R&D tax credit in the US?", [hit(CLAUSE)])


def test_an_english_question_about_china_is_not_about_elsewhere() -> None:
    assert not asks_elsewhere("How long is a high-tech enterprise certificate valid in China?", [hit(CLAUSE)])


def test_a_period_in_words_stays_a_word_to_find() -> None:
    assert "三年" in question_weights("高企资格三年到期后怎么办").weights
