from __future__ import annotations

from knowledge.cleaning import is_hard_wrapped, is_page_number, to_paragraphs
from tests.conftest import CORPUS_FILE


def policy_paragraphs() -> list[str]:
    return to_paragraphs(CORPUS_FILE.read_text(encoding="utf-8"))


def test_bundled_policy_is_detected_as_hard_wrapped() -> None:
    lines = [l.strip() for l in CORPUS_FILE.read_text(encoding="utf-8").splitlines() if l.strip()]
    assert is_hard_wrapped(lines)


def test_lines_broken_mid_phrase_are_joined() -> None:
    text = "".join(policy_paragraphs())
    for phrase in ("培育科技创新主体", "全面贯彻落实党的二十大", "牢固坚持“企业至上、创新至先、服务至优”工作理念",
                   "进一步激发企业发展动力", "纳入各区县（功能区）高质量发展综合绩效"):
        assert phrase in text


def test_stray_page_number_inside_a_sentence_is_removed() -> None:
    paragraphs = policy_paragraphs()
    joined = next(p for p in paragraphs if "实施情况纳入各区县" in p)
    assert "5" not in joined.replace("50%", "")
    assert all(p.strip() != "5" for p in paragraphs)


def test_wrapped_headings_are_rejoined_and_kept_apart_from_body() -> None:
    paragraphs = policy_paragraphs()
    assert "（二）着力在成果转移转化上强化服务，加快提升企业创新质效" in paragraphs
    assert "一、工作目标" in paragraphs
    assert all("\n" not in p and not p.startswith(" ") for p in paragraphs)


def test_text_that_is_not_hard_wrapped_keeps_its_paragraphs() -> None:
    text = "一、总则\n这是第一段。\n\n这是第二段，比较短。\n- 3 -\n第三段。"
    assert to_paragraphs(text) == ["一、总则", "这是第一段。", "这是第二段，比较短。", "第三段。"]


def test_page_number_shapes() -> None:
    for line in ("5", " 12 ", "- 5 -", "— 3 —", "第 2 页", "第3页 共10页", "3/12"):
        assert is_page_number(line), line
    for line in ("2027年", "5%", "1+1+1", "第五条", "一、"):
        assert not is_page_number(line), line


def test_control_and_zero_width_characters_are_dropped() -> None:
    assert to_paragraphs("政策\x00原文\u200b内容\r\n第二行\x1b") == ["政策原文内容", "第二行"]
