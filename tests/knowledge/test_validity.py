"""A repealed document is never cited, an amended one is flagged, every citation says who and when."""

from __future__ import annotations

from pathlib import Path

from core import texts
from knowledge.answers import Answerer

OLD_RULES = """---
title: 高新技术企业认定管理办法
issuer: 科技部 财政部 国家税务总局
date: 2008-04-14
文号: 国科发火〔2008〕172号
status: repealed
---
第九条 高新技术企业资格自颁发证书之日起有效期为两年。
"""

NEW_RULES = """---
title: 高新技术企业认定管理办法
issuer: 科技部 财政部 国家税务总局
date: 2016-01-29
文号: 国科发火〔2016〕32号
---
第十一条 通过认定的高新技术企业，其资格自颁发证书之日起有效期为三年。
"""

GUIDE = """---
title: 高新技术企业认定管理工作指引
issuer: 科技部 财政部 国家税务总局
date: 2016-06-22
---
一、研究开发费用归集
企业的研究开发费用按照实际发生额归集，其中人员人工费用包括科技人员的工资薪金和五险一金。
"""

QUESTION = "高新技术企业资格的有效期是几年？"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _key(kb, title_part: str, date: str) -> str:  # type: ignore[no-untyped-def]
    return next(d.key for d in kb.index.documents() if title_part in d.title and d.date == date)


def test_a_repealed_document_is_never_cited_and_its_successor_is(kb, tmp_path: Path) -> None:
    write(tmp_path / "docs" / "2008办法.md", OLD_RULES)
    write(tmp_path / "docs" / "2016办法.md", NEW_RULES)
    kb.index.update([tmp_path / "docs"])
    answer = Answerer(kb.retriever).answer(QUESTION)
    assert answer.answered
    quoted = " ".join(c.text for c in answer.citations)
    assert "三年" in quoted and "两年" not in quoted
    assert all(c.doc_number != "国科发火〔2008〕172号" for c in answer.citations)
    # Every citation shows issuer, 文号 and date.
    rendered = texts.render_answer(answer)
    assert "《高新技术企业认定管理办法》（科技部 财政部 国家税务总局，国科发火〔2016〕32号，2016年1月29日）" in rendered


def test_staff_repeal_and_amendment_hold_across_re_indexing(kb, tmp_path: Path) -> None:
    old = write(tmp_path / "docs" / "2008办法.md", OLD_RULES.replace("status: repealed\n", ""))
    write(tmp_path / "docs" / "指引.md", GUIDE)
    kb.index.update([tmp_path / "docs"])
    answerer = Answerer(kb.retriever)
    assert "两年" in " ".join(c.text for c in answerer.answer(QUESTION).citations)

    kb.index.set_metadata(_key(kb, "认定管理办法", "2008-04-14"), {"status": "已废止"})
    guide = _key(kb, "工作指引", "2016-06-22")
    kb.index.set_metadata(guide, {"amended_by": "国科发火〔2017〕1号", "status": "amended"})
    assert "两年" not in " ".join(c.text for c in answerer.answer(QUESTION).citations)

    # A new version of the file, and a full re-run: the corrections stay.
    write(old, OLD_RULES.replace("status: repealed\n", "") + "第十条 资格期满前三个月内企业应提出复审申请。\n")
    report = kb.index.update([tmp_path / "docs"])
    assert report.updated == 1
    records = {d.title: d for d in kb.index.documents()}
    assert records["高新技术企业认定管理办法"].status == "repealed"
    assert records["高新技术企业认定管理工作指引"].amended_by == "国科发火〔2017〕1号"
    assert "两年" not in " ".join(c.text for c in answerer.answer(QUESTION).citations)

    fees = answerer.answer("研究开发费用中人员人工费用包括哪些？")
    assert fees.answered and fees.citations[0].amended_by == "国科发火〔2017〕1号"
    rendered = texts.render_answer(fees)
    assert "《高新技术企业认定管理工作指引》（已被修改）（科技部 财政部 国家税务总局，2016年6月22日）" in rendered
    assert "已被国科发火〔2017〕1号修改" in rendered

    # Clearing a correction goes back to what the file says.
    kb.index.set_metadata(guide, {"amended_by": None, "status": None})
    assert kb.index.snapshot().docs[guide].status == "current"


def test_retiring_and_restoring_keeps_a_staff_status(kb, tmp_path: Path) -> None:
    write(tmp_path / "docs" / "指引.md", GUIDE)
    kb.index.update([tmp_path / "docs"])
    guide = _key(kb, "工作指引", "2016-06-22")
    kb.index.set_metadata(guide, {"status": "已修改"})
    kb.index.set_status(guide, "retired")
    assert kb.index.restore(guide).status == "amended"


def test_a_citation_without_issuer_or_date_says_so(policy_kb) -> None:
    answer = Answerer(policy_kb.retriever).answer("到2027年特派员覆盖率目标是多少？")
    line = texts.source_line(answer.citations[0])
    assert "（济南市科学技术局，日期未注明）" in line


def test_a_document_not_yet_in_force_is_flagged() -> None:
    from knowledge.answers import Answer, Citation

    citation = Citation("某办法", "第一条", "条款。", 1.0, False, "某局", "2030-01-01", effective="2030-06-01")
    notes = texts.validity_notes(Answer("问", True, [citation]), today="2029-12-31")
    assert notes == ["⚠️ 注意：所引《某办法》自2030年6月1日起施行，目前尚未生效。"]
    assert texts.validity_notes(Answer("问", True, [citation]), today="2030-06-01") == []
