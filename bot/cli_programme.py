"""`tepai` commands for the programme: the specialist pool, matching, assignment, coverage,
conflicts of interest and announcements."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from core import texts
from bot.cli_common import EXIT_INPUT, EXIT_OK, EXIT_UNAVAILABLE, _progress_bar, _run_async, log
from bot.settings import Settings
from store.clock import to_beijing


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
                              to_beijing(broadcast.scheduled_at).isoformat() if broadcast.scheduled_at else None},
                             ensure_ascii=False))
            return
        from bot.broadcaster import progress_text
        from bot.render import html_to_plain

        print(html_to_plain(progress_text(broadcast, progress)))

    async def work() -> int:
        async with Database.opened(settings.db_url) as db, db.session() as session, session.begin():
            if args.action in ("status", "cancel", "resend") and args.id is None:
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
            if args.action == "resend":
                broadcast, count = await bc.resend_interrupted(session, args.id)
                if broadcast is None:
                    print(texts.BROADCAST_UNKNOWN.format(id=args.id), file=sys.stderr)
                    return EXIT_INPUT
                print(texts.BROADCAST_RESENT.format(id=args.id, count=count) if count
                      else texts.BROADCAST_RESEND_NONE.format(id=args.id))
                return EXIT_OK
            if args.action == "cancel":
                broadcast, changed, stopped = await bc.cancel(session, args.id)
                if broadcast is None:
                    print(texts.BROADCAST_UNKNOWN.format(id=args.id), file=sys.stderr)
                    return EXIT_INPUT
                if not changed:
                    print(texts.BROADCAST_ALREADY_OVER.format(
                        id=args.id, state=texts.BROADCAST_STATES.get(broadcast.status, broadcast.status)), file=sys.stderr)
                    return EXIT_INPUT
                print(texts.BROADCAST_CANCELLED.format(id=args.id, count=stopped))
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
                                  "segment": segment, "scheduled_at": to_beijing(at).isoformat() if at else None}, ensure_ascii=False))
            elif at is not None:
                print(texts.BROADCAST_CLI_SCHEDULED.format(id=broadcast.id, at=bc.beijing(at), count=count, segment=label))
            else:
                print(texts.BROADCAST_CLI_QUEUED.format(id=broadcast.id, count=count, segment=label))
            return EXIT_OK

    return _run_async(work())


def cmd_conflicts(settings: Settings, action: str, credit_code: str | None, ref: str | None) -> int:
    """Conflicts from the shell, as /conflict in the chat: an invitation already waiting for the
    specialist's answer is withdrawn, and what that owes people (the specialist's note, staff's
    notice, the next alternate's invitation) is queued for the running bot to send."""
    from handlers.conflicts import owe_withdrawals
    from store import engagements as eng
    from store.db import Database

    async def work() -> int:
        async with Database.opened(settings.db_url) as db, db.session() as session, session.begin():
            if action == "list":
                rows = await eng.conflicts(session, limit=100_000)
                for _, enterprise, specialist in rows:
                    print(f"{enterprise.credit_code}\t{enterprise.name}\t#{specialist.id}\t{specialist.name}")
                if not rows:
                    print(texts.CONFLICT_NONE)
                return EXIT_OK
            enterprise, specialist, error = await eng.resolve_pair(session, credit_code or "", ref or "")
            if error is not None:
                print(error, file=sys.stderr)
                return EXIT_INPUT
            who = f"#{specialist.id} {specialist.name}"
            if action == "remove":
                removed = await eng.remove_conflict(session, enterprise.id, specialist.id)
                print(texts.CONFLICT_REMOVED.format(specialist=who, enterprise=enterprise.name) if removed
                      else texts.CONFLICT_NOT_FOUND)
                return EXIT_OK if removed else EXIT_INPUT
            existing, withdrawn = await eng.add_conflict(session, enterprise.id, specialist.id)
            await owe_withdrawals(session, settings.staff_ids, specialist, enterprise, withdrawn)
            print(texts.CONFLICT_EXISTS.format(reason=texts.BLOCK_REASONS.get(existing.reason, existing.reason))
                  if existing else texts.CONFLICT_ADDED.format(specialist=who, enterprise=enterprise.name))
            for engagement, _ in withdrawn:
                print(texts.CONFLICT_CLI_WITHDRAWN.format(id=engagement.id))
            return EXIT_OK

    return _run_async(work())


def _match_index(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.embeddings import make_embeddings
    from knowledge.matching import MatchIndex
    from knowledge.vectors import open_client

    return MatchIndex.open(make_embeddings(settings.embedding), open_client(settings.chroma_dir, settings.chroma_url),
                           settings.embedding)


def cmd_specialists_import(settings: Settings, path: Path) -> int:
    """Read, then one short write transaction, then embed and write the vectors.

    The bot keeps answering meanwhile: nothing slow happens while the database's write lock
    is held, and the vectors are written in batches under Chroma's own lock (knowledge/vectors.py).
    """
    from store.db import Database
    from store.specialists import UnreadableFile, apply_import, parse_file, profile_of

    bar, progress = _progress_bar(True)
    try:
        try:
            parsed = parse_file(path, progress=lambda n: progress("导入", n, n))
        except UnreadableFile as exc:
            print(f"{path}：{exc}", file=sys.stderr)
            return EXIT_INPUT

        async def work():  # type: ignore[no-untyped-def]
            async with Database.opened(settings.db_url) as db, db.session() as session, session.begin():
                return await apply_import(session, parsed)

        report, touched = _run_async(work())
        # After the commit (the matcher only suggests specialists active in the database, so an
        # index that lags a minute behind is safe). A failure here leaves the rows imported but
        # not yet findable, and says so; the same import again is harmless (rows match by id).
        try:
            index = _match_index(settings)
            index.write(index.prepare([profile_of(s) for s in touched],
                                      progress=lambda done, total: progress("计算向量", done, total)))
        except Exception:
            log.exception("specialist vectors not written after import")
            print(texts.IMPORT_INDEX_FAILED.format(count=report.ok), file=sys.stderr)
            return EXIT_UNAVAILABLE
    finally:
        if bar is not None:
            bar.close()
    for line, reason in report.errors:
        print(texts.IMPORT_ERROR_LINE.format(line=line, reason=reason), file=sys.stderr)
    print(texts.IMPORT_SUMMARY.format(added=report.added, updated=report.updated, errors=len(report.errors)))
    return EXIT_OK


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
        # `relevant` false: below the relevance floor — never suggested to an owner or proposed.
        payload = {"matches": [{"id": m.id, "name": m.name, "score": m.score, "reason": texts.match_reason(m),
                                "relevant": m.relevant} for m in matches]}
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
                           "specialist": p.specialist_id, "affinity": round(p.affinity, 4), "alternates": p.alternates,
                           "requested": p.requested}
                          for p in result.pairs],
                "unmet_requests": [{"demand": d, "specialist": key, "reason": reason}
                                   for d, (key, reason) in proposal.unmet_requests.items()],
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
        if proposal.requests_met:
            print(texts.ASSIGN_REQUESTS_MET.strip().format(count=proposal.requests_met))
        for demand, (key, reason) in proposal.unmet_requests.items():
            print(texts.ASSIGN_UNMET_CLI.format(enterprise=proposal.demand_names.get(demand, demand),
                                                specialist=proposal.specialist_names.get(key, key),
                                                reason=texts.ASSIGN_UNMET_REASONS.get(reason, reason)))
        for demand in result.manual_review:
            print(texts.ASSIGN_MANUAL.format(enterprise=proposal.demand_names.get(demand, demand),
                                             reason=texts.ASSIGN_REASONS.get(result.reasons.get(demand, ""), "")))
        return EXIT_OK

    return _run_async(work())


def cmd_stats(settings: Settings, year: int | None, as_json: bool) -> int:
    """Stable contract: the JSON report documented in store/coverage.py."""
    from core.coverage import summary
    from core.markup import plain
    from store.coverage import coverage
    from store.db import Database

    from core.campaigns import valid_year

    if year is not None and not valid_year(year):
        print(texts.CAMPAIGN_BAD, file=sys.stderr)
        return EXIT_INPUT

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session:
                report = await coverage(session, year)
        print(json.dumps(report, ensure_ascii=False) if as_json else plain(summary(report)))
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
