from __future__ import annotations

from knowledge.retrieval import Retriever


def test_hybrid_ranks_the_clause_with_the_rare_words_first(policy_kb) -> None:  # type: ignore[no-untyped-def]
    hits = policy_kb.retriever.search("揭榜挂帅项目支持哪些领域？", 3)
    assert "揭榜挂帅" in hits[0].chunk.text
    assert hits[0].score >= hits[-1].score


def test_dense_search_finds_a_paraphrase_bm25_cannot(policy_kb) -> None:  # type: ignore[no-untyped-def]
    question = "Which companies get a cash award from the city after certification as high-tech firms?"
    assert Retriever(policy_kb.index, "bm25").search(question, 3) == []
    hits = Retriever(policy_kb.index, "hybrid").search(question, 3)
    assert any("高新技术企业认定" in h.chunk.text for h in hits)


def test_an_abbreviation_finds_the_clause_written_with_the_full_name(policy_kb) -> None:  # type: ignore[no-untyped-def]
    # Owners say 高企; the plan only ever writes 高新技术企业.
    hits = policy_kb.retriever.search("拿到高企资格以后市里有奖励吗？", 3)
    assert "通过高新技术企业认定的企业给予一定的财政奖补资金支持" in hits[0].chunk.text


def test_an_english_policy_term_reaches_the_chinese_clause_by_its_words_too(policy_kb) -> None:  # type: ignore[no-untyped-def]
    hits = Retriever(policy_kb.index, "bm25").search("Is there an R&D super deduction for SMEs?", 3)
    assert any("加计扣除" in h.chunk.text for h in hits)


def test_an_index_of_another_model_is_searched_by_words_until_rebuilt(policy_kb, use_embeddings) -> None:  # type: ignore[no-untyped-def]
    from knowledge.index import KnowledgeIndex

    # Same index files, a process configured with another encoder: its vectors would be
    # meaningless against these, so only BM25 ranks (and nothing crashes).
    other = KnowledgeIndex(policy_kb.index.index_dir, use_embeddings, "use-multilingual", policy_kb.client)
    assert other.is_stale()
    hits = Retriever(other).search("揭榜挂帅项目支持哪些领域？", 3)
    assert "揭榜挂帅" in hits[0].chunk.text and all(h.dense == 0 for h in hits)


def test_hits_carry_their_document_and_evidence(policy_kb) -> None:  # type: ignore[no-untyped-def]
    hit = policy_kb.retriever.search("技术合同登记后怎么给补助？", 1)[0]
    assert hit.doc.is_draft and hit.doc.issuer == "济南市科学技术局"
    assert 0 < hit.coverage <= 1 and 0 < hit.dense <= 1 and 0 < hit.lexical <= 1


def test_blank_question_returns_nothing(policy_kb) -> None:  # type: ignore[no-untyped-def]
    assert policy_kb.retriever.search("   ", 3) == []


def test_enacting_clauses_and_preambles_are_told_apart_from_rules() -> None:
    from knowledge.retrieval import _BASIS_CLAUSE

    for basis in ("为了促进科技成果转化为现实生产力，规范科技成果转化活动，制定本法。",
                  "第一条 根据《中华人民共和国企业所得税法》的规定，制定本条例。",
                  "根据《中华人民共和国企业所得税法》及其实施条例有关规定，现就有关问题通知如下：",
                  "为加快提升企业创新能力，在全市组织实施企业科技特派员专项行动，特制定如下方案。"):
        assert _BASIS_CLAUSE.match(basis), basis
    for rule in ("企业的下列支出，可以在计算应纳税所得额时加计扣除：",
                 "根据优化营商环境需要，依照法定权限和程序，及时制定、修改、废止有关地方性法规。",
                 "通过认定的高新技术企业，其资格自颁发证书之日起有效期为三年。"):
        assert not _BASIS_CLAUSE.match(rule), rule


def test_a_document_is_named_as_owners_say_it() -> None:
    from knowledge.retrieval import _short_titles

    assert "企业所得税法" in _short_titles("中华人民共和国企业所得税法（2018修正）")
    assert "专利收费减缴办法" in _short_titles("《专利收费减缴办法》")


def test_a_clause_answers_for_its_documents_name_said_the_owners_way(kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The clause never says 技术改造; its document's title does, and 技改 is how owners say it.
    source = tmp_path / "技改条例.md"
    source.write_text("---\ntitle: 山东省企业技术改造条例（节选）\nissuer: 山东省人民代表大会常务委员会\n---\n\n"
                      "第三十四条 企业项目申报提供虚假材料的，依法收回财政资金。\n", encoding="utf-8")
    kb.index.update([source])
    hit = kb.retriever.search("技改项目申报提供虚假材料怎么办？", 1)[0]
    assert hit.coverage == 1.0
