from __future__ import annotations

from knowledge.retrieval import Retriever


def test_hybrid_ranks_the_clause_with_the_rare_words_first(policy_kb) -> None:  # type: ignore[no-untyped-def]
    hits = policy_kb.retriever.search("揭榜挂帅项目支持哪些领域？", 3)
    assert "揭榜挂帅" in hits[0].chunk.text
    assert hits[0].score >= hits[-1].score


def test_dense_search_finds_a_paraphrase_bm25_cannot(policy_kb) -> None:  # type: ignore[no-untyped-def]
    question = "How does the city reward firms certified as high-tech enterprises?"
    assert Retriever(policy_kb.index, "bm25").search(question, 3) == []
    hits = Retriever(policy_kb.index, "hybrid").search(question, 3)
    assert any("高新技术企业认定" in h.chunk.text for h in hits)


def test_hits_carry_their_document_and_evidence(policy_kb) -> None:  # type: ignore[no-untyped-def]
    hit = policy_kb.retriever.search("技术合同登记后怎么给补助？", 1)[0]
    assert hit.doc.is_draft and hit.doc.issuer == "济南市科学技术局"
    assert 0 < hit.coverage <= 1 and 0 < hit.dense <= 1 and 0 < hit.lexical <= 1


def test_blank_question_returns_nothing(policy_kb) -> None:  # type: ignore[no-untyped-def]
    assert policy_kb.retriever.search("   ", 3) == []
