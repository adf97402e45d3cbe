"""Readers for each file format: text, order, metadata and the reasons for refusal.

Every fixture is built in `tmp_path`: DOCX with python-docx, PDF from raw bytes
(pypdf cannot lay out text, and CJK needs embedded fonts, so the PDF text is ASCII).
"""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pypdf import PdfReader, PdfWriter

from knowledge.chunking import chunk_document
from knowledge.documents import load_document
from knowledge.formats import docx_text, html_text, pdf_text
from knowledge.readers import UnreadableDocument, read_source, unsupported_reason
from tests.conftest import CORPUS_FILE as CORPUS


def _reason(path: Path) -> str:
    with pytest.raises(UnreadableDocument) as caught:
        read_source(path)
    return caught.value.reason


# ---------------------------------------------------------------------------- DOCX

POLICY_TITLE = "关于印发科技特派员专项行动方案的通知"


def _policy_docx(path: Path) -> Path:
    """A policy: title, heading, body, a table, text after it, a signature block."""
    document = docx.Document()
    document.core_properties.title = POLICY_TITLE
    document.add_paragraph(POLICY_TITLE)
    document.add_heading("一、工作目标", level=1)
    document.add_paragraph("到2025年，全市选派科技特派员500名。")
    document.add_paragraph("")  # an empty paragraph is not a line
    document.add_paragraph("重点任务分工如下表。")
    table = document.add_table(rows=3, cols=3)
    rows = [("任务", "牵头单位", "完成时间"), ("选派特派员", "市科技局", "2025年6月"), ("建设服务站", "各区县", "2025年12月")]
    for row, values in zip(table.rows, rows):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph("各单位要按照分工抓好落实。")
    document.add_paragraph("二、保障措施")
    document.add_paragraph("各单位要加强组织领导。")
    signature = document.add_paragraph().add_run("济南市科学技术局")
    signature.add_break()  # Shift+Enter: the date is its own line
    signature.add_text("2024年3月1日")
    document.save(path)
    return path


def test_docx_keeps_paragraphs_and_tables_in_document_order(tmp_path):
    raw = docx_text(_policy_docx(tmp_path / "policy.docx"))
    assert raw.text.splitlines() == [
        POLICY_TITLE,
        "一、工作目标",
        "到2025年，全市选派科技特派员500名。",
        "重点任务分工如下表。",
        "任务 | 牵头单位 | 完成时间",
        "选派特派员 | 市科技局 | 2025年6月",
        "建设服务站 | 各区县 | 2025年12月",
        "各单位要按照分工抓好落实。",
        "二、保障措施",
        "各单位要加强组织领导。",
        "济南市科学技术局",
        "2024年3月1日",
    ]
    assert raw.wrapped is False


def test_docx_table_rows_become_lines(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "  类别  "
    table.cell(0, 1).text = "补助标准"
    table.cell(1, 0).text = "个人"
    table.cell(1, 1).text = "每人每年\n5万元"  # two paragraphs in one cell stay on the row's line
    path = tmp_path / "table.docx"
    document.save(path)
    assert read_source(path).text.splitlines() == ["类别 | 补助标准", "个人 | 每人每年 5万元"]


def test_docx_merged_cells_are_not_repeated(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    banner = table.cell(0, 0).merge(table.cell(0, 2))
    banner.text = "科技特派员选派计划"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "企业"
    table.cell(1, 2).text = "50名"
    path = tmp_path / "merged.docx"
    document.save(path)
    # python-docx reports a merged cell once per grid column it covers.
    assert len(document.tables[0].rows[0].cells) == 3
    assert docx_text(path).text.splitlines() == ["科技特派员选派计划", "企业 | 50名"]


def test_docx_nested_table_text_is_kept_in_its_cell(tmp_path):
    document = docx.Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "申报材料"
    inner_cell = outer.cell(0, 1)
    inner_cell.text = "需提交："
    inner = inner_cell.add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "营业执照"
    path = tmp_path / "nested.docx"
    document.save(path)
    assert docx_text(path).text.splitlines() == ["申报材料 | 需提交： 营业执照"]


def test_docx_single_cell_frame_keeps_its_paragraphs_apart(tmp_path):
    document = docx.Document()
    frame = document.add_table(rows=1, cols=1).cell(0, 0)
    frame.text = "第一条 为规范管理，制定本办法。"
    frame.add_paragraph("第二条 本办法适用于全市。")
    path = tmp_path / "frame.docx"
    document.save(path)
    assert docx_text(path).text.splitlines() == ["第一条 为规范管理，制定本办法。", "第二条 本办法适用于全市。"]


def test_docx_tracked_insertion_text_is_kept(tmp_path):
    document = docx.Document()
    paragraph = document.add_paragraph("本办法自")
    inserted = OxmlElement("w:ins", {qn("w:id"): "1", qn("w:author"): "审稿人"})
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2025年1月1日"
    run.append(text)
    inserted.append(run)
    paragraph._p.append(inserted)
    paragraph.add_run("起施行。")
    path = tmp_path / "draft.docx"
    document.save(path)
    assert paragraph.text == "本办法自起施行。"  # what python-docx alone would give
    assert docx_text(path).text == "本办法自2025年1月1日起施行。"


def test_docx_title_comes_from_core_properties_not_the_file_date(tmp_path):
    raw = docx_text(_policy_docx(tmp_path / "policy.docx"))
    assert raw.meta == {"title": POLICY_TITLE}  # core_properties.created is not a policy date


def test_docx_without_core_title_has_no_title_meta(tmp_path):
    document = docx.Document()
    document.add_paragraph("正文。")
    path = tmp_path / "untitled.docx"
    document.save(path)
    assert "title" not in docx_text(path).meta


def test_docx_document_has_table_rows_among_its_paragraphs(tmp_path):
    doc = load_document(_policy_docx(tmp_path / "科技特派员方案.docx"))
    assert doc.title == POLICY_TITLE
    assert doc.date == "2024-03-01"  # from the signature block
    assert doc.paragraphs[0] == "一、工作目标"  # the title line is metadata, not body
    assert "选派特派员 | 市科技局 | 2025年6月" in doc.paragraphs
    assert doc.paragraphs.index("任务 | 牵头单位 | 完成时间") < doc.paragraphs.index("各单位要按照分工抓好落实。")


def test_docx_chunks_fall_under_their_heading(tmp_path):
    doc = load_document(_policy_docx(tmp_path / "policy.docx"))
    chunks = chunk_document(doc)
    goal = [chunk for chunk in chunks if chunk.section.startswith("一、工作目标")]
    assert goal, [chunk.section for chunk in chunks]
    assert any("建设服务站 | 各区县 | 2025年12月" in chunk.text for chunk in goal)
    assert any(chunk.section.startswith("二、保障措施") for chunk in chunks)


def test_corrupt_docx_is_not_a_valid_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(bytes(range(256)) * 8)
    assert _reason(path) == "不是有效的 DOCX 文件"


def test_zip_that_is_not_a_docx_is_not_a_valid_docx(tmp_path):
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a word document")
    assert _reason(path) == "不是有效的 DOCX 文件"


def test_encrypted_or_legacy_office_file_is_named_as_such(tmp_path):
    path = tmp_path / "protected.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"EncryptedPackage")
    assert _reason(path) == "文件已加密或为旧版 .doc 格式，无法读取"


# ----------------------------------------------------------------------------- PDF


def _pdf_bytes(lines: list[str], title: str | None = None) -> bytes:
    """A one-page PDF writing `lines` (ASCII) in Helvetica, with a correct xref."""
    shown = " ".join(f"({line}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {shown} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    if title is not None:
        objects.append(b"<< /Title (%s) >>" % title.encode("ascii"))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info = b" /Info 6 0 R" if title is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref_at)
    return bytes(out)


PDF_LINES = ["Science and technology commissioners", "serve enterprises directly."]


def _text_pdf(path: Path, title: str | None = None) -> Path:
    path.write_bytes(_pdf_bytes(PDF_LINES, title))
    return path


def test_pdf_fixture_is_a_valid_pdf(tmp_path):
    reader = PdfReader(_text_pdf(tmp_path / "policy.pdf"), strict=True)
    assert len(reader.pages) == 1


def test_pdf_text_is_extracted(tmp_path):
    raw = pdf_text(_text_pdf(tmp_path / "policy.pdf"))
    words = raw.text.split()
    assert words == " ".join(PDF_LINES).split()
    assert raw.wrapped is None  # cleaning decides whether the lines are hard-wrapped


def test_pdf_pages_are_joined_in_order(tmp_path):
    first = PdfReader(_text_pdf(tmp_path / "one.pdf"))
    (tmp_path / "two.pdf").write_bytes(_pdf_bytes(["Second page text"]))
    writer = PdfWriter()
    writer.add_page(first.pages[0])
    writer.add_page(PdfReader(tmp_path / "two.pdf").pages[0])
    path = tmp_path / "both.pdf"
    writer.write(path)
    text = pdf_text(path).text
    assert text.index("enterprises") < text.index("Second page text")


def test_a_printed_web_pages_header_and_footer_leave_every_page(tmp_path):
    writer = PdfWriter()
    for number in (1, 2, 3):
        page = tmp_path / f"page{number}.pdf"
        page.write_bytes(_pdf_bytes(["5/20/24, 2:33 PM Innovation voucher rules - City Government",
                                     f"Article {number}: vouchers buy technical services.",
                                     f"https://www.example.gov.cn/art/2024/5/20/art_1.html {number}/3"]))
        writer.add_page(PdfReader(page).pages[0])
    path = tmp_path / "printed.pdf"
    writer.write(path)
    lines = [line.strip() for line in pdf_text(path).text.splitlines() if line.strip()]
    assert lines == [f"Article {n}: vouchers buy technical services." for n in (1, 2, 3)]


def test_pdf_title_comes_from_metadata(tmp_path):
    raw = pdf_text(_text_pdf(tmp_path / "policy.pdf", title="Commissioner Programme Plan"))
    assert raw.meta == {"title": "Commissioner Programme Plan"}


@pytest.mark.parametrize("title", ["Microsoft Word - plan.docx", "plan.pdf", "  ", "123"])
def test_pdf_title_ignores_software_defaults(tmp_path, title):
    assert "title" not in pdf_text(_text_pdf(tmp_path / "policy.pdf", title=title)).meta


def test_pdf_with_user_password_is_refused(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", owner_password="o")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    reason = _reason(path)
    assert "加密" in reason
    assert reason == "PDF 已加密，无法读取"


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(_text_pdf(tmp_path / "plain.pdf")))
    writer.encrypt(user_password="", owner_password="owner-only")
    path = tmp_path / "print-protected.pdf"
    writer.write(path)
    assert PdfReader(path).is_encrypted
    assert "enterprises" in read_source(path).text


def test_pdf_without_text_is_reported_as_scanned(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    path = tmp_path / "scan.pdf"
    writer.write(path)
    assert _reason(path) == "PDF 中没有可提取的文字（可能是扫描件）"


def test_garbage_named_pdf_is_not_a_valid_pdf(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"this is not a pdf at all\n" * 40)
    assert _reason(path) == "不是有效的 PDF 文件"


def test_pdf_document_gets_its_title_from_metadata(tmp_path):
    doc = load_document(_text_pdf(tmp_path / "policy.pdf", title="Commissioner Programme Plan"))
    assert doc.title == "Commissioner Programme Plan"
    assert "enterprises" in " ".join(doc.paragraphs)


# ---------------------------------------------------------------------------- HTML

POLICY_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>关于支持科技特派员的若干措施_某市科学技术局</title>
<style>p { color: red; }</style>
<script>var tracker = "脚本内容不应出现";</script>
</head>
<body>
<nav><a href="/">首页</a> <a href="/zc">政策文件</a></nav>
<header><div>网站横幅</div></header>
<div class="article">
  <h1>关于支持科技特派员的若干措施</h1>
  <p>第一条　为深入实施创新驱动发展战略，
  制定本措施。</p>
  <p>第二条 对<strong>表现突出</strong>的科技特派员给予<a href="#">奖励</a>。</p>
  <table>
    <thead><tr><th>类别</th><th>补助</th></tr></thead>
    <tbody><tr><td>个人</td><td>5万元</td></tr><tr><td>团队</td><td></td><td>20万元</td></tr></tbody>
  </table>
  <!-- 注释不应出现 -->
  <ul><li>条目一</li><li>条目二</li></ul>
  第三条<br>本措施自发布之日起施行。
</div>
<aside>相关链接</aside>
<footer>版权所有 某市科学技术局</footer>
</body></html>
"""


def _html(path: Path, page: str = POLICY_PAGE, encoding: str = "utf-8") -> Path:
    path.write_bytes(page.encode(encoding))
    return path


def test_html_blocks_become_lines_and_inline_text_stays_whole(tmp_path):
    raw = html_text(_html(tmp_path / "page.html"))
    assert raw.text.splitlines() == [
        "关于支持科技特派员的若干措施",
        "第一条　为深入实施创新驱动发展战略，制定本措施。",  # source line break dropped between CJK
        "第二条 对表现突出的科技特派员给予奖励。",
        "类别 | 补助",
        "个人 | 5万元",
        "团队 | 20万元",
        "条目一",
        "条目二",
        "第三条",
        "本措施自发布之日起施行。",
    ]
    assert raw.wrapped is False


def test_html_drops_scripts_navigation_and_page_furniture(tmp_path):
    text = html_text(_html(tmp_path / "page.html")).text
    for hidden in ("脚本内容", "tracker", "color", "首页", "政策文件", "网站横幅", "注释", "相关链接", "版权所有"):
        assert hidden not in text


GOV_SITE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>关于印发科技成果转化奖励办法的通知_政策文件_某市人民政府</title></head><body>
<div id="topNav"><a href="/">首页</a> <a href="/zwgk">政务公开</a></div>
<div class="bread-crumb">当前位置：首页 &gt; 政务公开 &gt; 政策文件</div>
<div class="main-nav-content">
  <h1>关于印发科技成果转化奖励办法的通知</h1>
  <div class="fontSize">【字体：大 中 小】</div>
  <div class="share_box">分享到：微信 微博</div>
  <p>第一条 为促进科技成果转化，制定本办法。</p>
  <p>第二条 奖励对象为在本市实施转化的企业。</p>
  <p>第三条 本办法自印发之日起施行。</p>
  <p class="footnote">注：本办法由市科技局负责解释。</p>
</div>
<div class="print-close">打印本页 关闭窗口</div>
<div class="dibu">主办单位：某市人民政府办公厅 版权所有 鲁ICP备05070218号 网站标识码3701000001</div>
<p>鲁公网安备 37010202000001号</p>
</body></html>"""


def test_html_furniture_marked_by_class_or_id_or_by_its_words_is_dropped(tmp_path):
    # Government sites name their furniture with class and id (<div class="dibu">), not
    # <nav>/<footer>; left in, the footer ran into the last article and was quoted with it.
    # (Elements by their class or id in the reader; lines by their words for every format, in
    # build_document: the document is what is read here.)
    document = load_document(_html(tmp_path / "gov.html", GOV_SITE_PAGE))
    assert [document.title, *document.paragraphs] == [
        "关于印发科技成果转化奖励办法的通知",
        "第一条 为促进科技成果转化，制定本办法。",
        "第二条 奖励对象为在本市实施转化的企业。",
        "第三条 本办法自印发之日起施行。",
        "注：本办法由市科技局负责解释。",  # a footnote is content, though its class starts with foot
    ]


def test_html_furniture_words_never_take_content(tmp_path):
    # An article that speaks of 版权所有 stays (numbered), as does a content block under a
    # furniture-like name that holds the page's heading or most of its text.
    article = "<p>第十条 作品的版权所有人可以许可他人使用，但应当事先签订许可合同。</p>"
    page = f'<div class="navWrap"><p>第一条 为规范管理，制定本办法，具体办法另行规定。</p>{article}</div>'
    lines = html_text(_html(tmp_path / "content.html", page)).text.splitlines()
    assert lines == ["第一条 为规范管理，制定本办法，具体办法另行规定。", "第十条 作品的版权所有人可以许可他人使用，但应当事先签订许可合同。"]
    assert "第十条 作品的版权所有人可以许可他人使用，但应当事先签订许可合同。" in load_document(tmp_path / "content.html").paragraphs
    # An event notice names its organisers: that is content, not a site footer.
    notice = "<h1>关于举办创新大赛的通知</h1><p>主办单位：济南市科学技术局</p><p>承办单位：济南高新区管委会</p>"
    lines = html_text(_html(tmp_path / "notice.html", notice)).text.splitlines()
    assert lines == ["关于举办创新大赛的通知", "主办单位：济南市科学技术局", "承办单位：济南高新区管委会"]
    kept = load_document(tmp_path / "notice.html").paragraphs
    assert "主办单位：济南市科学技术局" in kept and "承办单位：济南高新区管委会" in kept


def test_html_title_prefers_h1_when_title_tag_adds_a_site_name(tmp_path):
    assert html_text(_html(tmp_path / "page.html")).meta == {"title": "关于支持科技特派员的若干措施"}


def test_html_title_from_title_tag_or_first_h1(tmp_path):
    only_title = "<html><head><title>\n  科技政策汇编  </title></head><body><p>正文。</p></body></html>"
    only_h1 = "<html><body><h1> 企业科技特派员 </h1><p>正文。</p></body></html>"
    assert html_text(_html(tmp_path / "a.html", only_title)).meta == {"title": "科技政策汇编"}
    assert html_text(_html(tmp_path / "b.htm", only_h1)).meta == {"title": "企业科技特派员"}


def test_html_layout_table_keeps_paragraphs_apart(tmp_path):
    page = "<table><tr><td></td><td><p>第一条 总则。</p><p>第二条 适用范围。</p></td></tr></table>"
    assert html_text(_html(tmp_path / "layout.html", page)).text.splitlines() == ["第一条 总则。", "第二条 适用范围。"]


def test_gbk_html_with_meta_charset_decodes(tmp_path):
    page = '<html><head><meta charset="gbk"><title>科技政策</title></head><body><p>企业科技特派员专项行动</p></body></html>'
    raw = read_source(_html(tmp_path / "gbk.html", page, "gbk"))
    assert raw.text == "企业科技特派员专项行动"
    assert raw.meta["title"] == "科技政策"


def test_html_content_type_charset_is_honoured(tmp_path):
    # Big5 bytes also decode as GB18030, into the wrong characters: only the label helps.
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=big5">'
        "</head><body><p>科技特派員服務企業</p></body></html>"
    )
    assert html_text(_html(tmp_path / "big5.html", page, "big5")).text == "科技特派員服務企業"


def test_html_stale_charset_label_on_utf8_page_is_ignored(tmp_path):
    page = '<html><head><meta charset="gb2312"></head><body><p>企业科技特派员</p></body></html>'
    assert html_text(_html(tmp_path / "moved.html", page, "utf-8")).text == "企业科技特派员"


def test_html_document_loads_with_its_title(tmp_path):
    doc = load_document(_html(tmp_path / "page.html"))
    assert doc.title == "关于支持科技特派员的若干措施"
    assert "个人 | 5万元" in doc.paragraphs


# ------------------------------------------------------------------ text and refusals


def test_txt_in_gb18030_is_decoded(tmp_path):
    path = tmp_path / "gb.txt"
    path.write_bytes("企业科技特派员\n专项行动实施方案".encode("gb18030"))
    assert read_source(path).text == "企业科技特派员\n专项行动实施方案"


# Real texts in other encodings: a Taiwanese regulation (Big5), a Japanese notice
# (Shift-JIS) and an English one from an EBCDIC host (cp500). GB18030 "decodes" all three.
TRADITIONAL = ("為促進中小企業健全發展，並協助中小企業之創立及輔導，改善中小企業經營環境，特制定本條例。"
               "政府應協助中小企業取得研究發展所需之資金與人才。")
JAPANESE = "中小企業の技術革新を支援するため、補助金の申請を受け付けます。申請期間は四月一日から五月三十一日までです。"
ENGLISH = "Notice on supporting technology-based small and medium-sized enterprises. Applications open in April."


@pytest.mark.parametrize(("name", "data"), [
    ("條例.txt", TRADITIONAL.encode("big5")),
    ("通知.md", JAPANESE.encode("shift_jis")),
    ("notice.txt", ENGLISH.encode("cp500")),
])
def test_text_in_an_encoding_we_cannot_tell_is_refused_not_indexed_as_mojibake(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    assert "乱码" in _reason(path) and "UTF-8" in _reason(path)


def test_real_gbk_policy_text_is_still_read(tmp_path):
    text = CORPUS.read_text(encoding="utf-8")
    path = tmp_path / "plan.txt"
    path.write_bytes(text.encode("gbk"))
    assert read_source(path).text == text


def test_the_same_texts_in_utf8_are_read(tmp_path):
    for n, text in enumerate((TRADITIONAL, JAPANESE, ENGLISH)):
        path = tmp_path / f"{n}.txt"
        path.write_text(text, encoding="utf-8")
        assert read_source(path).text == text


def test_txt_with_utf8_bom_loses_the_bom(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "一、工作目标".encode("utf-8"))
    assert read_source(path).text == "一、工作目标"


def test_unsupported_suffix_is_refused_with_what_to_send_instead(tmp_path):
    path = tmp_path / "scan.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert _reason(path) == "不支持的文件类型 .png：图片中的文字无法读取，请上传文字版 PDF 或 DOCX"
    assert unsupported_reason(".DOC") == "不支持的文件类型 .doc：旧版 Word/WPS 文件请用 Word 或 WPS 另存为 .docx 后再上传"
    assert "导出为 PDF" in unsupported_reason(".ofd") and "解压" in unsupported_reason(".zip")
    assert unsupported_reason("") == "不支持的文件类型（无扩展名）（支持 PDF、DOCX、TXT、MD、HTML）"


@pytest.mark.parametrize("name", ["empty.txt", "empty.docx", "empty.pdf", "empty.html"])
def test_empty_file_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    assert _reason(path) == "文件为空"


def test_binary_file_named_txt_is_refused(tmp_path):
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert _reason(path) == "不是文本文件（含二进制内容）"
