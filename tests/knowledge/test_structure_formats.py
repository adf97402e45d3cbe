"""Structure the format marks: heading styles and <h1>–<h4> give the heading path; table rows stay rows."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE

from knowledge.chunking import chunk_document
from knowledge.documents import load_document


def _sections(path: Path) -> dict[str, str]:
    return {chunk.section: chunk.text for chunk in chunk_document(load_document(path))}


def test_docx_heading_styles_without_numbering_feed_the_heading_path(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("关于开展科技型中小企业评价工作的通知")
    document.add_heading("申报条件", level=1)
    document.add_paragraph("在本市注册的居民企业，职工总数不超过500人。")
    document.add_heading("材料要求", level=2)
    document.add_paragraph("企业应提交上一年度财务报表。")
    # Chinese Word names its heading styles 标题 1, 标题 2 …
    chinese = document.styles.add_style("标题 3", WD_STYLE_TYPE.PARAGRAPH)
    document.add_paragraph("报送方式", style=chinese)
    document.add_paragraph("通过评价系统在线填报。")
    path = tmp_path / "通知.docx"
    document.save(path)
    sections = _sections(path)
    assert sections["申报条件"] == "在本市注册的居民企业，职工总数不超过500人。"
    assert sections["申报条件 › 材料要求"] == "企业应提交上一年度财务报表。"
    assert sections["申报条件 › 材料要求 › 报送方式"] == "通过评价系统在线填报。"


def test_html_h1_to_h4_feed_the_heading_path(tmp_path: Path) -> None:
    page = """<html><body><h1>科技型中小企业评价办法</h1>
    <h2>总则</h2><p>第一条 为推动科技型中小企业发展，制定本办法。</p>
    <h2>评价指标</h2><h3>研发投入</h3><p>研发费用占比不低于百分之五。</p>
    <h4>计算方法</h4><p>按上一会计年度计算。</p></body></html>"""
    path = tmp_path / "办法.html"
    path.write_text(page, encoding="utf-8")
    sections = _sections(path)
    assert sections["总则 › 第一条"] == "为推动科技型中小企业发展，制定本办法。"
    assert sections["评价指标 › 研发投入"] == "研发费用占比不低于百分之五。"
    assert sections["评价指标 › 研发投入 › 计算方法"] == "按上一会计年度计算。"


def test_table_rows_stay_rows_and_are_not_glued_to_the_paragraph_before(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("一、补助标准")
    document.add_paragraph("补助标准如下：")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("类别", "补助"), ("个人", "5万元"), ("团队", "20万元")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph("补助资金当年拨付。")
    path = tmp_path / "补助.docx"
    document.save(path)
    assert _sections(path)["一、补助标准"] == "补助标准如下：\n类别 | 补助\n个人 | 5万元\n团队 | 20万元\n补助资金当年拨付。"

    page = ("<html><body><p>二、奖励标准</p><p>奖励如下：</p><table><tr><th>等级</th><th>奖励</th></tr>"
            "<tr><td>一等</td><td>50万元</td></tr></table></body></html>")
    html = tmp_path / "奖励.html"
    html.write_text(page, encoding="utf-8")
    assert _sections(html)["二、奖励标准"] == "奖励如下：\n等级 | 奖励\n一等 | 50万元"
