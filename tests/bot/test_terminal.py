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
