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


def test_everyday_words_for_contracts_shares_and_debts_bring_the_formal_ones() -> None:
    assert "退役" in expansions("退伍军人创业有什么扶持？")
    assert "作价投资" in expansions("专利折成股份入股要怎么办？")
    assert "转让" in expansions("技术直接卖断给别的公司行不行")
    assert "解除合同" in expansions("技术合同能随时解约吗？")
    assert "用地" in expansions("中试基地占地有什么要求")
    # 新官不理旧账: a promise broken after the leaders changed.
    assert {"换届", "违约"} <= set(expansions("区里换了领导，新班子说之前签的招商协议不算数了"))


def test_the_talk_around_a_question_is_not_what_a_clause_must_contain() -> None:
    from knowledge.retrieval import question_weights

    words = set(question_weights("去年我们一直在搞研发，这种费用能拿来多扣吗？比如工资").weights)
    assert not words & {"去年", "一直", "搞", "这种", "拿来", "比如"}
    assert {"研发", "费用", "工资"} <= words
    assert "意思" not in question_weights("1+1+1是什么意思").weights


def test_owners_words_for_deductions_patents_and_payments_bring_the_formal_ones() -> None:
    assert "业务招待费" in expansions("请客户吃饭的招待费能全部税前扣吗？")
    assert "电子设备" in expansions("公司新买的电脑按几年折旧？")
    assert "商业汇票" in expansions("大客户非要用商票结账，我们能拒绝吗")
    assert "第三方付款" in expansions("总包合同写的背靠背付款有效吗")
    assert "商业秘密" in expansions("销售离职把客户名单带走了怎么办")
    assert "减缴" in expansions("小公司的专利年费能少交吗，费减比例是多少")
    assert "科技型中小企业" in expansions("我们想报科小，要什么条件")
    assert "常规性升级" in expansions("软件做个版本升级算研发吗")


def test_words_common_outside_the_library_bring_no_formal_words() -> None:
    # 社保, 公积金 and the like are asked about far more often than any S&T rule uses them:
    # mapping them to 社会保险费 would make a question the library does not answer look covered.
    assert expansions("今年社保缴费基数是多少") == []
    assert expansions("公积金能提出来还房贷吗") == []


def test_questions_in_english_bring_the_programmes_and_the_laws_words() -> None:
    assert {"科技特派员", "高等院校", "科研院所"} <= set(
        expansions("Can specialists come from universities or research institutes?"))
    assert "目标" in expansions("What is the coverage target for 2027?")
    assert "商业秘密" in expansions("A former engineer took our trade secrets to a competitor")
    assert {"许可", "使用费"} <= set(expansions("How are royalties under a patent licence taxed?"))
    assert "个体工商户" in expansions("Can a sole proprietor hire staff?")


def test_english_words_inside_other_words_bring_nothing() -> None:
    # "innovation" holds "vat", "define" holds "fine", "issue" holds "sue", "important" holds "import".
    words = set(expansions("What is important about the innovation issue, as the plan defines it?"))
    assert not words & {"增值税", "罚款", "诉讼", "进口"}
    assert "进口" in expansions("Do we need approval to import a technology?")
    assert "诉讼" in expansions("Can we sue the licensee?")
    # Words of general business that neighbour the library (VAT rates, salaries, work permits) are
    # not mapped: they would make those questions look covered.
    assert expansions("What is the VAT rate on salaries?") == []
