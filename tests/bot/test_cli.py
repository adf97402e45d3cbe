"""The `tepai` CLI contract other tools script against.

Commands run in this process through `bot.cli.main(argv)` (what the `tepai` script calls),
with their own environment, stdin and captured output; the last tests run the real entry
points as subprocesses for what only a process shows: exit status and start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import texts
from tests.conftest import CORPUS_FILE, tepai

@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {"TEPAI_DATA_DIR": str(tmp_path_factory.mktemp("cli") / "data")}
    done = tepai("index", "--json", env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["documents"]["added"] == 1 and summary["chunks"] > 10
    return env


def test_ask_json_prints_one_object_with_citations(indexed: dict[str, str]) -> None:
    done = tepai("ask", "--json", "到2027年特派员覆盖率目标是多少？", env=indexed)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) == {"answered", "answer", "draft", "citations"}
    assert payload["answered"] and payload["draft"]
    first = payload["citations"][0]
    assert set(first) == {"doc", "section", "text", "score"}
    assert "50%" in first["text"] and first["section"] == "一、工作目标"


def test_ask_reads_one_question_per_line_in_batch(indexed: dict[str, str]) -> None:
    questions = "特派员征集选聘公告面向哪些单位发布？\n\n明天会下雨吗？\n" + "长" * 20000 + "\n"
    done = tepai("ask", "--json", stdin=questions, env=indexed)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [p["answered"] for p in lines] == [True, False, False, False]
    assert lines[1]["error"] == "empty" and lines[3]["error"] == "too_long"
    assert "error" not in lines[2] and lines[2]["citations"] == []


def test_readable_answer_and_exit_codes(indexed: dict[str, str]) -> None:
    done = tepai("ask", "高新技术企业认定通过有没有资金支持？", env=indexed)
    assert done.returncode == 0 and "《企业科技特派员专项行动实施方案（征求意见稿）》" in done.stdout
    empty = tepai("ask", "   ", env=indexed)
    assert empty.returncode == 2 and "请输入" in empty.stdout and "Traceback" not in empty.stderr


def test_reindexing_unchanged_corpus_skips_it(indexed: dict[str, str]) -> None:
    done = tepai("index", "--json", env=indexed)
    summary = json.loads(done.stdout)
    assert summary["documents"]["skipped"] == 1 and summary["chunks_embedded"] == 0


def test_bad_setting_exits_3_naming_it(tmp_path: Path) -> None:
    done = tepai("ask", "特派员", env={"TEPAI_EMBEDDING": "nonsense", "TEPAI_DATA_DIR": str(tmp_path)})
    assert done.returncode == 3 and "TEPAI_EMBEDDING" in done.stderr and "Traceback" not in done.stderr
    noisy = tepai("ask", "特派员", env={"TEPAI_LOG_LEVEL": "loud", "TEPAI_DATA_DIR": str(tmp_path)})
    assert noisy.returncode == 3 and "TEPAI_LOG_LEVEL" in noisy.stderr and "Traceback" not in noisy.stderr


def test_index_reports_bad_files_by_name(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "ok.txt").write_text(CORPUS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    done = tepai("index", str(tmp_path / "empty.md"), str(tmp_path / "ok.txt"),
                 env={"TEPAI_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0
    assert "empty.md" in done.stderr and "文件为空" in done.stderr
    assert "新增 1" in done.stdout and "失败 1" in done.stdout


def test_staff_and_database_commands(tmp_path: Path) -> None:
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data"), "TEPAI_STAFF_IDS": "77"}
    assert tepai("db", "upgrade", env=env).returncode == 0
    assert "已添加" in tepai("staff", "add", "42", "--note", "成果转化处", env=env).stdout
    assert "已经是" in tepai("staff", "add", "42", env=env).stdout
    listing = tepai("staff", "list", env=env).stdout
    assert "42\t成果转化处" in listing and "77\tTEPAI_STAFF_IDS" in listing
    removed = tepai("staff", "remove", "77", env=env).stdout
    assert "不在工作人员名单" in removed and "TEPAI_STAFF_IDS" in removed
    bad = tepai("staff", "add", "not-a-number", env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_unanswered_export_opens_as_a_spreadsheet(tmp_path: Path) -> None:
    import asyncio

    from openpyxl import load_workbook

    from store import repositories as repo
    from store.db import Database, default_url

    url = default_url(tmp_path / "data")

    async def seed() -> None:
        db = Database.open(url)
        async with db.session() as session, session.begin():
            user = await repo.touch_user(session, 5, "企业甲")
            await repo.open_handoff(session, user, "=HYPERLINK(\"x\") 公租房怎么申请？", "unanswered", 0.12, None)
        await db.close()

    asyncio.run(seed())
    out = tmp_path / "未答复.xlsx"
    done = tepai("unanswered", "export", "--format", "xlsx", "--output", str(out),
                 env={"TEPAI_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0 and "1 条" in done.stdout
    rows = list(load_workbook(out).active.values)
    assert rows[0][:5] == ("编号", "提问时间（北京时间）", "提问人", "用户编号", "问题")
    assert rows[1][2] == "企业甲" and rows[1][4].startswith("'=")  # no formula injection
    csv_out = tmp_path / "u.csv"
    assert tepai("unanswered", "export", "--format", "csv", "--output", str(csv_out),
                 env={"TEPAI_DATA_DIR": str(tmp_path / "data")}).returncode == 0
    assert "公租房" in csv_out.read_text(encoding="utf-8-sig")


def test_campaign_and_survey_export_from_the_command_line(tmp_path: Path) -> None:
    import asyncio

    from openpyxl import load_workbook

    from store import repositories as repo
    from store import survey
    from store.db import Database, default_url
    from store.models import Enterprise, Submission

    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    assert "已开启2026" in tepai("campaign", "open", "2026", env=env).stdout
    assert "2026 年：进行中" in tepai("campaign", "list", env=env).stdout
    assert tepai("campaign", "open", "99", env=env).returncode == 2

    async def seed() -> None:
        db = Database.open(default_url(tmp_path / "data"))
        async with db.session() as session, session.begin():
            user = await repo.touch_user(session, 5, "王总")
            for n, name in enumerate(("甲公司", "乙公司")):
                ent = Enterprise(credit_code=f"91370100MA3C5QXX{n}{n}", name=name, district="历下区")
                session.add(ent)
                await session.flush()
                for version in (1, 2):  # an earlier version is kept but not exported
                    session.add(Submission(enterprise_id=ent.id, campaign_year=2026, version=version,
                                           current=version == 2, submitted_by=user.id,
                                           answers={"name": name, "credit_code": ent.credit_code, "phone": "13905311234",
                                                    "directions": ["人才引进培养"], "consent": True}))
        async with db.session() as session:
            assert len(await survey.current_submissions(session, 2026)) == 2
        await db.close()

    asyncio.run(seed())
    out = tmp_path / "survey.xlsx"
    done = tepai("survey", "export", "--format", "xlsx", "--campaign", "2026", "--output", str(out), env=env)
    assert done.returncode == 0 and "2 条" in done.stdout
    rows = list(load_workbook(out).active.values)
    assert rows[0][0] == "企业名称" and [r[0] for r in rows[1:]] == ["甲公司", "乙公司"]
    assert rows[1][7] == "人才引进培养" and rows[1][14] == 2
    assert "已关闭2026" in tepai("campaign", "close", "2026", env=env).stdout


def test_match_cli_contract(tmp_path: Path) -> None:
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    empty = tepai("match", "--json", "--text", "酸奶", env=env)
    assert empty.returncode == 4 and "导入" in empty.stderr
    pool = Path(__file__).resolve().parents[3] / "shared" / "eval" / "specialists_dev.jsonl"
    imported = tepai("specialists", "import", str(pool), env=env)
    assert imported.returncode == 0 and "新增 20" in imported.stdout
    demands = ('{"field": "现代农业", "product": "酸奶", "direction": "技术攻关", "description": "酸奶放几天就变酸"}\n'
               'not json\n{"description": "元器件外观检测想用机器自动识别缺陷"}\n')
    done = tepai("match", "--json", "--top", "3", stdin=demands, env=env)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 2 and len(lines) == 3 and "error" in lines[1]
    first = lines[0]["matches"]
    assert len(first) == 3 and set(first[0]) == {"id", "name", "score", "reason", "relevant"}
    assert first[0]["id"] == "P02" and first[0]["score"] >= first[1]["score"] and "现代农业" in first[0]["reason"]
    assert lines[2]["matches"][0]["id"] == "P03"
    text = json.loads(tepai("match", "--json", "--text", "仓库小车自动搬运经常堵车", env=env).stdout)
    assert text["matches"][0]["id"] == "P09" and len(text["matches"]) == 10


def test_assign_proposes_pairs_for_consenting_enterprises(tmp_path: Path) -> None:
    import asyncio

    from store import repositories as repo
    from store import survey
    from store.db import Database, default_url
    from store.models import Enterprise, Submission

    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    pool = Path(__file__).resolve().parents[3] / "shared" / "eval" / "specialists_dev.jsonl"
    assert tepai("specialists", "import", str(pool), env=env).returncode == 0
    demands = [
        ("甲乳业", "现代农业", "酸奶", "酸奶放几天就变酸，想延长货架期，优化发酵菌种。", True),
        ("乙精工", "智能制造与高端装备", "减速机", "减速机用一段时间齿轮就磨损、噪音大。", True),
        ("丙科技", "新一代信息技术", "元器件", "元器件外观检测全靠人看，想上机器自动识别缺陷。", False),
    ]

    async def seed() -> None:
        db = Database.open(default_url(tmp_path / "data"))
        async with db.session() as session, session.begin():
            await survey.set_campaign(session, 2026, "open")
            user = await repo.touch_user(session, 5, "王总")
            for n, (name, field, product, description, consent) in enumerate(demands):
                ent = Enterprise(credit_code=f"CODE{n}", name=name)
                session.add(ent)
                await session.flush()
                session.add(Submission(enterprise_id=ent.id, campaign_year=2026, version=1, current=True,
                                       submitted_by=user.id, answers={
                                           "name": name, "credit_code": f"CODE{n}", "field": field, "product": product,
                                           "directions": ["关键技术研发攻关"], "description": description,
                                           "consent": consent}))
        await db.close()

    asyncio.run(seed())
    done = tepai("assign", "--campaign", "2026", "--json", env=env)
    assert done.returncode == 0, done.stderr
    proposal = json.loads(done.stdout)
    pairs = {p["enterprise"]: p["specialist"] for p in proposal["pairs"]}
    assert pairs == {"甲乳业": "P02", "乙精工": "P20"}  # 丙 did not consent
    # Alternates are only specialists above the relevance floor: none rather than a poor one.
    assert all(len(p["alternates"]) <= 3 and p["specialist"] not in p["alternates"] and not p["requested"]
               for p in proposal["pairs"])
    strict = json.loads(tepai("assign", "--campaign", "2026", "--json", "--min-affinity", "0.99", env=env).stdout)
    assert strict["served"] == 0 and {m["reason"] for m in strict["manual_review"]} == {"no_candidate"}
    readable = tepai("assign", "--campaign", "2026", env=env).stdout
    assert "匹配 2 个" in readable


def test_enterprises_import_and_stats_json(tmp_path: Path) -> None:
    import asyncio

    from store import repositories as repo
    from store import survey
    from store.db import Database, default_url
    from store.models import Engagement, Enterprise, Project, Specialist
    from store.validators import credit_code_check_char

    codes = [f"91370100MA3C5Q{n:03d}" for n in range(1, 4)]
    codes = [c + credit_code_check_char(c) for c in codes]
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    empty = json.loads(tepai("stats", "--json", env=env).stdout)
    assert (empty["basis"], empty["denominator"], empty["coverage"]) == ("none", None, None)

    roster = tmp_path / "入库企业.csv"
    roster.write_text("统一社会信用代码,企业名称,所在区县\n"
                      f"{codes[0]},济南甲科技有限公司,历下区\n"
                      f"{codes[1][:17]}X,坏代码公司,历下区\n"
                      f"{codes[1]},济南乙科技有限公司,市中区\n"
                      f"{codes[2]},,市中区\n", encoding="utf-8-sig")
    done = tepai("enterprises", "import", str(roster), env=env)
    assert done.returncode == 0, done.stderr
    assert "新增 2" in done.stdout and "有问题的行 2" in done.stdout and "名录共 2 家" in done.stdout
    assert "第 3 行" in done.stderr and "第 5 行" in done.stderr and "企业名称为空" in done.stderr
    assert "Traceback" not in done.stderr
    again = tepai("enterprises", "import", str(roster), env=env)
    assert "新增 0" in again.stdout and "未变 2" in again.stdout
    missing = tepai("enterprises", "import", str(tmp_path / "nope.csv"), env=env)
    assert missing.returncode == 2 and "nope.csv" in missing.stderr and "Traceback" not in missing.stderr

    async def seed() -> None:
        db = Database.open(default_url(tmp_path / "data"))
        async with db.session() as session, session.begin():
            await survey.set_campaign(session, 2026, "open")
            await repo.touch_user(session, 5, "王总")
            specialist = Specialist(name="李教授", institution="山东大学", field="电子信息", expertise="机器视觉")
            ent = Enterprise(credit_code=codes[0], name="济南甲科技有限公司", district="历下区")
            session.add_all([specialist, ent])
            await session.flush()
            engagement = Engagement(campaign_year=2026, enterprise_id=ent.id, specialist_id=specialist.id,
                                    status="accepted")
            session.add(engagement)
            await session.flush()
            session.add(Project(engagement_id=engagement.id, enterprise_id=ent.id, specialist_id=specialist.id,
                                title="合作项目"))
        await db.close()

    asyncio.run(seed())
    done = tepai("stats", "--json", "--campaign", "2026", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"year", "basis", "denominator", "roster", "surveyed", "matched", "projects", "covered",
                           "coverage", "targets", "by_district", "by_field"}
    assert (report["year"], report["basis"], report["denominator"], report["covered"], report["coverage"]) == (
        2026, "roster", 2, 1, 0.5)
    assert report["targets"][0] == {"year": 2027, "share": 0.5, "needed": 1, "gap": 0, "met": True}
    assert {row["name"]: row["coverage"] for row in report["by_district"]} == {"历下区": 1.0, "市中区": 0.0}
    readable = tepai("stats", env=env)
    assert readable.returncode == 0 and "覆盖率：50%（1/2）" in readable.stdout and "<b>" not in readable.stdout
    assert tepai("stats", "--json", "--campaign", "99", env=env).returncode == 2


def test_conflicts_from_the_command_line_keep_a_pair_apart(tmp_path: Path) -> None:
    import asyncio

    from store import repositories as repo
    from store import survey
    from store.db import Database, default_url
    from store.models import Enterprise, Submission
    from tests.handlers.test_survey import CODE

    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    pool = Path(__file__).resolve().parents[3] / "shared" / "eval" / "specialists_dev.jsonl"
    assert tepai("specialists", "import", str(pool), env=env).returncode == 0

    async def seed() -> None:
        db = Database.open(default_url(tmp_path / "data"))
        async with db.session() as session, session.begin():
            await survey.set_campaign(session, 2026, "open")
            user = await repo.touch_user(session, 5, "王总")
            ent = Enterprise(credit_code=CODE, name="甲乳业")
            session.add(ent)
            await session.flush()
            session.add(Submission(enterprise_id=ent.id, campaign_year=2026, version=1, current=True, submitted_by=user.id,
                                   answers={"name": "甲乳业", "credit_code": CODE, "field": "现代农业", "product": "酸奶",
                                            "directions": ["关键技术研发攻关"], "consent": True,
                                            "description": "酸奶放几天就变酸，想延长货架期，优化发酵菌种。"}))
        await db.close()

    asyncio.run(seed())
    before = json.loads(tepai("assign", "--campaign", "2026", "--json", env=env).stdout)
    best = before["pairs"][0]["specialist"]
    assert tepai("conflicts", "list", env=env).stdout.strip() == texts.CONFLICT_NONE
    added = tepai("conflicts", "add", CODE.lower(), best, env=env)
    assert added.returncode == 0 and "利益冲突" in added.stdout, added.stderr
    assert "已经登记过" in tepai("conflicts", "add", CODE, best, env=env).stdout
    assert CODE in tepai("conflicts", "list", env=env).stdout
    after = json.loads(tepai("assign", "--campaign", "2026", "--json", env=env).stdout)
    # The blocked specialist is neither proposed nor kept as an alternate; with nobody else above
    # the relevance floor the demand goes to manual review instead.
    assert all(p["specialist"] != best and best not in p["alternates"] for p in after["pairs"])
    assert after["pairs"] or after["manual_review"]

    assert tepai("conflicts", "add", "123", best, env=env).returncode == 2
    unknown = tepai("conflicts", "add", CODE, "NO-SUCH", env=env)
    assert unknown.returncode == 2 and "没有找到特派员" in unknown.stderr
    assert tepai("conflicts", "remove", CODE, best, env=env).returncode == 0
    assert tepai("conflicts", "remove", CODE, best, env=env).returncode == 2
    again = json.loads(tepai("assign", "--campaign", "2026", "--json", env=env).stdout)
    assert again["pairs"][0]["specialist"] == best


def test_broadcast_from_the_command_line_queues_reports_and_cancels(tmp_path: Path) -> None:
    import asyncio

    from store.db import Database, default_url
    from tests.people import telegram_user

    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    assert tepai("db", "upgrade", env=env).returncode == 0

    async def seed() -> None:
        db = Database.open(default_url(tmp_path / "data"))
        async with db.session() as session, session.begin():
            session.add_all([telegram_user(n, display_name="") for n in (11, 12, 13)])
        await db.close()

    asyncio.run(seed())
    body = tmp_path / "公告.html"
    body.write_text("<b>2027年度科技特派员征集</b>\n请于12月底前报名。", encoding="utf-8")
    queued = tepai("broadcast", "--segment", "enterprises", "--text-file", str(body), "--json", env=env)
    assert queued.returncode == 0, queued.stderr
    made = json.loads(queued.stdout)
    assert made["recipients"] == 3 and made["status"] == "queued"
    status = json.loads(tepai("broadcast", "status", str(made["id"]), "--json", env=env).stdout)
    assert (status["total"], status["remaining"], status["sent"]) == (3, 3, 0)
    readable = tepai("broadcast", "status", str(made["id"]), env=env).stdout
    assert "排队中" in readable and "<b>" not in readable

    later = tepai("broadcast", "--segment", "all", "--text-file", str(body), "--at", "2099-01-01 09:00", env=env)
    assert later.returncode == 2 and "一年" in later.stderr
    scheduled = tepai("broadcast", "--segment", "all", "--text-file", str(body), "--at", "23:59", "--json", env=env)
    assert json.loads(scheduled.stdout)["status"] == "scheduled"

    cancelled = tepai("broadcast", "cancel", str(made["id"]), env=env)
    assert cancelled.returncode == 0 and "3 条不再发送" in cancelled.stdout
    assert tepai("broadcast", "cancel", str(made["id"]), env=env).returncode == 2
    assert tepai("broadcast", "status", "999", env=env).returncode == 2
    assert "没有中断时正在发送的记录" in tepai("broadcast", "resend", str(made["id"]), env=env).stdout
    assert tepai("broadcast", "resend", env=env).returncode == 2

    bad_html = tmp_path / "bad.html"
    bad_html.write_text("<b>没有闭合", encoding="utf-8")
    refused = tepai("broadcast", "--segment", "all", "--text-file", str(bad_html), env=env)
    assert refused.returncode == 2 and "HTML" in refused.stderr
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("科技特派员征集公告".encode("gbk"))
    assert "UTF-8" in tepai("broadcast", "--segment", "all", "--text-file", str(gbk), env=env).stderr
    assert tepai("broadcast", "--segment", "all", "--text-file", str(tmp_path / "none.txt"), env=env).returncode == 2
    assert "没有这个发送范围" in tepai("broadcast", "--segment", "火星", "--text-file", str(body), env=env).stderr
    assert tepai("broadcast", "--segment", "all", env=env).returncode == 2
    listing = tepai("broadcast", "list", env=env)
    assert listing.returncode == 0 and "已取消" in listing.stdout and "已定时" in listing.stdout


def test_staff_list_and_correct_documents_from_the_cli(tmp_path: Path) -> None:
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    notice = tmp_path / "通知.md"
    notice.write_text("---\ntitle: 关于技术合同补助的通知\nissuer: 济南市科学技术局\ndate: 2021-03-01\n---\n"
                      "一、补助标准\n登记的技术合同按成交额的百分之二给予补助，最高五十万元。\n", encoding="utf-8")
    assert tepai("index", str(notice), env=env).returncode == 0
    listing = json.loads(tepai("docs", "list", "--json", env=env).stdout)
    assert [(d["title"], d["status"], d["issuer"], d["date"], d["cited"]) for d in listing] == [
        ("关于技术合同补助的通知", "current", "济南市科学技术局", "2021-03-01", True)]

    done = tepai("docs", "set", "1", "--status", "amended", "--amended-by", "济科发〔2022〕5号",
                 "--number", "济科发〔2021〕3号", env=env)
    assert done.returncode == 0, done.stderr
    assert "已修改 · 济南市科学技术局 · 济科发〔2021〕3号 · 2021年3月1日 · 已被济科发〔2022〕5号修改" in done.stdout
    answer = tepai("ask", "技术合同补助最高多少？", env=env).stdout
    assert "五十万元" in answer and "已被济科发〔2022〕5号修改" in answer

    assert tepai("docs", "set", "1", "--status", "repealed", env=env).returncode == 0
    assert tepai("index", str(notice), env=env).returncode == 0  # re-indexing keeps the correction
    assert "五十万元" not in tepai("ask", "技术合同补助最高多少？", env=env).stdout
    text = tepai("docs", "list", env=env).stdout
    assert "已废止（不再引用）" in text

    bad = tepai("docs", "set", "1", "--date", "someday", env=env)
    assert bad.returncode == 2 and "无法识别的日期" in bad.stderr and "Traceback" not in bad.stderr
    missing = tepai("docs", "set", "7", "--status", "current", env=env)
    assert missing.returncode == 2 and "没有找到文件 7" in missing.stderr


def test_a_command_leaves_no_logging_behind_for_the_next_one(tmp_path: Path) -> None:
    import logging

    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    assert tepai("staff", "list", env={"TEPAI_DATA_DIR": str(tmp_path / "a")}).returncode == 0
    assert tepai("staff", "list", env={"TEPAI_DATA_DIR": str(tmp_path / "b")}).returncode == 0
    assert (list(root.handlers), root.level) == before
    # Each run logged to its own data dir, and the file is closed once the command is done.
    assert (tmp_path / "a" / "logs" / "tepai.log").exists() and (tmp_path / "b" / "logs" / "tepai.log").exists()


def test_a_usage_error_returns_2_instead_of_leaving_the_interpreter() -> None:
    done = tepai("staff", "add", "not-a-number")
    assert done.returncode == 2 and "usage: tepai staff add" in done.stderr
    assert tepai("--help").returncode == 0


def process(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
            entry: list[str] | None = None) -> subprocess.CompletedProcess:
    """The real thing: a fresh interpreter running `python -m bot` (or the `tepai` script)."""
    return subprocess.run(
        [*(entry or [sys.executable, "-m", "bot"]), *args],
        input=stdin, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})}, cwd=Path(__file__).resolve().parents[2],
    )


def test_python_m_bot_answers_in_json_and_exits_0(indexed: dict[str, str]) -> None:
    done = process("ask", "--json", "到2027年特派员覆盖率目标是多少？", env=indexed)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["answered"] and "50%" in payload["citations"][0]["text"]


def test_the_process_exit_status_is_the_documented_code(indexed: dict[str, str], tmp_path: Path) -> None:
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data")}
    empty = process("ask", "   ", env=indexed)
    assert empty.returncode == 2 and "请输入" in empty.stdout and "Traceback" not in empty.stderr
    bad = process("ask", "特派员", env={**env, "TEPAI_EMBEDDING": "nonsense"})
    assert bad.returncode == 3 and "TEPAI_EMBEDDING" in bad.stderr and "Traceback" not in bad.stderr
    assert process(env=env).returncode == 2  # no command: argparse's usage error


def test_the_installed_tepai_script_runs_the_same_main(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("tepai")
    env = {"TEPAI_DATA_DIR": str(tmp_path / "data"), "TEPAI_STAFF_IDS": "77"}
    done = process("staff", "list", env=env, entry=[str(script)])
    assert done.returncode == 0 and "77\tTEPAI_STAFF_IDS" in done.stdout, done.stderr


def test_in_process_output_includes_what_a_child_process_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-process runner sees the same screen as a process would: a child's stderr too."""
    from bot import cli_admin

    def noisy(*_args: object) -> int:
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('child warning')"], check=True)
        return 0

    monkeypatch.setattr(cli_admin, "cmd_staff", noisy)
    done = tepai("staff", "list")
    assert done.returncode == 0 and "child warning" in done.stderr
