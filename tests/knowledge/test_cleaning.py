from __future__ import annotations

from knowledge.cleaning import is_hard_wrapped, is_page_number, strip_running_lines, to_paragraphs
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


def _page(number: int, body: list[str], head: str = "2024/5/20 14:33 关于印发科技创新券管理办法的通知_济南市人民政府",
          foot: str = "https://www.jinan.gov.cn/art/2024/5/20/art_1_1.html {n}/4") -> str:
    return "\n".join([head, *body, foot.format(n=number)])


def test_a_browsers_print_header_and_footer_are_dropped_from_every_page() -> None:
    pages = [
        _page(1, ["关于印发科技创新券管理办法的通知", "第一条 为降低企业创新成本，制定本办法。", "第二条 创新券用于购买"]),
        _page(2, ["科技服务，单张面额不超过5万元。", "第三条 申领企业应在本市注册。"]),
        _page(3, ["第四条 创新券有效期为一年。"]),
        _page(4, ["第五条 本办法自发布之日起施行。"]),
    ]
    text = "\n".join(strip_running_lines(pages))
    assert "jinan.gov.cn" not in text and "14:33" not in text
    assert text.splitlines()[0] == "关于印发科技创新券管理办法的通知"
    # The clause that crossed the page break has nothing in between any more.
    assert "第二条 创新券用于购买\n科技服务，单张面额不超过5万元。" in text


def test_a_running_title_stays_as_the_first_pages_title_and_body_lines_stay() -> None:
    title = "济南市科学技术局关于开展科技特派员工作的通知"
    pages = [f"{title}\n济科发〔2024〕12号\n各区县科技局：", f"{title}\n一、工作目标\n到2027年覆盖50%的科技型中小企业。",
             f"{title}\n二、工作措施\n（一）精准对接。", f"{title}\n三、保障措施\n（一）加强组织领导。"]
    lines = "\n".join(strip_running_lines(pages)).splitlines()
    assert lines.count(title) == 1 and lines[0] == title and "济科发〔2024〕12号" in lines
    assert "一、工作目标" in lines and "（一）精准对接。" in lines
    # Two pages are not enough to call a line furniture, and a line on half the pages is not.
    assert strip_running_lines(pages[:2]) == pages[:2]
    varied = [f"页眉{n}\n正文{n}。" if n % 2 else f"正文{n}。" for n in range(6)]
    assert strip_running_lines(varied) == varied


def test_a_page_copied_from_a_website_into_a_text_file_loses_the_sites_lines(tmp_path) -> None:
    from knowledge.documents import load_document

    path = tmp_path / "创新券办法.txt"
    path.write_text("当前位置：首页 > 政务公开 > 政策文件\n关于印发科技创新券管理办法的通知\n"
                    "【字体：大 中 小】 【打印本页】 【关闭窗口】\n"
                    "第一条 为降低企业创新成本，制定本办法。\n第二条 创新券面额不超过5万元。\n"
                    "本网站版权所有，未经许可不得转载。\n"
                    "主办单位：济南市科学技术局 鲁ICP备05012345号\n", encoding="utf-8")
    document = load_document(path)
    text = "\n".join(document.paragraphs)
    assert document.title == "关于印发科技创新券管理办法的通知"
    assert "第二条 创新券面额不超过5万元。" in document.paragraphs
    for furniture in ("当前位置", "打印本页", "版权所有", "ICP备"):
        assert furniture not in text
