"""`tepai chat`: one person drives the real bot through the emulator from a terminal."""

from __future__ import annotations

import io

from bot.settings import load_settings
from bot.terminal import chat


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
