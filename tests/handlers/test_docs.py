"""Staff keep the knowledge base current from the chat; nobody else can."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import texts
from tests.conftest import make_kb
from tests.handlers.conftest import OWNER, STAFF, Bot, bot_settings, make_services, start_bot, stop_bot

NOTICE = "一、研发补助\n对首次认定的高新技术企业给予一次性奖励二十万元。\n二、申报时间\n每年三月集中申报。".encode()


@pytest.fixture
async def own_bot(emulator, embeddings, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A bot with its own, writable knowledge base (the bundled policy indexed)."""
    from knowledge.index import BUNDLED_CORPUS

    settings = bot_settings(emulator, tmp_path / "data", database_url)
    kb = make_kb(settings.data_dir, embeddings)
    kb.index.update([BUNDLED_CORPUS])
    running = Bot(emulator, make_services(settings, kb), None)
    running.app = await start_bot(emulator, running.services)
    yield running
    await stop_bot(running.app)
    await running.services.db.close()


async def upload(bot: Bot, user_id: int, name: str, data: bytes, expect: str) -> str:
    after = len(bot.emu.messages(user_id))
    bot.emu.user_sends_document(user_id, name, data)
    message = await bot.emu.wait_for_message(user_id, expect, after=after, timeout=30)
    return message.plain_text


async def test_staff_upload_is_indexed_listed_and_can_be_retired(own_bot: Bot) -> None:
    bot = own_bot
    done = await upload(bot, STAFF, "高企奖励通知.md", NOTICE, "已更新知识库")
    assert "新增 1" in done
    answer = await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")
    assert "二十万元" in answer.plain_text

    listing = await bot.say(STAFF, "/docs")
    assert "现行" in listing.plain_text and "征求意见稿" in listing.plain_text
    titles = listing.plain_text.splitlines()
    number = next(line.split(".")[0] for line in titles if "高企奖励通知" in line or "研发补助" in line)
    reply = await bot.press(STAFF, listing, f"停用 {number}")
    assert reply.startswith("已停用")
    after = await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")
    assert "二十万元" not in after.plain_text
    assert f"恢复 {number}" in [t for t, _ in (await bot.say(STAFF, "/docs")).buttons]


async def test_staff_upload_of_an_unreadable_file_is_reported_and_the_index_kept(own_bot: Bot) -> None:
    bot = own_bot
    before = bot.services.knowledge.index.snapshot().generation
    assert "文件为空" in await upload(bot, STAFF, "空白.txt", b"", "无法索引")
    assert "不是有效的 DOCX 文件" in await upload(bot, STAFF, "坏文件.docx", b"not a zip at all", "无法索引")
    assert texts.DOC_UNSUPPORTED in await upload(bot, STAFF, "图片.exe", b"MZ\x90\x00", "不支持")
    assert bot.services.knowledge.index.snapshot().generation == before
    answer = await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")
    assert "高等院校" in answer.plain_text


async def test_a_path_in_the_file_name_cannot_escape_the_uploads_folder(own_bot: Bot) -> None:
    await upload(own_bot, STAFF, "../../evil.md", NOTICE, "已更新知识库")
    uploads = own_bot.services.settings.data_dir / "uploads"
    assert (uploads / "evil.md").exists()
    assert not (own_bot.services.settings.data_dir.parent / "evil.md").exists()


async def test_every_staff_action_is_refused_to_everyone_else(bot: Bot) -> None:
    for command in ("/docs", "/unanswered"):
        reply = await bot.say(OWNER, command)
        assert reply.plain_text == texts.STAFF_ONLY, command
    generation = bot.services.knowledge.index.snapshot().generation
    reply = await upload(bot, OWNER, "政策.md", NOTICE, texts.FILE_NOT_FOR_YOU)
    assert reply == texts.FILE_NOT_FOR_YOU
    assert bot.services.knowledge.index.snapshot().generation == generation
    # A staff button replayed by an enterprise user (forged data) is refused too.
    doc = bot.services.knowledge.index.documents()[0]
    own = await bot.say(OWNER, "技术合同登记后怎么给补助？")
    update = bot.emu.user_presses_button(OWNER, own.message_id, f"doc:r:{doc.sha256[:16]}", force=True)
    assert (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text == texts.STAFF_ONLY
    assert bot.services.knowledge.index.snapshot().docs[doc.key].status != "retired"
    # Replying to a message is just a question for a non-staff user, never a relay.
    reply = await bot.say(OWNER, "请问技术合同登记后的补助标准是什么？", reply_to_message_id=own.message_id)
    assert "科技局工作人员答复" not in reply.plain_text


async def test_staff_get_their_own_command_menu(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    staff_menu = [c["command"] for c in bot.emu.commands(scope=STAFF)]
    default_menu = [c["command"] for c in bot.emu.commands()]
    assert "docs" in staff_menu and "unanswered" in staff_menu
    assert "docs" not in default_menu and "start" in default_menu


async def test_help_differs_by_role(bot: Bot) -> None:
    assert "工作人员命令" in (await bot.say(STAFF, "/help")).plain_text
    enterprise_help = (await bot.say(OWNER, "/help")).plain_text
    assert "政策问题" in enterprise_help and "/docs" not in enterprise_help
    assert "没有这个命令" in (await bot.say(OWNER, "/frobnicate")).plain_text
    assert "报名科技特派员" in (await bot.say(OWNER, "/start specialist")).plain_text
