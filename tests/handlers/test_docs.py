"""Staff keep the knowledge base current from the chat; nobody else can."""

from __future__ import annotations

import resource
from dataclasses import replace
from pathlib import Path

import pytest

from core import texts
from knowledge.parsing import Limits
from tests.conftest import make_kb
from tests.handlers.conftest import OWNER, STAFF, Bot, bot_settings, make_services, start_bot, stop_bot
from tests.hostile_files import pdf_with_content, text_operators

NOTICE = "一、研发补助\n对首次认定的高新技术企业给予一次性奖励二十万元。\n二、申报时间\n每年三月集中申报。".encode()


@pytest.fixture
async def own_bot(emulator, embeddings, migrated_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A bot with its own, writable knowledge base (the bundled policy indexed)."""
    from knowledge.index import BUNDLED_CORPUS

    settings = bot_settings(emulator, tmp_path / "data", migrated_url)
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
    staff_before = len(bot.emu.messages(STAFF))
    after = await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")
    assert "二十万元" not in after.plain_text
    await bot.emu.wait_for_message(STAFF, "待答复", after=staff_before)  # declined: the forward is owed to staff
    assert f"恢复 {number}" in [t for t, _ in (await bot.say(STAFF, "/docs")).buttons]


async def test_staff_correct_a_documents_status_in_chat_and_a_repealed_one_is_not_cited(own_bot: Bot) -> None:
    bot = own_bot
    award = ("---\ntitle: 关于高新技术企业奖励的通知\nissuer: 济南市科学技术局\ndate: 2021-03-01\n---\n"
             "一、奖励标准\n对首次认定的高新技术企业给予一次性奖励二十万元。").encode()
    await upload(bot, STAFF, "奖励通知.md", award, "已更新知识库")
    answer = await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")
    assert "二十万元" in answer.plain_text and "（济南市科学技术局，2021年3月1日）" in answer.plain_text

    listing = (await bot.say(STAFF, "/docs")).plain_text
    assert "现行 · 济南市科学技术局 · 2021年3月1日" in listing and "/docs set" in listing
    number = next(line.split(".")[0] for line in listing.splitlines() if "关于高新技术企业奖励的通知" in line)
    reply = (await bot.say(STAFF, f"/docs set {number} 状态 已废止")).plain_text
    assert reply.startswith("已更新《关于高新技术企业奖励的通知》：状态：已废止") and "不再引用" in reply
    staff_before = len(bot.emu.messages(STAFF))
    assert "二十万元" not in (await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")).plain_text
    await bot.emu.wait_for_message(STAFF, "待答复", after=staff_before)  # declined: the forward is owed to staff

    assert "无法识别的日期" in (await bot.say(STAFF, f"/docs set {number} 日期 去年春天")).plain_text
    assert "没有编号为 99" in (await bot.say(STAFF, "/docs set 99 状态 现行")).plain_text
    assert "没有“颜色”这个字段" in (await bot.say(STAFF, f"/docs set {number} 颜色 红")).plain_text
    assert "用法" in (await bot.say(STAFF, "/docs set")).plain_text
    # Back to what the file says: cited again.
    await bot.say(STAFF, f"/docs set {number} 状态 -")
    assert "二十万元" in (await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")).plain_text
    # Nobody else may correct a document.
    assert (await bot.say(OWNER, f"/docs set {number} 状态 已废止")).plain_text == texts.STAFF_ONLY
    assert all(d.status != "repealed" for d in bot.services.knowledge.index.documents())


async def test_staff_upload_of_an_unreadable_file_is_reported_and_the_index_kept(own_bot: Bot) -> None:
    bot = own_bot
    before = bot.services.knowledge.index.snapshot().generation
    assert "文件为空" in await upload(bot, STAFF, "空白.txt", b"", "无法索引")
    assert "不是有效的 DOCX 文件" in await upload(bot, STAFF, "坏文件.docx", b"not a zip at all", "无法索引")
    assert "不支持的文件类型 .exe（支持 PDF、DOCX、TXT、MD、HTML）" in await upload(bot, STAFF, "图片.exe", b"MZ\x90\x00", "不支持")
    # What a bureau has instead of a supported file is named, with what to do about it.
    assert "另存为 .docx" in await upload(bot, STAFF, "管理办法.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "不支持")
    big5 = ("為促進中小企業健全發展，並協助中小企業之創立及輔導，改善中小企業經營環境，特制定本條例。"
            "政府應協助中小企業取得研究發展所需之資金與人才。").encode("big5")
    assert "乱码" in await upload(bot, STAFF, "中小企業發展條例.txt", big5, "无法索引")
    assert bot.services.knowledge.index.snapshot().generation == before
    answer = await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")
    assert "高等院校" in answer.plain_text


async def test_a_path_in_the_file_name_cannot_escape_the_uploads_folder(own_bot: Bot) -> None:
    await upload(own_bot, STAFF, "../../evil.md", NOTICE, "已更新知识库")
    uploads = own_bot.services.settings.data_dir / "uploads"
    assert [p.relative_to(uploads).parts[-1] for p in uploads.rglob("evil.md")] == ["evil.md"]
    assert not (own_bot.services.settings.data_dir.parent / "evil.md").exists()


async def test_two_different_uploads_with_the_same_name_both_stay(own_bot: Bot) -> None:
    bot = own_bot
    award = "一、奖励标准\n对首次认定的高新技术企业给予一次性奖励二十万元。".encode()
    contracts = "一、技术合同补助\n登记的技术合同按成交额的百分之二给予补助，最高五十万元。".encode()
    assert "新增 1" in await upload(bot, STAFF, "通知.md", award, "已更新知识库")
    assert "新增 1" in await upload(bot, STAFF, "通知.md", contracts, "已更新知识库")
    assert "二十万元" in (await bot.say(OWNER, "首次认定高新技术企业奖励多少钱？")).plain_text
    assert "五十万元" in (await bot.say(OWNER, "技术合同登记后补助最高多少？")).plain_text
    # The same content sent again, under another name, is the same document.
    assert "未变 1" in await upload(bot, STAFF, "通知（转发）.md", award, "已更新知识库")
    assert len(bot.services.knowledge.index.documents()) == 3


async def test_hostile_files_are_refused_with_reasons_and_the_bot_stays_small(
        own_bot: Bot, hostile_files: dict[str, Path]) -> None:
    bot = own_bot
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    generation = bot.services.knowledge.index.snapshot().generation
    bomb = hostile_files["zip_bomb"].read_bytes()
    refused = await upload(bot, STAFF, "高企申报指南.docx", bomb, "无法索引")
    assert "解压后超过 64 MB 上限" in refused and "压缩炸弹" in refused
    stream = hostile_files["stream_bomb"].read_bytes()
    assert "内容过大" in await upload(bot, STAFF, "补助通知.pdf", stream, "无法索引")
    flood = hostile_files["chunk_flood"].read_bytes()
    assert "段落过多" in await upload(bot, STAFF, "条款汇编.docx", flood, "无法索引")
    # 1 GB of XML never inflated inside the bot.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300 * 1024
    assert bot.services.knowledge.index.snapshot().generation == generation
    uploads = bot.services.settings.data_dir / "uploads"
    assert not [p for p in uploads.rglob("*") if p.is_file()]  # refused files are not kept
    assert "高等院校" in (await bot.say(OWNER, "特派员征集选聘公告面向哪些单位发布？")).plain_text


async def test_a_slow_file_does_not_hold_up_the_staff_members_chat(own_bot: Bot, tmp_path: Path) -> None:
    bot = own_bot
    # Only the time limit stands between this file and minutes of parsing.
    bot.services.knowledge.index.parse_limits = replace(Limits(), page_content_bytes=1 << 30,
                                                        pdf_content_bytes=1 << 30, timeout=6)
    # 8 MB of drawing operators: half a minute of pypdf, under pypdf's own caps.
    stream = pdf_with_content(tmp_path / "slow.pdf", text_operators(8_000_000)).read_bytes()
    after = len(bot.emu.messages(STAFF))
    bot.emu.user_sends_document(STAFF, "补助通知.pdf", stream)
    status = await bot.emu.wait_for_message(STAFF, "正在建立索引", after=after)
    listing = await bot.say(STAFF, "/docs")
    assert "政策文件" in listing.plain_text
    assert "无法索引" not in bot.emu.messages(STAFF)[after].plain_text  # still parsing
    refused = await bot.emu.wait_for_message(STAFF, "解析超时", after=after, timeout=30)
    assert refused.message_id == status.message_id


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
