"""The `tepai` command line.

Exit codes (stable, scripts rely on them):
  0  success — for `ask`, the question was answered or honestly declined
  1  unexpected internal error (details on stderr, never a traceback to users)
  2  invalid input or usage (empty, too long, or no text in the question)
  3  invalid or missing setting (the message names it)
  4  knowledge base or database unavailable (another process is indexing, indexing failed, or
     the database stayed busy / unreachable; nothing was changed)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from core import texts
from bot.settings import Settings, SettingsError, load_settings
from knowledge.config import ConfigError

from bot.cli_common import (EXIT_ERROR, EXIT_INPUT, EXIT_OK, EXIT_SETTINGS, EXIT_UNAVAILABLE, _answerer, _knowledge,  # noqa: F401
                            _progress_bar, _run_async, ensure_index, log)


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

    chat = sub.add_parser("chat", help="终端对话：连接正在运行的 tepai emulator（多人）；没有时单人对话")
    chat.add_argument("--as", dest="person", metavar="NAME", default=None,
                      help="以这个名字对话（每个名字固定一个用户编号）；enterprise、specialist、staff 表示身份")
    chat.add_argument("--user-id", "--user", dest="user", type=int, default=None, help="模拟的 Telegram 用户编号")
    chat.add_argument("--name", default=None, help="显示名")

    emulator = sub.add_parser("emulator", help="本地模拟 Telegram 与机器人（仅 127.0.0.1），供多个 tepai chat 同时连接")
    emulator.add_argument("--staff", action="append", default=[], metavar="NAME|ID",
                          help="本次运行中作为工作人员的名字或用户编号（可重复）")
    emulator.add_argument("--port", type=int, default=0, help="监听端口（默认自动选择）")

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
    broadcast.add_argument("action", nargs="?", choices=["status", "cancel", "resend", "list"],
                           help="查看进度 / 取消 / 重发中断时正在发送的记录（可能重复） / 最近的公告")
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
        cmd.add_argument("specialist", help="特派员编号（#12）或导入时的外部编号（如 S001）")
    conflicts_sub.add_parser("list", help="查看已登记的冲突")

    from bot import cli_docs

    cli_docs.add_parser(sub)
    from bot import cli_eval

    cli_eval.add_parser(sub)

    web = sub.add_parser("web", help="网页对话：供科技局网站嵌入的政策咨询页面")
    web.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，放在反向代理之后）")
    web.add_argument("--port", type=int, default=8080, help="端口（默认 8080）")

    db = sub.add_parser("db", help="数据库")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("upgrade", help="应用数据库迁移")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `tepai` command; returns its exit code (see the module docstring).

    Callable in-process (the tests do): usage errors return 2 instead of leaving the
    interpreter, and the logging set up for the command is taken down again afterwards.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: usage error (2) or --help (0), already printed
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    with _logging_restored():
        return _main(args)


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Undo what `bot.logs.configure` does to the process-wide logging when a command ends."""
    from bot.logs import _CHATTY

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in _CHATTY}
    capturing = getattr(logging, "_warnings_showwarning", None) is not None
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        for name, was in chatty.items():
            logging.getLogger(name).setLevel(was)
        if not capturing:
            logging.captureWarnings(False)


def _main(args: argparse.Namespace) -> int:
    level = (os.environ.get("TEPAI_LOG_LEVEL") or "WARNING").strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        print(texts.BAD_LOG_LEVEL.format(value=level[:20]), file=sys.stderr)
        return EXIT_SETTINGS
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_SETTINGS
    from bot import cli_admin, cli_programme
    from bot.logs import configure

    # Detail (tracebacks, SQL with its parameters) goes to the log file, phones masked; the
    # screen gets Chinese. Only the bot server also logs to stderr, for its operator.
    serving = args.command == "run" and bool(settings.telegram_bot_token)
    log_file = configure(settings.data_dir, "INFO" if level == "WARNING" else level, console=serving)
    if serving:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setLevel(level)

    try:
        if args.command == "index":
            return cmd_index(settings, args.paths, args.prune, args.json)
        if args.command == "ask":
            return cmd_ask(settings, args.question, args.json)
        if args.command == "run":
            return cmd_run(settings, args.webhook)
        if args.command == "chat":
            return cmd_chat(settings, args.person, args.user, args.name)
        if args.command == "emulator":
            return cmd_emulator(settings, tuple(args.staff), args.port)
        if args.command == "staff":
            return cli_admin.cmd_staff(settings, args.action, getattr(args, "telegram_id", None), getattr(args, "note", None))
        if args.command == "unanswered":
            return cli_admin.cmd_unanswered_export(settings, args.format, args.output, args.all)
        if args.command == "campaign":
            return cli_admin.cmd_campaign(settings, args.action, getattr(args, "year", None))
        if args.command == "survey":
            return cli_admin.cmd_survey_export(settings, args.format, args.campaign, args.output)
        if args.command == "specialists":
            return cli_programme.cmd_specialists_import(settings, args.file)
        if args.command == "match":
            return cli_programme.cmd_match(settings, args.top, args.text)
        if args.command == "assign":
            return cli_programme.cmd_assign(settings, args.campaign, args.min_affinity, args.alternates, args.json)
        if args.command == "stats":
            return cli_programme.cmd_stats(settings, args.campaign, args.json)
        if args.command == "enterprises":
            return cli_programme.cmd_enterprises_import(settings, args.file)
        if args.command == "broadcast":
            return cli_programme.cmd_broadcast(settings, args)
        if args.command == "conflicts":
            return cli_programme.cmd_conflicts(settings, args.action, getattr(args, "credit_code", None), getattr(args, "specialist", None))
        if args.command == "docs":
            from bot import cli_docs

            return cli_docs.cmd_docs(settings, args)
        if args.command == "eval":
            from bot import cli_eval

            return cli_eval.cmd_eval(settings, args)
        if args.command == "web":
            return cmd_web(settings, args.host, args.port)
        if args.command == "db":
            from store.db import upgrade

            upgrade(settings.db_url)
            print(texts.DB_UPGRADED)
            return EXIT_OK
    except ConfigError as exc:  # e.g. an embedding model that is not available offline
        print(str(exc), file=sys.stderr)
        return EXIT_SETTINGS
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except Exception as exc:
        database_error = _database_error(exc)
        if database_error is not None:
            print(database_error, file=sys.stderr)
            return EXIT_UNAVAILABLE
        log.exception("unexpected error in `tepai %s`", args.command)
        print(texts.INTERNAL_ERROR, file=sys.stderr)
        print(texts.CLI_SEE_LOG.format(path=log_file), file=sys.stderr)
        return EXIT_ERROR
    return EXIT_INPUT


def _database_error(exc: BaseException) -> str | None:
    """The Chinese message for a database that is busy or unreachable; None for other errors.

    Logged by kind and driver message only: the statement and its parameters (phone numbers)
    never reach the terminal.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    if not isinstance(exc, DBAPIError):
        return None
    reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0][:200]
    log.info("database error (%s): %s", type(exc).__name__, reason)  # the user gets the Chinese line
    if "locked" in reason or "busy" in reason:
        return texts.DB_BUSY
    return texts.DB_UNAVAILABLE if isinstance(exc, OperationalError) else None


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
        from bot.chat_client import run_together

        print(texts.NO_TOKEN_CHAT, file=sys.stderr)
        code = run_together(settings)  # the emulator here, so others can join; this terminal is its first client
        if code is not None:
            return code
        return cmd_chat(settings, None, None, None)  # another process serves this data dir: join it
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


CHAT_ROLES = ("enterprise", "specialist", "staff")


def cmd_chat(settings: Settings, person: str | None, user_id: int | None, name: str | None) -> int:
    """A client of this data dir's `tepai emulator` if one runs; else the single-user chat."""
    import asyncio

    from bot.chat_client import connect
    from bot.chat_server import NameTaken, People
    from bot.terminal import run_chat

    role = person if person in CHAT_ROLES else None
    who = name if role is not None or person is None else person
    if who is not None and (not who.strip() or len(who) > 64 or not who.isprintable()):
        print(texts.CHAT_CLIENT_REFUSED["bad_name"], file=sys.stderr)
        return EXIT_INPUT
    if user_id is not None and user_id <= 0:
        print(texts.CHAT_CLIENT_REFUSED["bad_user_id"], file=sys.stderr)
        return EXIT_INPUT
    try:  # bytes that are not UTF-8 reach the bot as text, not as the end of the chat
        sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        pass
    try:
        code = asyncio.run(connect(settings, name=who, user_id=user_id, role=role))
    except KeyboardInterrupt:
        print("\n" + texts.BYE)
        return EXIT_OK
    if code is not None:
        return code
    if role is None and who is not None:  # a named person, alone: the same id as in the shared chat
        try:
            user_id, who = People(settings.data_dir).resolve(who, user_id)
        except NameTaken:
            print(texts.CHAT_CLIENT_REFUSED["name_taken"], file=sys.stderr)
            return EXIT_INPUT
    print(texts.CHAT_STAFF_ROLE_LOCAL, file=sys.stderr)
    return run_chat(settings, role=role or "enterprise", user_id=user_id or 10001, name=who)


def cmd_emulator(settings: Settings, staff: tuple[str, ...], port: int) -> int:
    """`tepai emulator`: the emulator and the bot on loopback, for several `tepai chat` clients."""
    from bot.chat_server import run_emulator

    if port and not 1024 <= port <= 65535:
        print(texts.EMULATOR_BAD_PORT, file=sys.stderr)
        return EXIT_INPUT
    return run_emulator(settings, staff, port)
def cmd_web(settings: Settings, host: str, port: int) -> int:
    """The web chat (bot/web/) on host:port, until Ctrl+C."""
    from bot.web.server import serve

    return serve(settings, host, port)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
