"""`tepai chat`: one person drives the real bot through the emulator from a terminal."""

from __future__ import annotations

import io

from core import texts
from bot.settings import load_settings
from bot.terminal import chat
from tests.people import WITH_CHAT
from tests.people import chat as chat_of


async def run(lines: list[str], tmp_path, role: str = "enterprise", user_id: int = 10001) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    settings = load_settings({"TEPAI_DATA_DIR": str(tmp_path / "data")})
    code = await chat(settings, role=role, user_id=user_id, stdin=io.StringIO("".join(l + "\n" for l in lines)), out=out)
    assert code == 0
    return out.getvalue()


async def test_owner_asks_in_the_terminal_and_picks_a_button_by_number(tmp_path) -> None:  # type: ignore[no-untyped-def]
    transcript = await run(["到2027年特派员覆盖率目标是多少？", "1", "9", "/quit"], tmp_path)
    assert "您好" in transcript
    assert "全市 50%的科技型中小企业配备科技特派员" in transcript
    assert "[1] 👍 有帮助  [2] 👎 没帮助  [3] 转人工" in transcript
    assert "（提示）感谢反馈！" in transcript
    assert "没有这个选项" in transcript
    assert "再见" in transcript


async def test_staff_in_the_terminal_sees_staff_commands_and_can_upload(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = tmp_path / "通知.md"
    policy.write_text("一、奖励\n对首次认定的高新技术企业给予一次性奖励二十万元。", encoding="utf-8")
    transcript = await run(["/help", f"/file {policy}", "/file /no/such/file.pdf", "/docs"], tmp_path, role="staff")
    assert "工作人员命令" in transcript
    assert "已更新知识库" in transcript
    assert "无法读取文件" in transcript
    assert "停用 1" in transcript or "停用 2" in transcript


async def test_end_of_input_closes_the_chat_cleanly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    transcript = await run([], tmp_path, role="specialist")
    assert "科技特派员" in transcript and "再见" in transcript


async def test_owner_completes_the_survey_in_the_terminal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from store import survey
    from store.db import Database, default_url
    from store.validators import credit_code_check_char

    db = Database.open(default_url(tmp_path / "data"))
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
    await db.close()
    code = "91370100MA3C5QXX1" + credit_code_check_char("91370100MA3C5QXX1")
    transcript = await run([
        "/survey", "济南智造科技有限公司", code, "1", "2", "1", "工业传感器",
        "1", "6", "传感器在高温环境下漂移严重，试过更换封装材料但效果不明显。", "跳过", "王经理", "13905311234",
        "1", "1", "/quit",
    ], tmp_path)
    assert "请核对您的需求调查" in transcript
    assert "电子信息" in transcript and "历下区" in transcript
    assert "已提交2026年度需求调查（第 1 版）" in transcript


async def test_one_plus_one_plus_one_across_terminal_sessions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Staff open the survey, an owner fills it, a specialist registers, staff approve and assign,
    and the specialist — back in the chat later — finds the invitation and accepts it."""
    from store.validators import credit_code_check_char

    staff, specialist = 900, 20001
    opened = await run(["/campaign open 2026"], tmp_path, role="staff", user_id=staff)
    assert "已开启2026年度需求调查" in opened
    code = "91370100MA3C5QXX1" + credit_code_check_char("91370100MA3C5QXX1")
    await run(["/survey", "济南智造科技有限公司", code, "1", "2", "1", "工业传感器",
               "1", "6", "传感器在高温环境下漂移严重，试过更换封装材料但效果不明显。", "跳过", "王经理", "13905311234",
               "1", "1", "/quit"], tmp_path)
    registered = await run(["/register", "李明", "山东大学信息科学与工程学院", "1", "教授", "1",
                            "高温传感器封装、传感器温度漂移补偿", "跳过", "1", "跳过", "13905319876", "1"],
                           tmp_path, role="specialist", user_id=specialist)
    assert texts.REG_SUBMITTED in registered

    reviewed = await run(["/approve", "1", "/assign", "1"], tmp_path, role="staff", user_id=staff)
    assert "已通过 #1 李明" in reviewed
    assert "匹配 1 个" in reviewed and "已批准" in reviewed

    accepted = await run(["1"], tmp_path, role="specialist", user_id=specialist)
    assert "待答复的对接邀请" in accepted and "济南智造科技有限公司" in accepted
    assert "[1] 接受  [2] 婉拒" in accepted
    assert "已接受" in accepted and "王经理" in accepted and "13905311234" in accepted


async def test_staff_broadcast_from_the_terminal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from store.db import Database, default_url
    from store.models import Delivery

    await run(["你好"], tmp_path, user_id=10001)  # an enterprise user the bot knows
    transcript = await run(["/broadcast", "<b>十二月科技特派员征集</b>开始了", "2", "1", "/broadcast_status"],
                           tmp_path, role="staff", user_id=900)
    assert "请发送公告正文" in transcript and "接收人将看到的样子" in transcript
    assert "十二月科技特派员征集开始了" in transcript  # the preview, as it will arrive
    assert "接收人：1 人" in transcript  # 企业用户: the owner, not the staff member
    assert "公告 #1" in transcript
    db = Database.open(default_url(tmp_path / "data"))
    async with db.session() as session:
        rows = (await session.scalars(select(Delivery).options(WITH_CHAT)
                                      .where(Delivery.broadcast_id.is_not(None)))).all()
    await db.close()
    assert [(chat_of(r), r.status) for r in rows] == [(10001, "sent")]


async def test_charts_and_exports_are_saved_under_the_data_dir_and_their_paths_printed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv
    import re
    from pathlib import Path

    from store import repositories as repo
    from store import survey
    from store.db import Database, default_url
    from store.models import Enterprise, Submission

    db = Database.open(default_url(tmp_path / "data"))
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, 10001, "王总")
        ent = Enterprise(credit_code="91370100MA3C5QXX00", name="甲公司", district="历下区")
        session.add(ent)
        await session.flush()
        session.add(Submission(enterprise_id=ent.id, campaign_year=2026, version=1, current=True, submitted_by=user.id,
                               answers={"name": "甲公司", "credit_code": ent.credit_code, "district": "历下区"}))
    await db.close()
    transcript = await run(["/stats", "/export 2026 csv"], tmp_path, role="staff", user_id=900)
    saved = [Path(p) for p in re.findall(r"已保存到：(\S+)", transcript)]
    assert len(saved) == 2, transcript
    files = tmp_path / "data" / "terminal-files"
    assert all(p.parent == files.resolve() for p in saved)
    chart = next(p for p in saved if p.suffix == ".png")
    export = next(p for p in saved if p.suffix == ".csv")
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert export.name.endswith("需求摸底-2026.csv")
    rows = list(csv.reader(export.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][0] == "甲公司"
    assert "Traceback" not in transcript and "WARNING" not in transcript


def test_the_terminal_screen_shows_only_chinese_while_details_go_to_the_log(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A staff member uploads a damaged PDF: pypdf's English warnings stay in the log file."""
    import io
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    damaged = tmp_path / "损坏的通知.pdf"
    damaged.write_bytes(data[: data.rfind(b"startxref")] + b"startxref\n99999\n%%EOF\n")  # a wrong xref pointer
    done = subprocess.run([sys.executable, "-m", "bot", "chat", "--as", "staff", "--user", "900"],
                          input=f"/file {damaged}\n/quit\n", capture_output=True, text=True, timeout=300,
                          # Which encoder ranks the plan is not the point here: no model to load.
                          env={**os.environ, "TEPAI_DATA_DIR": str(tmp_path / "data"), "TEPAI_EMBEDDING": "hashing"},
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    screen = done.stdout + done.stderr
    assert "损坏的通知" in screen
    assert "startxref" not in screen and "Traceback" not in screen and "WARNING" not in screen
    assert "startxref" in (tmp_path / "data" / "logs" / "tepai.log").read_text(encoding="utf-8")
