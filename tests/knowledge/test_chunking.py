from __future__ import annotations

from pathlib import Path

from knowledge.chunking import (
    MAX_CHARS,
    MAX_SENTENCE,
    PATH_SEPARATOR,
    PHRASE_CHARS,
    PHRASE_FROM,
    chunk_document,
    search_units,
    split_sentences,
)
from knowledge.documents import load_document
from tests.conftest import CORPUS_FILE


def policy_chunks():  # type: ignore[no-untyped-def]
    return chunk_document(load_document(CORPUS_FILE))


def test_each_chunk_keeps_its_heading_path() -> None:
    sections = {c.section for c in policy_chunks()}
    assert "二、重点任务 › （二）着力在成果转移转化上强化服务，加快提升企业创新质效" in sections
    assert "三、保障措施 › （二）强化选派服务" in sections
    assert "一、工作目标" in sections


def test_no_chunk_spans_two_sections_or_carries_a_heading() -> None:
    for chunk in policy_chunks():
        assert "二、重点任务" not in chunk.text
        assert "（二）强化选派服务" not in chunk.text
        assert not chunk.text.startswith("（")


def test_long_sections_split_at_sentence_ends_without_losing_text() -> None:
    doc = load_document(CORPUS_FILE)
    chunks = chunk_document(doc)
    for chunk in chunks:
        assert chunk.text[-1] in "。；！？" or len(chunk.text) > MAX_CHARS
        assert len(chunk.text) <= MAX_CHARS or len(split_sentences(chunk.text)) == 1
    body = "".join(c.text for c in chunks)
    for paragraph in doc.paragraphs:
        if not paragraph.startswith(("一、", "二、", "三、", "（")):
            assert paragraph in body


def test_no_chunk_holds_a_broken_phrase_or_the_page_number() -> None:
    texts = [c.text for c in policy_chunks()]
    assert any("将企业科技特派员专项行动实施情况纳入各区县（功能区）" in t for t in texts)
    assert not any("\n" in t or " 5 " in t for t in texts)


def test_document_metadata_marks_the_draft() -> None:
    doc = load_document(CORPUS_FILE)
    assert doc.title == "企业科技特派员专项行动实施方案（征求意见稿）"
    assert doc.issuer == "济南市科学技术局"
    assert doc.status == "draft" and doc.is_draft


def test_all_heading_styles_nest(tmp_path: Path) -> None:
    source = tmp_path / "办法.md"
    source.write_text(
        "\n".join([
            "# 济南市科技创新促进办法",
            "第一章 总则",
            "第一条 为了促进科技创新，制定本办法。",
            "第二条 本办法适用于本市行政区域。",
            "第二章 支持措施",
            "一、研发支持",
            "（一）研发补助",
            "1. 对研发投入给予补助。补助比例不超过百分之十。",
            "（1）首次认定的企业奖励20万元。",
            "（2）复审通过的企业奖励10万元。",
            "2. 对平台建设给予支持。",
        ]),
        encoding="utf-8",
    )
    doc = load_document(source)
    assert doc.title == "济南市科技创新促进办法" and doc.status == "current"
    by_text = {c.text: c.section for c in chunk_document(doc)}
    assert by_text["为了促进科技创新，制定本办法。"] == "第一章 总则 › 第一条"
    assert by_text["本办法适用于本市行政区域。"] == "第一章 总则 › 第二条"
    # An item that is itself the clause is quoted with its number, as written.
    first = by_text["（1）首次认定的企业奖励20万元。"]
    assert first.split(PATH_SEPARATOR)[:3] == ["第二章 支持措施", "一、研发支持", "（一）研发补助"]
    assert first.endswith("（1）首次认定的企业奖励20万元")
    assert by_text["补助比例不超过百分之十。"].endswith("1. 对研发投入给予补助")
    assert "（1）" not in by_text["2. 对平台建设给予支持。"]
    assert "首次认定的企业奖励20万元。" not in by_text  # never without its number


def test_run_in_headings_split_title_from_body(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("三、保障措施\n（一）强化组织领导。坚持统筹推进。\n（二）强化宣传。加大宣传力度。", encoding="utf-8")
    chunks = chunk_document(load_document(source))
    assert [(c.section, c.text) for c in chunks] == [
        ("三、保障措施 › （一）强化组织领导", "坚持统筹推进。"),
        ("三、保障措施 › （二）强化宣传", "加大宣传力度。"),
    ]


def test_over_long_sentence_is_cut_at_commas() -> None:
    sentence = "，".join(["这是一个很长的分句用来测试切分"] * 40) + "。"
    parts = split_sentences(sentence)
    assert len(sentence) > MAX_SENTENCE and len(parts) > 1
    assert "".join(parts) == sentence
    assert all(len(p) <= MAX_CHARS + 20 for p in parts)


def test_a_long_sentence_is_also_searched_by_its_phrases() -> None:
    long = ("到2027年，全市50%的科技型中小企业配备科技特派员，到“十五五”末，实现全市科技型中小企业科技特派员全覆盖，"
            "加快构建以企业为主体、市场为导向、产学研深度融合的技术创新体系。")
    short = "对研发投入给予百分之十补助。"
    assert len(long) > PHRASE_FROM >= len(short)
    units = search_units([short, long])
    assert units[:2] == [short, long]  # the sentences first, as before: unit n of a sentence is stable
    phrases = units[2:]
    assert len(phrases) >= 2 and all(p in long for p in phrases)
    assert "到“十五五”末，实现全市科技型中小企业科技特派员全覆盖，" in "".join(phrases)
    # Every clause is in some phrase, and a phrase runs over PHRASE_CHARS only when one clause does.
    assert all(any(clause in p for p in phrases) for clause in ("到2027年，", "市场为导向、", "产学研深度融合的技术创新体系。"))
    assert all(len(p) <= PHRASE_CHARS or "，" not in p[:-1] for p in phrases)
    assert search_units([short]) == [short]


def test_every_unit_of_a_chunk_has_an_id() -> None:
    for chunk in policy_chunks():
        assert len(chunk.unit_ids()) == len(chunk.units) >= len(chunk.sentences)
        assert len(set(chunk.unit_ids())) == len(chunk.unit_ids())


def test_chunk_ids_are_stable_and_change_with_content(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("一、目标\n推进创新。", encoding="utf-8")
    first = [c.id for c in chunk_document(load_document(source))]
    assert first == [c.id for c in chunk_document(load_document(source))]
    source.write_text("一、目标\n推进科技创新。", encoding="utf-8")
    assert first != [c.id for c in chunk_document(load_document(source))]


def test_an_article_keeps_its_lead_sentence_with_each_of_its_items(tmp_path: Path) -> None:
    source = tmp_path / "税法.md"
    source.write_text(
        "# 某税法\n\n"
        "第三十条 企业的下列支出，可以在计算应纳税所得额时加计扣除：\n\n"
        "（一）开发新技术、新产品、新工艺发生的研究开发费用；\n\n"
        "（二）安置残疾人员及国家鼓励安置的其他就业人员所支付的工资。\n\n"
        "第三十一条 创业投资企业从事国家需要重点扶持和鼓励的创业投资，可以按投资额的一定比例抵扣应纳税所得额。\n",
        encoding="utf-8",
    )
    chunks = chunk_document(load_document(source))
    lead = "企业的下列支出，可以在计算应纳税所得额时加计扣除："
    items = [c for c in chunks if PATH_SEPARATOR in c.section and c.section.startswith("第三十条")]
    assert len(items) == 2
    # Each item is quoted as what it is a case of, with its own number, and stays findable by
    # the lead's words.
    assert items[0].text == lead + "（一）开发新技术、新产品、新工艺发生的研究开发费用；"
    assert items[1].text.startswith(lead) and items[1].text.endswith("所支付的工资。")
    assert any(c.section == "第三十条" and c.text == lead for c in chunks)
    # The next article does not inherit the lead.
    nxt = [c for c in chunks if c.section == "第三十一条"]
    assert nxt and not nxt[0].text.startswith(lead)
