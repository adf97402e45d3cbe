"""Staff keep the knowledge base current: upload policy files, list them, retire or restore."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from core import texts
from bot.render import html
from core.markup import fmt, join, lit
from bot.services import TepaiContext
from handlers.common import send_html, staff_only
from knowledge.documents import STATUS_RETIRED, file_sha256
from knowledge.index import IndexBusy
from knowledge.metadata import LABELS, InvalidValue, field_name
from knowledge.readers import SUPPORTED_SUFFIXES, unsupported_reason

log = logging.getLogger(__name__)

MAX_UPLOAD = 20 * 1024 * 1024  # what a bot may download through the Bot API


def safe_filename(name: str) -> str:
    """A file name that cannot leave the uploads folder."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f/:*?\"<>|]", "_", base).strip(" .") or "document"
    return base[:120]


async def receive_document(update: Update, context: TepaiContext) -> None:
    """A file from staff is indexed; from anyone else it is politely refused."""
    message = update.effective_message
    document = message.document
    if not await context.services.is_staff(update.effective_user.id):
        await message.reply_text(texts.FILE_NOT_FOR_YOU)
        return
    from handlers.broadcast import attach_document

    if await attach_document(update, context):  # a file while composing an announcement is its attachment
        return
    name = safe_filename(document.file_name or "document")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        await message.reply_text(texts.DOC_UNSUPPORTED.format(reason=unsupported_reason(Path(name).suffix)))
        return
    if (document.file_size or 0) > MAX_UPLOAD:
        await message.reply_text(texts.DOC_TOO_BIG)
        return
    services = context.services
    status = await message.reply_text(texts.DOC_RECEIVED.format(name=name))
    uploads = services.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    partial = uploads / f".{uuid.uuid4().hex}.part"
    file = await document.get_file()
    await file.download_to_drive(partial)
    target = await asyncio.to_thread(_store_by_content, partial, uploads, name)
    # Parsing and embedding take seconds (a hostile file up to the parse time limit):
    # they run as a task of their own, so this staff member's chat is not held
    # behind them (updates of one user are processed in order).
    context.application.create_task(_index_upload(services, status, name, target), update=update)


def _store_by_content(partial: Path, uploads: Path, name: str) -> Path:
    """Keep an upload under its content hash: two files named 通知.md never replace each other.

    The same content uploaded again (under any name) is the same file, so re-sending
    a document is "未变", not a second copy.
    """
    digest = file_sha256(partial)
    folder = uploads / digest[:16]
    folder.mkdir(exist_ok=True)
    existing = next((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")), None)
    if existing is not None and file_sha256(existing) == digest:
        partial.unlink()
        return existing
    target = folder / name
    partial.replace(target)  # a half-downloaded file is never indexed
    return target


async def _index_upload(services, status, name: str, target: Path) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    last_stage: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "embedding" and "embedding" not in last_stage:
            last_stage.append("embedding")
            asyncio.run_coroutine_threadsafe(
                _edit(status, texts.DOC_PROGRESS.format(name=name, stage="正在计算向量")), loop)

    try:
        async with services.index_lock:
            report = await asyncio.to_thread(services.knowledge.index.update, [target], False, progress)
    except IndexBusy:
        await _edit(status, texts.DOC_BUSY)
        return
    except Exception:
        log.exception("indexing upload %s failed", name)
        await _edit(status, texts.DOC_FAILED.format(name=name, reason=texts.DOC_INTERNAL))
        return
    failed = [f for f in report.files if f.outcome == "failed"]
    if failed:
        # A refused file is not kept: nothing of it is indexed, and a bomb should not sit on disk.
        await asyncio.to_thread(_discard, target)
        await _edit(status, texts.DOC_FAILED.format(name=name, reason=failed[0].reason))
        return
    await _edit(status, texts.DOC_DONE.format(name=name, added=report.added, updated=report.updated,
                                              skipped=report.skipped, chunks=report.chunks))


def _discard(target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        target.parent.rmdir()
    except OSError:
        pass


async def _edit(message, text: str) -> None:  # type: ignore[no-untyped-def]
    try:
        await message.edit_text(text)
    except BadRequest:  # "message is not modified" and friends
        pass


def _doc_keyboard(docs) -> InlineKeyboardMarkup | None:  # type: ignore[no-untyped-def]
    buttons = []
    for n, doc in enumerate(docs, 1):
        if doc.status == STATUS_RETIRED:
            buttons.append(InlineKeyboardButton(texts.BUTTON_RESTORE.format(n=n), callback_data=f"doc:c:{doc.sha256[:16]}"))
        else:
            buttons.append(InlineKeyboardButton(texts.BUTTON_RETIRE.format(n=n), callback_data=f"doc:r:{doc.sha256[:16]}"))
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(rows) if rows else None


def _docs_text(docs) -> str:  # type: ignore[no-untyped-def]
    lines = [fmt(texts.DOCS_HEADER, count=len(docs))]
    for n, doc in enumerate(docs, 1):
        lines.append(fmt(texts.DOCS_ITEM, n=n, title=doc.title, status=texts.doc_summary(doc), issuer=""))
    lines += ["", lit(texts.DOCS_SET_HINT)]
    return html(join("\n", lines))


@staff_only
async def list_docs(update: Update, context: TepaiContext) -> None:
    """Every document with its validity, buttons to retire or restore; `/docs set` corrects."""
    if context.args and context.args[0].lower() in ("set", "设置", "修改"):
        await set_doc_metadata(update, context, context.args[1:])
        return
    docs = context.services.knowledge.index.documents()[:30]
    if not docs:
        await update.effective_message.reply_text(texts.DOCS_EMPTY)
        return
    await send_html(context, update.effective_chat.id, _docs_text(docs), _doc_keyboard(docs))


async def set_doc_metadata(update: Update, context: TepaiContext, args: list[str]) -> None:
    """/docs set N 字段 值 — a correction that outlives re-indexing (staff only, checked by the caller)."""
    message = update.effective_message
    if len(args) < 3:
        await message.reply_text(texts.DOCS_SET_USAGE)
        return
    ref, field_word, value = args[0], args[1], " ".join(args[2:])
    index = context.services.knowledge.index
    docs = index.documents()
    doc = docs[int(ref) - 1] if ref.isdigit() and 0 < int(ref) <= len(docs) else None
    if doc is None:
        await message.reply_text(texts.DOCS_NO_SUCH_DOC.format(ref=ref[:20]))
        return
    name = field_name(field_word)
    if name is None:
        await message.reply_text(texts.DOCS_NO_SUCH_FIELD.format(field=field_word[:20]))
        return
    value = None if value.strip() in ("-", "—", "清除", "恢复") else value
    try:
        async with context.services.index_lock:
            updated = await asyncio.to_thread(index.set_metadata, doc.key, {name: value})
    except InvalidValue as exc:
        await message.reply_text(texts.DOCS_BAD_VALUE.format(reason=exc.reason))
        return
    except IndexBusy:
        await message.reply_text(texts.DOC_BUSY)
        return
    except KeyError:  # removed by another process between listing and setting
        await message.reply_text(texts.DOCS_NO_SUCH_DOC.format(ref=ref[:20]))
        return
    change = texts.DOCS_CLEARED if value is None else texts.DOC_META_ITEM.format(label=LABELS[name], value=value)
    await message.reply_text(texts.DOCS_UPDATED.format(title=updated.title, changes=change) + "\n"
                             + texts.doc_summary(updated))


@staff_only
async def change_status(update: Update, context: TepaiContext) -> None:
    """Retire (never cited again) or restore a document."""
    query = update.callback_query
    _, action, digest = ((query.data or "").split(":", 2) + ["", ""])[:3]  # a forged `doc:r` too
    index = context.services.knowledge.index
    doc = next((d for d in index.documents() if d.sha256.startswith(digest)), None) if len(digest) == 16 else None
    if doc is None or action not in ("r", "c"):
        await query.answer(texts.STALE_BUTTON, show_alert=True)
        return
    try:
        async with context.services.index_lock:
            if action == "r":
                await asyncio.to_thread(index.set_status, doc.key, STATUS_RETIRED)
            else:
                await asyncio.to_thread(index.restore, doc.key)
    except IndexBusy:
        await query.answer(texts.DOC_BUSY, show_alert=True)
        return
    await query.answer(texts.DOC_RETIRED.format(title=doc.title) if action == "r" else texts.DOC_RESTORED.format(title=doc.title))
    docs = index.documents()[:30]
    try:
        await query.edit_message_text(_docs_text(docs), parse_mode="HTML", reply_markup=_doc_keyboard(docs))
    except BadRequest:
        pass


def register(application: Application) -> None:
    application.add_handler(CommandHandler("docs", list_docs))
    application.add_handler(CallbackQueryHandler(change_status, pattern=r"^doc:"))
    application.add_handler(MessageHandler(filters.Document.ALL, receive_document))
