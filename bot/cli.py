"""The `tepai` command line.

Exit codes (stable, scripts rely on them):
  0  success — for `ask`, the question was answered or honestly declined
  1  unexpected internal error (details on stderr, never a traceback to users)
  2  invalid input or usage (empty, too long, or no text in the question)
  3  invalid or missing setting (the message names it)
  4  knowledge base unavailable (another process is indexing, or indexing failed)
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot import texts
from bot.settings import Settings, SettingsError, load_settings

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_SETTINGS, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4

log = logging.getLogger("tepai")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tepai", description="企业科技特派员专项行动政策助手")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="索引政策文件（不带路径时索引内置语料）")
    index.add_argument("paths", nargs="*", type=Path, help="文件或目录：.txt .md .docx .pdf .html")
    index.add_argument("--prune", action="store_true", help="移除源文件已不存在的文档")
    index.add_argument("--json", action="store_true", help="输出 JSON 摘要")

    ask = sub.add_parser("ask", help="根据政策文件回答问题")
    ask.add_argument("question", nargs="?", help="问题；省略且带 --json 时从标准输入逐行读取")
    ask.add_argument("--json", action="store_true", help="输出 JSON")

    run = sub.add_parser("run", help="启动机器人；未设置 TELEGRAM_BOT_TOKEN 时打开终端对话")
    run.add_argument("--webhook", metavar="URL", help="用 webhook 代替长轮询（公网 HTTPS 地址）")

    chat = sub.add_parser("chat", help="终端对话：同一套机器人，连接本地 Bot API 模拟器")
    chat.add_argument("--as", dest="role", choices=["enterprise", "specialist", "staff"], default="enterprise")
    chat.add_argument("--user", type=int, default=10001, help="模拟的 Telegram 用户 ID")
    chat.add_argument("--name", default=None, help="显示名")

    staff = sub.add_parser("staff", help="管理科技局工作人员")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    for action in ("add", "remove"):
        cmd = staff_sub.add_parser(action)
        cmd.add_argument("telegram_id", type=int)
        if action == "add":
            cmd.add_argument("--note", default=None)
    staff_sub.add_parser("list")

    unanswered = sub.add_parser("unanswered", help="未答复/转人工问题")
    unanswered_sub = unanswered.add_subparsers(dest="action", required=True)
    export = unanswered_sub.add_parser("export")
    export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--output", type=Path, default=None)
    export.add_argument("--all", action="store_true", help="包括已答复的")

    campaign = sub.add_parser("campaign", help="年度需求调查：开启、关闭、查看")
    campaign_sub = campaign.add_subparsers(dest="action", required=True)
    for action in ("open", "close"):
        campaign_sub.add_parser(action).add_argument("year", type=int)
    campaign_sub.add_parser("list")

    survey_cmd = sub.add_parser("survey", help="需求调查")
    survey_sub = survey_cmd.add_subparsers(dest="action", required=True)
    survey_export = survey_sub.add_parser("export", help="导出（每家企业一行，中文表头）")
    survey_export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    survey_export.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    survey_export.add_argument("--output", type=Path, default=None)

    specialists = sub.add_parser("specialists", help="科技特派员库")
    specialists_sub = specialists.add_subparsers(dest="action", required=True)
    specialists_sub.add_parser("import", help="导入 CSV / XLSX / JSONL（按 id 新增或更新）").add_argument("file", type=Path)

    match = sub.add_parser("match", help="为需求推荐特派员")
    match.add_argument("--json", action="store_true", required=True, help="JSON 输入输出（每行一个需求）")
    match.add_argument("--top", type=int, default=10)
    match.add_argument("--text", default=None, help="一条自由文本需求")

    assign_cmd = sub.add_parser("assign", help="为一个年度的全部需求提出特派员分配方案")
    assign_cmd.add_argument("--campaign", type=int, required=True, metavar="YEAR")
    assign_cmd.add_argument("--min-affinity", type=float, default=None)
    assign_cmd.add_argument("--alternates", type=int, default=3)
    assign_cmd.add_argument("--json", action="store_true")

    stats = sub.add_parser("stats", help="科技特派员覆盖率（对照 2027 年 50%%、2030 年全覆盖目标）")
    stats.add_argument("--json", action="store_true", help="输出 JSON 报告")
    stats.add_argument("--campaign", type=int, default=None, metavar="YEAR", help="只统计该年度的需求调查")

    enterprises = sub.add_parser("enterprises", help="入库科技型中小企业名录")
    enterprises_sub = enterprises.add_subparsers(dest="action", required=True)
    enterprises_sub.add_parser("import", help="导入 CSV / XLSX（按信用代码新增或更新）").add_argument("file", type=Path)

    broadcast = sub.add_parser("broadcast", help="发布公告：tepai broadcast --segment 范围 --text-file 正文文件 [--at 时间]；"
                                                 "tepai broadcast status ID；tepai broadcast cancel ID")
    broadcast.add_argument("action", nargs="?", choices=["status", "cancel", "list"], help="查看进度 / 取消 / 最近的公告")
    broadcast.add_argument("id", nargs="?", type=int, help="公告编号")
    broadcast.add_argument("--segment", help="all、enterprises、specialists、district:区县、field:产业领域、"
                                             "unsubmitted、matched、unmatched")
    broadcast.add_argument("--text-file", type=Path, help="公告正文（UTF-8，支持 Telegram HTML）")
    broadcast.add_argument("--document", type=Path, help="附件（可选；正文作为附件说明，最多 1024 字）")
    broadcast.add_argument("--at", help="定时发送，北京时间，如 \"2026-12-01 09:00\"")
    broadcast.add_argument("--json", action="store_true", help="输出 JSON")

    conflicts = sub.add_parser("conflicts", help="利益冲突：登记后该特派员不再与该企业配对")
    conflicts_sub = conflicts.add_subparsers(dest="action", required=True)
    for action, helptext in (("add", "登记"), ("remove", "取消登记")):
        cmd = conflicts_sub.add_parser(action, help=helptext)
        cmd.add_argument("credit_code", help="企业统一社会信用代码")
        cmd.add_argument("specialist", help="特派员编号（#12 / 12）或导入时的外部编号")
    conflicts_sub.add_parser("list", help="查看已登记的冲突")

    db = sub.add_parser("db", help="数据库")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("upgrade", help="应用数据库迁移")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_SETTINGS
    try:
        if args.command == "index":
            return cmd_index(settings, args.paths, args.prune, args.json)
        if args.command == "ask":
            return cmd_ask(settings, args.question, args.json)
        if args.command == "run":
            return cmd_run(settings, args.webhook)
        if args.command == "chat":
            from bot.terminal import run_chat

            return run_chat(settings, role=args.role, user_id=args.user, name=args.name)
        if args.command == "staff":
            return cmd_staff(settings, args.action, getattr(args, "telegram_id", None), getattr(args, "note", None))
        if args.command == "unanswered":
            return cmd_unanswered_export(settings, args.format, args.output, args.all)
        if args.command == "campaign":
            return cmd_campaign(settings, args.action, getattr(args, "year", None))
        if args.command == "survey":
            return cmd_survey_export(settings, args.format, args.campaign, args.output)
        if args.command == "specialists":
            return cmd_specialists_import(settings, args.file)
        if args.command == "match":
            return cmd_match(settings, args.top, args.text)
        if args.command == "assign":
            return cmd_assign(settings, args.campaign, args.min_affinity, args.alternates, args.json)
        if args.command == "stats":
            return cmd_stats(settings, args.campaign, args.json)
        if args.command == "enterprises":
            return cmd_enterprises_import(settings, args.file)
        if args.command == "broadcast":
            return cmd_broadcast(settings, args)
        if args.command == "conflicts":
            return cmd_conflicts(settings, args.action, getattr(args, "credit_code", None), getattr(args, "specialist", None))
        if args.command == "db":
            from store.db import upgrade

            upgrade(settings.db_url)
            print(texts.DB_UPGRADED)
            return EXIT_OK
    except SettingsError as exc:  # e.g. an embedding model that is not available offline
        print(str(exc), file=sys.stderr)
        return EXIT_SETTINGS
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error")
        print(texts.INTERNAL_ERROR, file=sys.stderr)
        return EXIT_ERROR
    return EXIT_INPUT


def _knowledge(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.service import open_knowledge

    return open_knowledge(settings)


def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    """A tqdm bar on a terminal's stderr; silent otherwise."""
    if not enabled or not sys.stderr.isatty():
        return None, lambda *_: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="文件", file=sys.stderr, leave=False)

    def progress(label: str, done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.set_description(label[:30])
        bar.refresh()

    return bar, progress


def cmd_index(settings: Settings, paths: list[Path], prune: bool, as_json: bool) -> int:
    from knowledge.index import BUNDLED_CORPUS, IndexBusy

    kb = _knowledge(settings)
    bar, progress = _progress_bar(not as_json)
    try:
        report = kb.index.update(paths or [BUNDLED_CORPUS], prune=prune, progress=progress)
    except IndexBusy:
        print(texts.INDEX_BUSY, file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for item in report.files:
            if item.outcome == "failed":
                print(texts.INDEX_FAILED_FILE.format(path=item.path, reason=item.reason), file=sys.stderr)
        print(texts.INDEX_SUMMARY.format(**{k: getattr(report, k) for k in
                                            ("added", "updated", "skipped", "failed", "pruned", "chunks")}))
    return EXIT_OK


def ensure_index(kb, quiet: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Index the bundled corpus when no index exists yet (first run)."""
    from knowledge.index import BUNDLED_CORPUS

    if kb.index.snapshot() is None:
        if not quiet:
            print(texts.INDEXING_BUNDLED, file=sys.stderr)
        kb.index.update([BUNDLED_CORPUS])


def answer_payload(answerer, question: str) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    """The stable JSON object for one question, and the exit code it implies."""
    from knowledge.answers import MAX_QUESTION_CHARS, InvalidQuestion

    try:
        answer = answerer.answer(question)
    except InvalidQuestion as exc:
        return (
            {"answered": False, "answer": texts.invalid_question(exc.code, MAX_QUESTION_CHARS),
             "draft": False, "citations": [], "error": exc.code},
            EXIT_INPUT,
        )
    payload = {
        "answered": answer.answered,
        "answer": texts.render_answer(answer),
        "draft": answer.draft,
        "citations": [
            {"doc": c.doc, "section": c.section, "text": c.text, "score": c.score} for c in answer.citations
        ],
    }
    return payload, EXIT_OK


def _answerer(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.answers import Answerer

    kb = _knowledge(settings)
    ensure_index(kb)
    return Answerer(kb.retriever, settings.min_confidence, generator=_generator(settings))


def _generator(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.answer_mode != "generative":
        return None
    from knowledge.generative import Generator

    return Generator.from_settings(settings)


def cmd_ask(settings: Settings, question: str | None, as_json: bool, stdin: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    if question is None and not as_json:
        print("请给出问题，例如：tepai ask \"到2027年特派员覆盖率目标是多少？\"", file=sys.stderr)
        return EXIT_INPUT
    answerer = _answerer(settings)
    if question is not None:
        payload, code = answer_payload(answerer, question)
        print(json.dumps(payload, ensure_ascii=False) if as_json else payload["answer"])
        return code
    # Batch: one question per line, one JSON object per line; the model loads once.
    for line in stdin:
        payload, _ = answer_payload(answerer, line.rstrip("\n"))
        print(json.dumps(payload, ensure_ascii=False), flush=True)
    return EXIT_OK


def cmd_run(settings: Settings, webhook: str | None = None) -> int:
    """The Telegram bot with a token (polling, or webhook); otherwise the terminal chat."""
    if not settings.telegram_bot_token:
        if webhook:
            print(texts.WEBHOOK_NEEDS_TOKEN, file=sys.stderr)
            return EXIT_SETTINGS
        from bot.terminal import run_chat

        print(texts.NO_TOKEN_CHAT, file=sys.stderr)
        return run_chat(settings)
    from telegram import Update

    from bot.app import build_application, webhook_options

    application = build_application(settings)
    if webhook:
        if not settings.webhook_secret:
            print(texts.WEBHOOK_NEEDS_SECRET, file=sys.stderr)
            return EXIT_SETTINGS
        application.run_webhook(**webhook_options(settings, webhook))
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return EXIT_OK


def _run_async(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.run(coro)


def cmd_broadcast(settings: Settings, args) -> int:  # type: ignore[no-untyped-def]
    """Queue or schedule an announcement for the running bot's sender; progress; cancel."""
    from dataclasses import asdict

    from store import broadcasts as bc
    from store.db import Database
    from store.models import Broadcast
    from store.validators import ValidationError

    def show(broadcast: Broadcast, progress: bc.Progress) -> None:
        if args.json:
            print(json.dumps({**asdict(progress), "segment": broadcast.segment, "scheduled_at":
                              broadcast.scheduled_at.isoformat() if broadcast.scheduled_at else None},
                             ensure_ascii=False))
            return
        from bot.broadcaster import progress_text
        from bot.render import html_to_plain

        print(html_to_plain(progress_text(broadcast, progress)))

    async def work() -> int:
        async with Database.opened(settings.db_url) as db, db.session() as session, session.begin():
            if args.action in ("status", "cancel") and args.id is None:
                print(texts.BROADCAST_CANCEL_USAGE.replace("/broadcast_cancel", f"tepai broadcast {args.action}"),
                      file=sys.stderr)
                return EXIT_INPUT
            if args.action == "list":
                for broadcast in await bc.recent(session, 20):
                    show(broadcast, await bc.progress(session, broadcast))
                return EXIT_OK
            if args.action == "status":
                broadcast = await session.get(Broadcast, args.id)
                if broadcast is None or broadcast.status == "draft":
                    print(texts.BROADCAST_UNKNOWN.format(id=args.id), file=sys.stderr)
                    return EXIT_INPUT
                show(broadcast, await bc.progress(session, broadcast))
                return EXIT_OK
            if args.action == "cancel":
                remaining = 0
                existing = await session.get(Broadcast, args.id)
                if existing is not None:
                    remaining = (await bc.progress(session, existing)).remaining
                broadcast, changed = await bc.cancel(session, args.id)
                if broadcast is None:
                    print(texts.BROADCAST_UNKNOWN.format(id=args.id), file=sys.stderr)
                    return EXIT_INPUT
                if not changed:
                    print(texts.BROADCAST_ALREADY_OVER.format(
                        id=args.id, state=texts.BROADCAST_STATES.get(broadcast.status, broadcast.status)), file=sys.stderr)
                    return EXIT_INPUT
                print(texts.BROADCAST_CANCELLED.format(id=args.id, count=remaining))
                return EXIT_OK
            if args.segment is None or args.text_file is None:
                print(texts.BROADCAST_CLI_NEEDS, file=sys.stderr)
                return EXIT_INPUT
            try:
                segment = bc.parse_segment(args.segment)
                raw = args.text_file.read_bytes()
                try:
                    body = raw.decode("utf-8-sig")
                except UnicodeDecodeError as exc:
                    raise ValidationError(texts.BROADCAST_FILE_UNREADABLE.format(reason=f"不是 UTF-8 文本（{exc.reason}）"))
                document = None
                if args.document is not None:
                    document = args.document.resolve()
                    if not document.is_file() or document.stat().st_size > 50 * 1024 * 1024:
                        raise ValidationError(texts.BROADCAST_FILE_UNREADABLE.format(reason=str(args.document)))
                text = bc.check_text(body, with_document=document is not None)
                from bot.render import check_html

                check_html(text)
                at = bc.parse_time(args.at) if args.at else None
                broadcast, count = await bc.create(session, text=text, segment=segment, scheduled_at=at,
                                                   document_path=str(document) if document else None,
                                                   document_name=document.name if document else None,
                                                   staff=frozenset(settings.staff_ids))
            except OSError as exc:
                print(texts.BROADCAST_FILE_UNREADABLE.format(reason=exc.strerror or exc), file=sys.stderr)
                return EXIT_INPUT
            except ValidationError as exc:
                print(exc.message, file=sys.stderr)
                return EXIT_INPUT
            label = bc.segment_label(segment)
            if args.json:
                print(json.dumps({"id": broadcast.id, "status": broadcast.status, "recipients": count,
                                  "segment": segment, "scheduled_at": at.isoformat() if at else None}, ensure_ascii=False))
            elif at is not None:
                print(texts.BROADCAST_CLI_SCHEDULED.format(id=broadcast.id, at=bc.beijing(at), count=count, segment=label))
            else:
                print(texts.BROADCAST_CLI_QUEUED.format(id=broadcast.id, count=count, segment=label))
            return EXIT_OK

    return _run_async(work())


def cmd_conflicts(settings: Settings, action: str, credit_code: str | None, ref: str | None) -> int:
    """Conflicts from the shell. Unlike /conflict in the chat, an invitation already waiting for
    the specialist's answer is left as it is (the shell cannot message anyone): it is reported."""
    from sqlalchemy import select

    from store import engagements as eng
    from store.db import Database
    from store.models import Engagement, Enterprise
    from store.validators import ValidationError, unified_credit_code

    async def work() -> int:
        async with Database.opened(settings.db_url) as db, db.session() as session, session.begin():
            if action == "list":
                rows = await eng.conflicts(session, limit=100_000)
                for _, enterprise, specialist in rows:
                    print(f"{enterprise.credit_code}\t{enterprise.name}\t#{specialist.id}\t{specialist.name}")
                if not rows:
                    print(texts.CONFLICT_NONE)
                return EXIT_OK
            try:
                code = unified_credit_code(credit_code)
            except ValidationError as exc:
                print(exc.message, file=sys.stderr)
                return EXIT_INPUT
            enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
            specialist = await eng.find_specialist(session, ref or "")
            if enterprise is None or specialist is None:
                print(texts.CONFLICT_UNKNOWN_ENTERPRISE.format(code=code) if enterprise is None
                      else texts.CONFLICT_UNKNOWN_SPECIALIST.format(ref=ref), file=sys.stderr)
                return EXIT_INPUT
            who = f"#{specialist.id} {specialist.name}"
            if action == "remove":
                removed = await eng.remove_conflict(session, enterprise.id, specialist.id)
                print(texts.CONFLICT_REMOVED.format(specialist=who, enterprise=enterprise.name) if removed
                      else texts.CONFLICT_NOT_FOUND)
                return EXIT_OK if removed else EXIT_INPUT
            waiting = await session.scalar(select(Engagement.id).where(
                Engagement.enterprise_id == enterprise.id, Engagement.specialist_id == specialist.id,
                Engagement.status == "proposed"))
            existing, _ = await eng.add_conflict(session, enterprise.id, specialist.id, withdraw=False)
            print(texts.CONFLICT_EXISTS.format(reason=texts.BLOCK_REASONS.get(existing.reason, existing.reason))
                  if existing else texts.CONFLICT_ADDED.format(specialist=who, enterprise=enterprise.name))
            if waiting is not None and existing is None:
                print(texts.CONFLICT_CLI_WAITING.format(id=waiting))
            return EXIT_OK

    return _run_async(work())


def cmd_staff(settings: Settings, action: str, telegram_id: int | None, note: str | None) -> int:
    from store import repositories as repo
    from store.db import Database

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session, session.begin():
                if action == "add":
                    added = await repo.add_staff(session, telegram_id, note)
                    print((texts.STAFF_ADDED if added else texts.STAFF_EXISTS).format(id=telegram_id))
                elif action == "remove":
                    removed = await repo.remove_staff(session, telegram_id)
                    print((texts.STAFF_REMOVED if removed else texts.STAFF_MISSING).format(id=telegram_id))
                    if telegram_id in settings.staff_ids:
                        print(texts.STAFF_IN_ENV.format(id=telegram_id))
                else:
                    grants = await repo.list_staff(session)
                    for staff_id in sorted(settings.staff_ids):
                        print(f"{staff_id}\tTEPAI_STAFF_IDS")
                    for grant in grants:
                        print(f"{grant.telegram_id}\t{grant.note or ''}")
                    if not grants and not settings.staff_ids:
                        print(texts.STAFF_NONE)
            return EXIT_OK

    return _run_async(work())


def cmd_unanswered_export(settings: Settings, fmt: str, output: Path | None, include_all: bool) -> int:
    from store import repositories as repo
    from store.db import Database
    from store.exports import HANDOFF_COLUMNS, handoff_rows, write_table

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session:
                items = await repo.list_handoffs(session, status=None if include_all else "open", limit=None)
            path = output or Path(f"unanswered.{fmt}")
            write_table(path, HANDOFF_COLUMNS, handoff_rows(items), fmt, sheet="未答复问题")
            print(texts.EXPORTED.format(count=len(items), path=path))
            return EXIT_OK

    return _run_async(work())


def cmd_campaign(settings: Settings, action: str, year: int | None) -> int:
    from store import survey
    from store.db import Database

    if year is not None and not 2000 <= year <= 2100:
        print(texts.CAMPAIGN_BAD, file=sys.stderr)
        return EXIT_INPUT

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session, session.begin():
                if action == "list":
                    items = await survey.campaigns(session)
                    for item in items:
                        print(texts.CAMPAIGN_LINE.format(year=item.year, status=texts.CAMPAIGN_STATES[item.status]))
                    if not items:
                        print(texts.CAMPAIGN_NONE)
                    return EXIT_OK
                await survey.set_campaign(session, year, "open" if action == "open" else "closed")
            print((texts.CAMPAIGN_OPENED if action == "open" else texts.CAMPAIGN_CLOSED).format(year=year))
            return EXIT_OK

    return _run_async(work())


def cmd_survey_export(settings: Settings, fmt: str, year: int, output: Path | None) -> int:
    from store import survey
    from store.db import Database
    from store.exports import write_table

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session:
                submissions = await survey.current_submissions(session, year)
            path = output or Path(f"survey-{year}.{fmt}")
            write_table(path, survey.EXPORT_COLUMNS, survey.export_rows(submissions), fmt, sheet=f"{year}需求调查")
            print(texts.EXPORTED.format(count=len(submissions), path=path))
            return EXIT_OK

    return _run_async(work())


def _match_index(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.embeddings import make_embeddings
    from knowledge.matching import MatchIndex
    from knowledge.vectors import open_client

    return MatchIndex.open(make_embeddings(settings.embedding), open_client(settings.chroma_dir, settings.chroma_url),
                           settings.embedding)


def cmd_specialists_import(settings: Settings, path: Path) -> int:
    from store.db import Database
    from store.specialists import UnreadableFile, import_file, sync_index

    bar, progress = _progress_bar(True)

    async def work() -> int:
        db = Database.open(settings.db_url)
        try:
            async with db.session() as session, session.begin():
                report, touched = await import_file(session, path, progress=lambda n: progress("导入", n, n))
                # Vectors first, then commit: a failure leaves neither half-written.
                sync_index(_match_index(settings), touched)
        except UnreadableFile as exc:
            print(f"{path}：{exc}", file=sys.stderr)
            return EXIT_INPUT
        finally:
            await db.close()
            if bar is not None:
                bar.close()
        for line, reason in report.errors:
            print(texts.IMPORT_ERROR_LINE.format(line=line, reason=reason), file=sys.stderr)
        print(texts.IMPORT_SUMMARY.format(added=report.added, updated=report.updated, errors=len(report.errors)))
        return EXIT_OK

    return _run_async(work())


def cmd_match(settings: Settings, top: int, text: str | None, stdin: TextIO | None = None) -> int:
    """Stable contract: one JSON line per demand, `{"matches": [{"id", "name", "score", "reason"}]}`."""
    from knowledge.matching import Demand

    index = _match_index(settings)
    if index.store.count() == 0:
        print(texts.MATCH_NO_SPECIALISTS, file=sys.stderr)
        return EXIT_UNAVAILABLE
    top = max(1, min(top, 100))

    def emit(demand: Demand) -> None:
        matches = index.match(demand, top)
        payload = {"matches": [{"id": m.id, "name": m.name, "score": m.score, "reason": texts.match_reason(m)}
                               for m in matches]}
        print(json.dumps(payload, ensure_ascii=False), flush=True)

    if text is not None:
        emit(Demand(description=text))
        return EXIT_OK
    code = EXIT_OK
    for line in stdin or sys.stdin:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            print(json.dumps({"matches": [], "error": f"invalid demand: {exc}"}, ensure_ascii=False), flush=True)
            code = EXIT_INPUT
            continue
        emit(Demand.from_mapping(data))
    return code


def cmd_assign(settings: Settings, year: int, min_affinity: float | None, alternates: int, as_json: bool) -> int:
    from store.assignments import DEFAULT_MIN_AFFINITY, propose
    from store.db import Database

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session:
                proposal = await propose(session, _match_index(settings), year,
                                         DEFAULT_MIN_AFFINITY if min_affinity is None else min_affinity,
                                         max(0, alternates))
        result = proposal.assignment
        if as_json:
            print(json.dumps({
                "campaign": year, "served": result.served, "total_affinity": round(result.total_affinity, 4),
                "pairs": [{"demand": p.demand_id, "enterprise": proposal.demand_names.get(p.demand_id),
                           "specialist": p.specialist_id, "affinity": round(p.affinity, 4), "alternates": p.alternates}
                          for p in result.pairs],
                "manual_review": [{"demand": d, "reason": result.reasons.get(d)} for d in result.manual_review],
            }, ensure_ascii=False))
            return EXIT_OK
        total = result.served + len(result.manual_review)
        print(texts.ASSIGN_SUMMARY.format(year=year, served=result.served, total=total,
                                          affinity=result.total_affinity, manual=len(result.manual_review)))
        for pair in result.lowest(5):
            print(texts.ASSIGN_LOW_PAIR.format(enterprise=proposal.demand_names.get(pair.demand_id, pair.demand_id),
                                               specialist=proposal.specialist_names.get(pair.specialist_id, pair.specialist_id),
                                               affinity=pair.affinity))
        for demand in result.manual_review:
            print(texts.ASSIGN_MANUAL.format(enterprise=proposal.demand_names.get(demand, demand),
                                             reason=texts.ASSIGN_REASONS.get(result.reasons.get(demand, ""), "")))
        return EXIT_OK

    return _run_async(work())


def cmd_stats(settings: Settings, year: int | None, as_json: bool) -> int:
    """Stable contract: the JSON report documented in store/coverage.py."""
    from store.coverage import coverage, summary_text
    from store.db import Database

    if year is not None and not 2000 <= year <= 2100:
        print(texts.CAMPAIGN_BAD, file=sys.stderr)
        return EXIT_INPUT

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session:
                report = await coverage(session, year)
        print(json.dumps(report, ensure_ascii=False) if as_json else summary_text(report, html=False))
        return EXIT_OK

    return _run_async(work())


def cmd_enterprises_import(settings: Settings, path: Path) -> int:
    from store.coverage import UnreadableRoster, import_roster
    from store.db import Database

    async def work() -> int:
        db = Database.open(settings.db_url)
        try:
            async with db.session() as session, session.begin():
                report = await import_roster(session, path)
        except UnreadableRoster as exc:
            print(f"{path}：{exc}", file=sys.stderr)
            return EXIT_INPUT
        finally:
            await db.close()
        for line, reason in report.errors:
            print(texts.IMPORT_ERROR_LINE.format(line=line, reason=reason), file=sys.stderr)
        print(texts.ROSTER_SUMMARY.format(added=report.added, updated=report.updated, unchanged=report.unchanged,
                                          errors=len(report.errors), total=report.total))
        return EXIT_OK

    return _run_async(work())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
