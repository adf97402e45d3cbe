"""`tepai docs list|set`: see and correct each document's validity metadata.

Corrections are kept in the index beside what was read from the file and survive
re-indexing, exactly as a document retired in `/docs` stays retired.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import texts
from bot.settings import Settings

EXIT_OK, EXIT_INPUT, EXIT_UNAVAILABLE = 0, 2, 4

# CLI option → metadata field
_OPTIONS = {"title": "title", "issuer": "issuer", "number": "doc_number", "date": "date",
            "effective": "effective", "status": "status", "amended_by": "amended_by"}


def add_parser(sub) -> None:  # type: ignore[no-untyped-def]
    docs = sub.add_parser("docs", help="政策文件：查看与更正发文机关、文号、日期、状态")
    docs_sub = docs.add_subparsers(dest="action", required=True)
    listing = docs_sub.add_parser("list", help="列出文件及其状态（编号供 set 使用）")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    setter = docs_sub.add_parser("set", help="更正文件信息（重新索引后仍保留）")
    setter.add_argument("doc", help="文件编号（tepai docs list 中的编号）、文件路径或 SHA-256 前缀")
    setter.add_argument("--title", help="标题")
    setter.add_argument("--issuer", help="发文机关")
    setter.add_argument("--number", help="文号，如 国科发火〔2016〕32号")
    setter.add_argument("--date", help="日期，如 2016-01-29")
    setter.add_argument("--effective", help="施行日期")
    setter.add_argument("--status", help="current 现行 / draft 征求意见稿 / repealed 已废止 / amended 已修改")
    setter.add_argument("--amended-by", dest="amended_by", help="修改本文件的新文件（标题或文号）")
    setter.add_argument("--clear", action="append", default=[], metavar="FIELD",
                        help="恢复为文件中读取的信息：title issuer number date effective status amended_by")
    setter.add_argument("--json", action="store_true", help="输出 JSON")


def cmd_docs(settings: Settings, args: argparse.Namespace) -> int:
    from knowledge.service import open_knowledge

    index = open_knowledge(settings.knowledge).index
    if args.action == "list":
        return _list(index, args.json)
    return _set(index, args)


def _as_dict(n: int, doc) -> dict:  # type: ignore[no-untyped-def]
    return {"n": n, "title": doc.title, "status": doc.status, "issuer": doc.issuer, "doc_number": doc.doc_number,
            "date": doc.date, "effective": doc.effective, "amended_by": doc.amended_by, "cited": doc.citable,
            "corrected": sorted(doc.overrides), "path": doc.path, "sha256": doc.sha256}


def _list(index, as_json: bool) -> int:  # type: ignore[no-untyped-def]
    docs = index.documents()
    if as_json:
        print(json.dumps([_as_dict(n, d) for n, d in enumerate(docs, 1)], ensure_ascii=False))
        return EXIT_OK
    if not docs:
        print(texts.DOCS_EMPTY)
        return EXIT_OK
    for n, doc in enumerate(docs, 1):
        print(f"{n}. 《{doc.title}》 {texts.doc_summary(doc)}")
        print(f"   {doc.path}")
    return EXIT_OK


def _find(docs, ref: str):  # type: ignore[no-untyped-def]
    if ref.isdigit() and 0 < int(ref) <= len(docs):
        return docs[int(ref) - 1]
    path = str(Path(ref).resolve())
    by_path = [d for d in docs if d.path == path]
    if by_path:
        return by_path[0]
    if len(ref) >= 8:
        by_hash = [d for d in docs if d.sha256.startswith(ref.lower())]
        if len(by_hash) == 1:
            return by_hash[0]
    return None


def _set(index, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from knowledge.index import IndexBusy
    from knowledge.metadata import InvalidValue, field_name

    doc = _find(index.documents(), args.doc)
    if doc is None:
        print(texts.CLI_DOCS_NO_SUCH_DOC.format(ref=args.doc[:60]), file=sys.stderr)
        return EXIT_INPUT
    changes: dict[str, str | None] = {field: getattr(args, option) for option, field in _OPTIONS.items()
                                      if getattr(args, option) is not None}
    for name in args.clear:
        field = field_name(name) or _OPTIONS.get(name.replace("-", "_"))
        if field is None:
            print(texts.DOCS_NO_SUCH_FIELD.format(field=name[:20]), file=sys.stderr)
            return EXIT_INPUT
        changes[field] = None
    if not changes:
        print(texts.CLI_DOCS_NOTHING_TO_SET, file=sys.stderr)
        return EXIT_INPUT
    try:
        updated = index.set_metadata(doc.key, changes)
    except InvalidValue as exc:
        print(exc.reason, file=sys.stderr)
        return EXIT_INPUT
    except IndexBusy:
        print(texts.INDEX_BUSY, file=sys.stderr)
        return EXIT_UNAVAILABLE
    if args.json:
        print(json.dumps(_as_dict(int(args.doc) if args.doc.isdigit() else 0, updated), ensure_ascii=False))
    else:
        print(f"《{updated.title}》 {texts.doc_summary(updated)}")
    return EXIT_OK
