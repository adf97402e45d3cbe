"""Word's automatic list numbering: the printed labels reach the text, and the clauses their sections."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from knowledge.chunking import chunk_document
from knowledge.documents import load_document
from knowledge.formats import docx_text
from knowledge.numbering import chinese_number, format_number

_LEVELS = """<w:abstractNum {ns} w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="space"/>
    <w:lvlText w:val="第%1条"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:suff w:val="nothing"/>
    <w:lvlText w:val="（%2）"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
  <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="\u2022"/></w:lvl>
</w:abstractNum>"""


def _numbered_document():  # type: ignore[no-untyped-def]
    document = docx.Document()
    numbering = document.part.numbering_part.element
    # abstractNum elements come before num elements in the part.
    numbering.insert(0, parse_xml(_LEVELS.format(ns=nsdecls("w"))))
    for num_id, override in (("90", ""), ("91", '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'),
                             ("92", "")):
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="90"/>{override}</w:num>'))
    return document


def _numbered(document, text: str, level: int, num_id: str = "90"):  # type: ignore[no-untyped-def]
    paragraph = document.add_paragraph(text)
    paragraph._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return paragraph


def test_chinese_numbers_as_laws_write_them() -> None:
    expected = {1: "一", 10: "十", 11: "十一", 20: "二十", 21: "二十一", 100: "一百", 101: "一百零一",
                110: "一百一十", 105: "一百零五", 1000: "一千", 1001: "一千零一", 1010: "一千零一十"}
    assert {n: chinese_number(n) for n in expected} == expected
    assert format_number(3, "ideographTraditional") == "丙"
    assert format_number(4, "upperRoman") == "IV" and format_number(9, "lowerRoman") == "ix"
    assert format_number(2, "decimalEnclosedCircle") == "②" and format_number(28, "lowerLetter") == "bb"
    assert format_number(7, "decimalZero") == "07" and format_number(1, "bullet") is None


def test_word_list_numbers_reach_the_text_and_restart_as_word_prints_them(tmp_path: Path) -> None:
    document = _numbered_document()
    document.add_paragraph("科技成果转化奖励办法")
    _numbered(document, "为促进科技成果转化，制定本办法。", 0)
    _numbered(document, "奖励对象包括：", 0)
    _numbered(document, "在本市实施转化的企业；", 1)
    _numbered(document, "", 1)  # an empty numbered paragraph still takes its number
    _numbered(document, "科研院所。", 1)
    _numbered(document, "申报材料：", 0)
    _numbered(document, "申请表；", 1)  # restarts after a higher level
    _numbered(document, "一式两份", 2)
    _numbered(document, "加盖公章", 3)  # a bullet prints no label
    _numbered(document, "本办法自印发之日起施行。", 0, num_id="92")  # another instance continues the list
    document.add_paragraph("附件：申报表")
    _numbered(document, "重新编号的第一条。", 0, num_id="91")  # startOverride restarts it
    path = tmp_path / "办法.docx"
    document.save(path)
    assert docx_text(path).text.splitlines() == [
        "科技成果转化奖励办法",
        "第一条 为促进科技成果转化，制定本办法。",
        "第二条 奖励对象包括：",
        "（一）在本市实施转化的企业；",
        "（三）科研院所。",
        "第三条 申报材料：",
        "（一）申请表；",
        "1. 一式两份",
        "加盖公章",
        "第四条 本办法自印发之日起施行。",
        "附件：申报表",
        "第一条 重新编号的第一条。",
    ]


def test_word_numbered_clauses_are_cited_by_their_number(tmp_path: Path) -> None:
    document = _numbered_document()
    document.add_paragraph("科技成果转化奖励办法")
    for text in ("为促进科技成果转化，制定本办法。", "对实施转化的企业给予最高50万元奖励。", "本办法自印发之日起施行。"):
        _numbered(document, text, 0)
    path = tmp_path / "办法.docx"
    document.save(path)
    sections = {chunk.section: chunk.text for chunk in chunk_document(load_document(path))}
    assert "第二条" in sections and "50万元" in sections["第二条"]


@pytest.mark.parametrize("damage", ["<w:num {ns} w:numId=\"95\"><w:abstractNumId w:val=\"missing\"/></w:num>",
                                    "<w:num {ns} w:numId=\"96\"/>"])
def test_a_damaged_numbering_definition_costs_the_label_not_the_text(tmp_path: Path, damage: str) -> None:
    document = _numbered_document()
    document.part.numbering_part.element.append(parse_xml(damage.format(ns=nsdecls("w"))))
    _numbered(document, "正文仍在。", 0, num_id=damage.split('w:numId="')[1].split('"')[0])
    _numbered(document, "未知编号。", 0, num_id="404")
    path = tmp_path / "损坏.docx"
    document.save(path)
    assert docx_text(path).text.splitlines() == ["正文仍在。", "未知编号。"]


def test_a_heading_style_linked_to_a_list_numbers_its_chapters(tmp_path: Path) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    document = _numbered_document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="93"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        '<w:numFmt w:val="chineseCounting"/><w:suff w:val="space"/><w:lvlText w:val="第%1章"/></w:lvl></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="93"><w:abstractNumId w:val="93"/></w:num>'))
    chapter = document.styles.add_style("标题 1", WD_STYLE_TYPE.PARAGRAPH)
    chapter.element.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="93"/></w:numPr>'))
    document.add_paragraph("科技成果转化奖励办法")
    document.add_paragraph("总则", style=chapter)
    _numbered(document, "为促进科技成果转化，制定本办法。", 0)
    document.add_paragraph("奖励", style=chapter)
    _numbered(document, "对实施转化的企业给予最高50万元奖励。", 0)
    path = tmp_path / "办法.docx"
    document.save(path)
    assert docx_text(path).text.splitlines()[1:4] == ["第一章 总则", "第一条 为促进科技成果转化，制定本办法。", "第二章 奖励"]
    sections = {chunk.section: chunk.text for chunk in chunk_document(load_document(path))}
    assert "50万元" in sections["第二章 奖励 › 第二条"]
