"""The Bot API emulator, driven by the real python-telegram-bot over real HTTP."""

from __future__ import annotations

import asyncio
import datetime as dtm
import threading
import time

import httpx
import pytest
from aiohttp import web
from telegram import (Bot, BotCommand, BotCommandScopeChat, InlineKeyboardButton,
                      InlineKeyboardMarkup, InputFile, Update)
from telegram.error import (BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken,
                            NetworkError, RetryAfter)
from telegram.ext import (Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes,
                          MessageHandler, filters)

from bot.emulator import BotApiEmulator, parse_formatted

# PTB 22 warns whenever RetryAfter.retry_after / durations are read as int (they will become
# timedelta); `seconds()` below accepts both, so the noise is not useful here.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456:TEST-TOKEN"
ALICE = 1001
BOB = 1002


@pytest.fixture
async def emu():
    async with BotApiEmulator(token=TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator):
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ----------------------------------------------------------------------------- basics


async def test_get_me_describes_the_configured_bot(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "tepai_bot", True)
    assert emu.request_count("getMe", status=200) >= 1


async def test_wrong_token_is_unauthorized(emu: BotApiEmulator) -> None:
    intruder = Bot("999:WRONG", base_url=emu.base_url)
    try:
        with pytest.raises(InvalidToken):
            await intruder.initialize()
    finally:
        await intruder.shutdown()  # its HTTP client was opened before getMe failed
    assert emu.request_count("getMe", status=401) == 1


async def test_unknown_method_is_not_found(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ALICE})
    async with httpx.AsyncClient() as client:
        raw = await client.post(f"{emu.base_url}{TOKEN}/sendTelepathy")
    assert raw.status_code == 404
    assert raw.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


# ----------------------------------------------------------------------------- sending


async def test_send_message_records_html_text_with_increasing_ids(
        emu: BotApiEmulator, bot: Bot) -> None:
    emu.user_sends_text(ALICE, "你好")  # message 1 in the chat is the user's
    first = await bot.send_message(ALICE, "<b>科技</b>特派员 &amp; 企业", parse_mode="HTML")
    second = await bot.send_message(ALICE, "第二条")

    assert (first.message_id, second.message_id) == (2, 3)
    assert first.text == "科技特派员 & 企业"  # Telegram returns parsed text + entities
    assert first.entities[0].type == "bold" and first.entities[0].length == 2
    assert abs(first.date.timestamp() - time.time()) < 5
    sent = emu.messages(ALICE)
    assert [m.text for m in sent] == ["<b>科技</b>特派员 &amp; 企业", "第二条"]
    assert sent[0].parse_mode == "HTML" and sent[0].plain_text == "科技特派员 & 企业"
    assert emu.last_message(ALICE) is sent[1]


async def test_sending_to_a_chat_nobody_opened_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "hello?")


@pytest.mark.parametrize(("text", "parse_mode", "detail"), [
    ("<b>未闭合", "HTML", 'can\'t find end tag corresponding to start tag "b"'),
    ("1 < 2", "HTML", 'unsupported start tag "" at byte offset 2'),
    ("<foo>x</foo>", "HTML", 'unsupported start tag "foo"'),
    ("<b><i>x</b></i>", "HTML", "unmatched end tag"),
    ("AT&T", "HTML", "unescaped '&'"),
    ("版本 1.0", "MarkdownV2", "character '.' is reserved"),
])
async def test_unparsable_formatting_is_refused_like_telegram(
        emu: BotApiEmulator, bot: Bot, text: str, parse_mode: str, detail: str) -> None:
    emu.add_user(ALICE)
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(ALICE, text, parse_mode=parse_mode)
    assert "can't parse entities" in caught.value.message.lower()
    assert detail in caught.value.message.lower()
    assert emu.messages(ALICE) == []


async def test_empty_and_overlong_texts_are_refused(emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(ALICE, "")
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(ALICE, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(ALICE, "长" * 4097)
    await bot.send_message(ALICE, "长" * 4096)
    assert len(emu.messages(ALICE)) == 1


async def test_replies_and_link_preview_options_are_kept(emu: BotApiEmulator, bot: Bot) -> None:
    question = emu.user_sends_text(ALICE, "政策在哪里看？")["message"]
    answer = await bot.send_message(ALICE, "见 https://kjj.example.cn",
                                    reply_to_message_id=question["message_id"],
                                    disable_web_page_preview=True)
    assert answer.reply_to_message.text == "政策在哪里看？"
    sent = emu.last_message(ALICE)
    assert sent.reply_to_message_id == question["message_id"]
    assert sent.link_preview_options == {"is_disabled": True}
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(ALICE, "?", reply_to_message_id=999)


async def test_callback_data_over_64_bytes_is_button_data_invalid(
        emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("太长", callback_data="数" * 22)]])
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(ALICE, "选一个", reply_markup=markup)


async def test_edit_message_text_updates_and_refuses_like_telegram(
        emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="yes"),
                                      InlineKeyboardButton("官网", url="https://example.cn")]])
    sent = await bot.send_message(ALICE, "处理中…", reply_markup=keyboard)
    assert emu.buttons(emu.last_message(ALICE)) == [("是", "yes"), ("官网", "https://example.cn")]

    edited = await bot.edit_message_text("完成", chat_id=ALICE, message_id=sent.message_id,
                                         reply_markup=keyboard)
    assert edited.text == "完成" and edited.edit_date is not None
    record = emu.last_message(ALICE)
    assert (record.text, record.edits, record.history) == ("完成", 1, ["处理中…"])

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("完成", chat_id=ALICE, message_id=sent.message_id,
                                    reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE, message_id=777)

    # Like Telegram, an edit without reply_markup drops the inline keyboard.
    await bot.edit_message_text("完成！", chat_id=ALICE, message_id=sent.message_id)
    assert emu.buttons(record) == [] and record.edits == 2


async def test_delete_message_marks_it_deleted(emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    sent = await bot.send_message(ALICE, "临时")
    assert await bot.delete_message(ALICE, sent.message_id) is True
    assert emu.messages(ALICE)[0].deleted and emu.last_message(ALICE) is None
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)


async def test_copy_and_forward_create_new_messages_in_the_target_chat(
        emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(BOB)
    original = emu.user_sends_text(ALICE, "请转给专员")["message"]
    copied = await bot.copy_message(BOB, ALICE, original["message_id"])
    forwarded = await bot.forward_message(BOB, ALICE, original["message_id"])
    assert forwarded.forward_origin.sender_user.id == ALICE
    copy, forward = emu.messages(BOB)
    assert (copy.message_id, copy.text, copy.origin) == (copied.message_id, "请转给专员", "copy")
    assert (forward.text, forward.origin) == ("请转给专员", "forward")


async def test_get_chat_and_chat_action(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user_sends_text(ALICE, "hi", first_name="张三", username="zhangsan")
    chat = await bot.get_chat(ALICE)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        ALICE, "private", "张三", "zhangsan")
    assert await bot.send_chat_action(ALICE, "typing") is True
    assert emu.chat_actions[-1][:2] == (ALICE, "typing")


async def test_caption_and_keyboard_edits_on_a_photo(emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("下载", callback_data="dl")]])
    photo = await bot.send_photo(ALICE, InputFile(b"\x89PNG fake", filename="x.png"),
                                 caption="图表", reply_markup=keyboard)
    record = emu.last_message(ALICE)
    assert record.kind == "photo" and record.photo.data == b"\x89PNG fake"
    assert photo.photo[-1].file_id == record.photo.file_id

    await bot.edit_message_caption(ALICE, photo.message_id, caption="新图表",
                                   reply_markup=keyboard)
    await bot.edit_message_reply_markup(ALICE, photo.message_id, reply_markup=None)
    assert (record.text, record.edits, emu.buttons(record)) == ("新图表", 2, [])
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(ALICE, photo.message_id, reply_markup=None)
    with pytest.raises(BadRequest, match="(?i)there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=ALICE, message_id=photo.message_id)


async def test_a_user_cannot_press_a_button_that_is_not_there(emu: BotApiEmulator,
                                                              bot: Bot) -> None:
    emu.add_user(ALICE)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="ok")]])
    sent = await bot.send_message(ALICE, "确认？", reply_markup=keyboard)
    with pytest.raises(LookupError, match="no button"):
        emu.user_presses_button(ALICE, sent.message_id, "cancel")
    stale = emu.user_presses_button(ALICE, sent.message_id, "cancel", force=True)
    query_id = stale["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, "过期了")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)  # a query can be answered only once


@pytest.mark.parametrize(("source", "mode", "plain", "entities"), [
    ("🏟 <b>加粗</b> <a href='https://kjj.example.cn'>链接</a>", "HTML", "🏟 加粗 链接",
     [{"offset": 3, "length": 2, "type": "bold"},
      {"offset": 6, "length": 2, "type": "text_link", "url": "https://kjj.example.cn/"}]),
    ("<pre><code class=\"language-python\">x = 1</code></pre>", "HTML", "x = 1",
     [{"offset": 0, "length": 5, "type": "pre", "language": "python"}]),
    ("*粗* _斜_ __下划线__ ~删~ ||剧透|| 版本 1\\.0", "MarkdownV2", "粗 斜 下划线 删 剧透 版本 1.0",
     [{"offset": 0, "length": 1, "type": "bold"}, {"offset": 2, "length": 1, "type": "italic"},
      {"offset": 4, "length": 3, "type": "underline"},
      {"offset": 8, "length": 1, "type": "strikethrough"},
      {"offset": 10, "length": 2, "type": "spoiler"}]),
])
def test_formatting_yields_telegram_text_and_utf16_entities(
        source: str, mode: str, plain: str, entities: list[dict]) -> None:
    assert parse_formatted(source, mode) == (plain, entities)


async def test_optional_flood_control_answers_429() -> None:
    async with BotApiEmulator(token=TOKEN, flood_control=True) as strict:
        strict.add_user(ALICE)
        async with Bot(TOKEN, base_url=strict.base_url) as client:
            for i in range(3):  # a burst of three is fine...
                await client.send_message(ALICE, f"#{i}")
            with pytest.raises(RetryAfter) as caught:  # ...the fourth within a second is not
                await client.send_message(ALICE, "#3")
    assert seconds(caught.value.retry_after) >= 1
    assert len(strict.messages(ALICE)) == 3


# ----------------------------------------------------------------------------- files


async def test_send_document_multipart_round_trip(emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    payload = "申报指南\n".encode() * 500 + bytes(range(256))
    message = await bot.send_document(ALICE, InputFile(payload, filename="申报指南.pdf"),
                                      caption="<i>附件</i>", parse_mode="HTML")
    record = emu.last_message(ALICE)
    filename, data = record.document
    assert (filename, data) == ("申报指南.pdf", payload)
    assert record.kind == "document" and record.plain_text == "附件"
    assert message.document.file_name == "申报指南.pdf"
    assert message.document.file_size == len(payload)

    again = await bot.send_document(ALICE, message.document.file_id)
    assert again.document.file_id == message.document.file_id
    downloaded = await (await bot.get_file(message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload


async def test_document_sent_by_a_user_can_be_downloaded(emu: BotApiEmulator, bot: Bot) -> None:
    content = b"%PDF-1.4 fake but bytes are bytes \x00\xff"
    update = emu.user_sends_document(ALICE, "合同.pdf", content, caption="请审阅")
    document = update["message"]["document"]
    assert (document["file_name"], document["mime_type"]) == ("合同.pdf", "application/pdf")
    telegram_file = await bot.get_file(document["file_id"])
    assert telegram_file.file_path.startswith(emu.base_file_url)
    assert bytes(await telegram_file.download_as_bytearray()) == content
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_photo_sticker_and_voice_updates_parse_in_ptb(emu: BotApiEmulator,
                                                            bot: Bot) -> None:
    raw = [emu.user_sends_photo(ALICE, caption="现场"), emu.user_sends_sticker(ALICE),
           emu.user_sends_voice(ALICE, duration=5)]
    updates = [Update.de_json(u, bot) for u in raw]
    assert updates[0].message.photo[-1].width == 800 and updates[0].message.caption == "现场"
    assert updates[1].message.sticker.emoji == "👍"
    assert updates[2].message.voice.duration == dtm.timedelta(seconds=5) or \
        updates[2].message.voice.duration == 5
    photo = await bot.get_file(updates[0].message.photo[-1].file_id)
    assert (await photo.download_as_bytearray()).startswith(b"\x89PNG")


# ----------------------------------------------------------------------------- faults


async def test_injected_429_raises_retry_after_once(emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    emu.inject("sendMessage", chat_id=ALICE, error=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE, "first")
    assert seconds(caught.value.retry_after) == 7
    await bot.send_message(ALICE, "second")  # times=1: the fault is used up
    assert [m.text for m in emu.messages(ALICE)] == ["second"]
    assert [r.status for r in emu.requests if r.method == "sendMessage"] == [429, 200]


async def test_blocked_user_means_forbidden_until_unblocked(emu: BotApiEmulator,
                                                            bot: Bot) -> None:
    emu.user_sends_text(ALICE, "/start")
    update = emu.user_blocks_bot(ALICE)
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "还在吗？")
    emu.user_unblocks_bot(ALICE)
    await bot.send_message(ALICE, "欢迎回来")
    kinds = [next(k for k in u if k != "update_id") for u in emu.pending_updates()]
    assert kinds == ["message", "my_chat_member", "my_chat_member"]


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_surface_as_network_errors(emu: BotApiEmulator, bot: Bot,
                                                       status: int) -> None:
    emu.add_user(ALICE)
    emu.inject("sendMessage", error=status)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(ALICE, "x")
    assert not isinstance(caught.value, BadRequest)
    assert emu.messages(ALICE) == []


async def test_injected_403_and_400_map_to_ptb_errors(emu: BotApiEmulator, bot: Bot) -> None:
    emu.add_user(ALICE)
    emu.inject(error=403, times=1)
    emu.inject("sendMessage", error=400, description="chat not found", times=1)
    with pytest.raises(Forbidden):
        await bot.send_message(ALICE, "x")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(ALICE, "x")
    assert emu.faults == []


async def test_probabilistic_faults_are_reproducible_with_a_seed(emu: BotApiEmulator) -> None:
    async def pattern(target: BotApiEmulator) -> list[bool]:
        target.add_user(ALICE)
        target.inject("sendChatAction", rate=0.5)
        outcome = []
        async with Bot(TOKEN, base_url=target.base_url) as client:
            for _ in range(16):
                try:
                    await client.send_chat_action(ALICE, "typing")
                    outcome.append(True)
                except RetryAfter:
                    outcome.append(False)
        return outcome

    first = await pattern(emu)
    async with BotApiEmulator(token=TOKEN) as twin:
        second = await pattern(twin)
    assert first == second and 0 < first.count(False) < 16


# ----------------------------------------------------------------------------- commands


async def test_set_my_commands_is_stored_per_scope_and_language(emu: BotApiEmulator,
                                                                bot: Bot) -> None:
    emu.add_user(ALICE)
    emu.add_user(BOB)
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await bot.set_my_commands([BotCommand("admin", "管理")], scope=BotCommandScopeChat(ALICE))
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")

    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(ALICE))
    assert [c.command for c in scoped] == ["admin"]
    assert emu.commands(BotCommandScopeChat(ALICE)) == [{"command": "admin",
                                                         "description": "管理"}]
    assert [c["command"] for c in emu.commands()] == ["start", "help"]
    assert emu.commands(language_code="en") == [{"command": "start", "description": "Start"}]
    assert [c["command"] for c in emu.effective_commands(ALICE)] == ["admin"]
    assert [c["command"] for c in emu.effective_commands(BOB)] == ["start", "help"]

    await bot.delete_my_commands(scope=BotCommandScopeChat(ALICE))
    assert emu.commands(ALICE) == []
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("坏命令", "x")])


# ----------------------------------------------------------------------------- updates


async def test_get_updates_offset_confirms_and_drops_earlier_updates(
        emu: BotApiEmulator, bot: Bot) -> None:
    for text in ("一", "二", "三"):
        emu.user_sends_text(ALICE, text)
    batch = await bot.get_updates()
    assert [u.message.text for u in batch] == ["一", "二", "三"]
    assert [u.update_id for u in await bot.get_updates()] == [u.update_id for u in batch]

    assert await bot.get_updates(offset=batch[-1].update_id + 1) == ()
    emu.user_sends_text(ALICE, "四")
    fresh = await bot.get_updates(offset=batch[-1].update_id + 1, limit=5)
    assert [u.message.text for u in fresh] == ["四"]
    emu.user_sends_text(ALICE, "五")
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["五"]
    assert [u["message"]["text"] for u in emu.pending_updates()] == ["五"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(emu: BotApiEmulator,
                                                              bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    emu.user_sends_text(ALICE, "/start abc")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 2
    message = updates[0].message
    assert message.text == "/start abc"
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 6


async def test_allowed_updates_filters_update_types(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user_sends_text(ALICE, "text")
    emu.user_blocks_bot(ALICE)
    updates = await bot.get_updates(allowed_updates=["my_chat_member"])
    assert [u.my_chat_member.new_chat_member.status for u in updates] == ["kicked"]


async def test_webhook_mode_posts_updates_with_the_secret(emu: BotApiEmulator,
                                                          bot: Bot) -> None:
    received: asyncio.Queue[tuple[str | None, dict]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                            await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret-Token_1")
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(Conflict):
            await bot.get_updates()

        sent = emu.user_sends_text(ALICE, "走 webhook")
        secret, body = await asyncio.wait_for(received.get(), 5)
        assert secret == "s3cret-Token_1"
        assert body["update_id"] == sent["update_id"]
        assert body["message"]["text"] == "走 webhook"
        await emu.wait_until_idle(quiet=0.01, timeout=5)
        assert (await bot.get_webhook_info()).pending_update_count == 0

        assert await bot.delete_webhook()
        emu.user_sends_text(ALICE, "回到轮询")
        assert [u.message.text for u in await bot.get_updates()] == ["回到轮询"]
        assert received.empty()
    finally:
        await runner.cleanup()


# ----------------------------------------------------------------------------- full Application


async def test_real_application_echoes_and_handles_buttons(emu: BotApiEmulator) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("再说一遍", callback_data="again")]])
        await update.message.reply_text(f"你说：{update.message.text}", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("收到")
        await query.edit_message_text(f"按下了 {query.data}")

    app: Application = (ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
                        .base_file_url(emu.base_file_url).build())
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.01, timeout=1)
        try:
            emu.user_sends_text(ALICE, "企业如何申报？")
            reply = await emu.wait_for_message(ALICE, "你说", timeout=5)
            assert reply.text == "你说：企业如何申报？"
            assert emu.buttons(reply) == [("再说一遍", "again")]

            press = emu.user_presses_button(ALICE, reply.message_id, "again")
            edited = await emu.wait_for_message(ALICE, lambda m: m.edits > 0, timeout=5)
            assert edited.message_id == reply.message_id
            assert edited.text == "按下了 again" and emu.buttons(edited) == []
            answer = await emu.wait_for_callback_answer(press["callback_query"]["id"], 5)
            assert answer.text == "收到" and answer.data == "again"
            assert emu.answered_callbacks == [answer]
        finally:
            await app.updater.stop()
            await app.stop()
    await emu.wait_until_idle(quiet=0.01, timeout=3)
    assert emu.pending_updates() == []  # the updater confirmed everything on shutdown


def test_run_in_thread_serves_a_bot_on_another_loop() -> None:
    with BotApiEmulator(token=TOKEN).run_in_thread() as emu:
        assert emu._thread is not None and emu._thread.is_alive()

        async def talk() -> str:
            async with Bot(TOKEN, base_url=emu.base_url) as client:
                emu.user_sends_text(ALICE, "线程里好")
                (update,) = await client.get_updates(timeout=1)
                await client.send_message(ALICE, f"回：{update.message.text}")
                return (await emu.wait_for_message(ALICE, after=0, timeout=5)).text

        assert asyncio.run(talk()) == "回：线程里好"
        worker = threading.Thread(target=lambda: emu.user_sends_text(BOB, "from another thread"))
        worker.start()
        worker.join()
        assert emu.pending_updates()[-1]["message"]["text"] == "from another thread"
        thread = emu._thread
    assert not thread.is_alive()
