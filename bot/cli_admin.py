"""`tepai` commands for the bureau's day-to-day: staff, unanswered questions, survey campaigns."""

from __future__ import annotations

import sys
from pathlib import Path

from core import texts
from bot.cli_common import EXIT_INPUT, EXIT_OK, _run_async
from bot.settings import Settings


def cmd_staff(settings: Settings, action: str, telegram_id: int | None, note: str | None) -> int:
    """Staff rights belong to a person; the operator names them by Telegram id (a person is made
    for an id that has not written to the bot yet)."""
    from store import identities as ident
    from store import repositories as repo
    from store.db import Database

    async def work() -> int:
        async with Database.opened(settings.db_url) as db:
            async with db.session() as session, session.begin():
                if action == "add":
                    person = await ident.person_for(session, ident.TELEGRAM, telegram_id)
                    added = await repo.add_staff(session, person.id, note)
                    print((texts.STAFF_ADDED if added else texts.STAFF_EXISTS).format(id=telegram_id))
                elif action == "remove":
                    person = await ident.person_for(session, ident.TELEGRAM, telegram_id, create=False)
                    removed = person is not None and await repo.remove_staff(session, person.id)
                    print((texts.STAFF_REMOVED if removed else texts.STAFF_MISSING).format(id=telegram_id))
                    if telegram_id in settings.staff_ids:
                        print(texts.STAFF_IN_ENV.format(id=telegram_id))
                else:
                    grants = await repo.list_staff(session)
                    for staff_id in sorted(settings.staff_ids):
                        print(f"{staff_id}\tTEPAI_STAFF_IDS")
                    for grant in grants:
                        shown = await ident.telegram_id_of(session, grant.user_id) or f"#{grant.user_id}"
                        print(f"{shown}\t{grant.note or ''}")
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
            path = output or Path(f"{texts.EXPORT_FILE_UNANSWERED}.{fmt}")
            write_table(path, HANDOFF_COLUMNS, handoff_rows(items), fmt, sheet="未答复问题")
            print(texts.EXPORTED.format(count=len(items), path=path))
            return EXIT_OK

    return _run_async(work())


def cmd_campaign(settings: Settings, action: str, year: int | None) -> int:
    from store import survey
    from store.db import Database

    from core.campaigns import valid_year

    if year is not None and not valid_year(year):
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
                try:
                    await survey.set_campaign(session, year, "open" if action == "open" else "closed")
                except survey.CampaignConflict as exc:
                    print(texts.CAMPAIGN_ALREADY_OPEN_CLI.format(open=exc.open_year, year=year), file=sys.stderr)
                    return EXIT_INPUT
            print((texts.CAMPAIGN_OPENED if action == "open" else texts.CAMPAIGN_CLOSED).format(year=year))
            if action == "open":
                print(texts.CAMPAIGN_CLI_NOTIFY_HINT)
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
            path = output or Path(f"{texts.EXPORT_FILE_SURVEY.format(year=year)}.{fmt}")
            write_table(path, survey.EXPORT_COLUMNS, survey.export_rows(submissions), fmt, sheet=f"{year}需求调查")
            print(texts.EXPORTED.format(count=len(submissions), path=path))
            return EXIT_OK

    return _run_async(work())
