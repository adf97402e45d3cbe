"""Each document's issuer, 文号, dates and status, as a bureau's files actually carry them.

The fixtures copy the shapes of real published documents: a State Council notice
with its 文号 line and signature, a gov.cn header table, the three-ministry 办法
as a DOCX with core properties, Markdown with front matter, HTML with <meta>.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import docx
import pytest

from knowledge.documents import load_document
from knowledge.metadata import InvalidValue, normalize, parse_status


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


NOTICE = """国务院办公厅关于有效发挥政府性融资担保基金作用切实支持小微企业和“三农”发展的指导意见
国办发〔2019〕6号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
为有效发挥政府性融资担保基金作用，切实支持小微企业和“三农”发展，经国务院同意，现提出以下意见。
一、坚守政府性融资担保机构的准公共定位
政府性融资担保机构应当坚持聚焦支小支农主业。
本意见自印发之日起施行。
国务院办公厅
2019年1月22日
"""


def test_a_notice_gives_its_issuer_number_date_and_effective_date_from_its_own_lines(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "意见.txt", NOTICE))
    assert doc.issuer == "国务院办公厅"
    assert doc.doc_number == "国办发〔2019〕6号"
    assert doc.date == "2019-01-22"
    assert doc.effective == "2019-01-22"  # 自印发之日起施行
    assert doc.status == "current"
    assert "国办发〔2019〕6号" not in doc.title


def test_a_header_table_of_labels_is_read(tmp_path: Path) -> None:
    page = """<html><head><title>关于推广第二批支持创新相关改革举措的通知_政府信息公开</title></head><body>
    <table><tr><td>发文机关：</td><td>国务院办公厅</td><td>成文日期：</td><td>2018年12月23日</td></tr></table>
    <p>发文字号：国办发〔2018〕126号</p>
    <h1>国务院办公厅关于推广第二批支持创新相关改革举措的通知</h1>
    <p>各省、自治区、直辖市人民政府：</p><p>现就有关事项通知如下。</p><p>一、推广的改革举措</p><p>知识产权保护方面5项。</p>
    </body></html>"""
    doc = load_document(write(tmp_path / "通知.html", page))
    assert doc.doc_number == "国办发〔2018〕126号"
    assert doc.issuer == "国务院办公厅" and doc.date == "2018-12-23"


def test_html_meta_tags_carry_issuer_date_and_status(tmp_path: Path) -> None:
    page = """<html><head><title>济南市优化营商环境条例</title>
    <meta name="issuer" content="济南市人民代表大会常务委员会"><meta name="date" content="2022-01-21">
    <meta name="status" content="current"></head><body><h1>济南市优化营商环境条例</h1>
    <p>第一条 为了持续优化营商环境，制定本条例。</p><p>第二条 本条例自2022年3月1日起施行。</p></body></html>"""
    doc = load_document(write(tmp_path / "条例.html", page))
    assert (doc.issuer, doc.date, doc.effective, doc.status) == (
        "济南市人民代表大会常务委员会", "2022-01-21", "2022-03-01", "current")


def test_markdown_front_matter_may_say_a_document_is_repealed_or_amended(tmp_path: Path) -> None:
    body = "# 高新技术企业认定管理办法\n\n第一条 为扶持和鼓励高新技术企业发展，制定本办法。\n"
    old = load_document(write(tmp_path / "旧办法.md", "---\ntitle: 高新技术企业认定管理办法\nissuer: 科技部 财政部 国家税务总局\n"
                                                      "date: 2008-04-14\n文号: 国科发火〔2008〕172号\nstatus: 已废止\n---\n" + body))
    assert (old.status, old.doc_number, old.date) == ("repealed", "国科发火〔2008〕172号", "2008-04-14")
    amended = load_document(write(tmp_path / "指引.md", "---\ntitle: 高新技术企业认定管理工作指引\n"
                                                         "status: amended-by 国科发火〔2016〕195号\n---\n" + body))
    assert (amended.status, amended.amended_by) == ("amended", "国科发火〔2016〕195号")


def _ministry_docx(path: Path, author: str, keywords: str, created: datetime) -> Path:
    document = docx.Document()
    properties = document.core_properties
    properties.title, properties.author, properties.keywords, properties.created = (
        "高新技术企业认定管理办法", author, keywords, created)
    document.add_paragraph("第一章 总 则")
    document.add_paragraph("第一条 为扶持和鼓励高新技术企业发展，特制定本办法。")
    document.add_paragraph("第二十三条 本办法自2016年1月1日起施行。")
    document.save(path)
    return path


def test_docx_core_properties_give_issuer_date_and_status(tmp_path: Path) -> None:
    path = _ministry_docx(tmp_path / "办法.docx", "科技部 财政部 国家税务总局", "status: current; date: 2016-01-29",
                          datetime(2016, 1, 29))
    doc = load_document(path)
    assert (doc.title, doc.issuer, doc.date, doc.effective, doc.status) == (
        "高新技术企业认定管理办法", "科技部 财政部 国家税务总局", "2016-01-29", "2016-01-01", "current")


def test_a_typists_account_is_not_taken_for_the_issuer(tmp_path: Path) -> None:
    path = _ministry_docx(tmp_path / "办法.docx", "Administrator", "废止", datetime(2023, 5, 6, 9, 30))
    doc = load_document(path)
    assert doc.issuer is None
    assert doc.status == "repealed"  # a bare status word in the keywords
    assert doc.date == "2023-05-06"  # the file's creation date, for want of any other


def test_a_title_marked_repealed_is_repealed(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "a.txt", "关于印发科技计划管理办法的通知（已废止）\n第一条 本办法适用于市级科技计划。\n"))
    assert doc.status == "repealed"


@pytest.mark.parametrize(("value", "expected"), [
    ("现行", ("current", None)), ("征求意见稿", ("draft", None)), ("失效", ("repealed", None)),
    ("amended-by: 国科发火〔2016〕195号", ("amended", "国科发火〔2016〕195号")),
    ("已被修改 《高新技术企业认定管理办法》", ("amended", "《高新技术企业认定管理办法》")),
    ("nonsense", (None, None)),
])
def test_status_words(value: str, expected: tuple) -> None:
    assert parse_status(value) == expected


def test_staff_values_are_checked() -> None:
    assert normalize("date", "2016年1月29日") == "2016-01-29"
    assert normalize("status", "已废止") == "repealed"
    with pytest.raises(InvalidValue, match="无法识别的日期"):
        normalize("date", "明年")
    with pytest.raises(InvalidValue, match="无法识别的状态"):
        normalize("status", "maybe")
