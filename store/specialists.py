"""The specialist pool: bulk import (CSV, XLSX, JSONL) and keeping the match index current."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from knowledge.matching import MatchIndex, Profile
from store import identities as ident
from store import validators as v
from store import vocabulary
from store.models import Identity, Specialist, utcnow

REQUIRED = ("id", "name", "institution", "title", "field", "expertise")
OPTIONAL = ("achievements", "capacity", "phone", "telegram_id", "districts")
# Chinese headers staff may use in spreadsheets.
HEADER_ALIASES = {"编号": "id", "姓名": "name", "单位": "institution", "职称": "title", "产业领域": "field",
                  "研究方向与专长": "expertise", "专长": "expertise", "代表性成果": "achievements",
                  "可服务企业数": "capacity", "手机": "phone", "telegram": "telegram_id", "区县": "districts"}
_LIMITS = {"id": 64, "name": 60, "institution": 120, "title": 40, "field": 40, "expertise": 1000, "achievements": 2000}


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> int:
        return self.added + self.updated


class UnreadableFile(Exception):
    pass


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) from CSV, XLSX or JSONL; header names normalised."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            with path.open(encoding="utf-8-sig") as handle:
                for number, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield number, {"__error__": texts.IMPORT_BAD_JSON.format(reason=exc.msg)}
                        continue
                    yield number, row if isinstance(row, dict) else {"__error__": texts.IMPORT_NOT_OBJECT}
        elif suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                for number, row in enumerate(reader, 2):
                    yield number, _normalise(row)
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            sheet = load_workbook(path, read_only=True, data_only=True).active
            rows = sheet.iter_rows(values_only=True)
            header = [str(h or "").strip() for h in next(rows, [])]
            for number, values in enumerate(rows, 2):
                if all(value is None for value in values):
                    continue
                yield number, _normalise(dict(zip(header, values)))
        else:
            raise UnreadableFile(texts.IMPORT_UNSUPPORTED.format(suffix=suffix or "（无）"))
    except UnreadableFile:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise UnreadableFile(texts.IMPORT_UNREADABLE.format(reason=v.unreadable_reason(exc))) from None


def _normalise(row: dict) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        name = HEADER_ALIASES.get(str(key or "").strip(), str(key or "").strip().lower())
        out[name] = value
    return out


def clean_row(row: dict[str, Any]) -> dict[str, Any]:
    """Validated values of one row; raises v.ValidationError with the reason."""
    if "__error__" in row:
        raise v.ValidationError(row["__error__"])
    out: dict[str, Any] = {}
    for key in REQUIRED + ("achievements",):
        value = str(row.get(key) or "").strip()
        if key in REQUIRED and not value:
            raise v.ValidationError(texts.IMPORT_MISSING.format(column=texts.IMPORT_COLUMN_LABELS.get(key, key)))
        if len(value) > _LIMITS[key]:
            raise v.ValidationError(texts.IMPORT_TOO_LONG.format(column=texts.IMPORT_COLUMN_LABELS.get(key, key),
                                                                 limit=_LIMITS[key]))
        out[key] = value or None
    out["field"] = vocabulary.normalise_field(out["field"]) or out["field"]  # 生物医药 → 生物与新医药
    capacity = row.get("capacity")
    try:
        out["capacity"] = int(str(capacity).strip()) if capacity not in (None, "") else 1
    except ValueError:
        raise v.ValidationError(texts.IMPORT_BAD_CAPACITY.format(value=capacity)) from None
    if not 1 <= out["capacity"] <= 50:
        raise v.ValidationError(texts.IMPORT_BAD_CAPACITY.format(value=capacity))
    phone = row.get("phone")
    out["phone"] = v.mobile_phone(str(phone)) if phone not in (None, "") else None
    telegram_id = row.get("telegram_id")
    try:
        out["telegram_id"] = int(str(telegram_id).strip()) if telegram_id not in (None, "") else None
    except ValueError:
        raise v.ValidationError(texts.IMPORT_BAD_TELEGRAM.format(value=telegram_id)) from None
    districts = row.get("districts") or []
    # The chat's vocabulary: an unknown district is this row's error (reported with its line).
    out["districts"] = vocabulary.districts(districts if isinstance(districts, list) else str(districts))
    return out


def profile_of(specialist: Specialist) -> Profile:
    return Profile(specialist.external_id or f"S{specialist.id}", specialist.name, specialist.institution,
                   specialist.title or "", specialist.field, specialist.expertise, specialist.achievements or "",
                   specialist.capacity)


@dataclass
class ParsedImport:
    """A file's good rows (validated, one per id) and its bad ones, before any database work."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, values)
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_file(path: Path, progress: Callable[[int], None] | None = None) -> ParsedImport:
    """Read and validate every row; raises UnreadableFile. No database, no index."""
    parsed = ParsedImport()
    seen: set[str] = set()
    for count, (number, row) in enumerate(read_rows(path), 1):
        if progress:
            progress(count)
        try:
            values = clean_row(row)
        except v.ValidationError as exc:
            parsed.errors.append((number, exc.message))
            continue
        if values["id"] in seen:
            parsed.errors.append((number, texts.IMPORT_DUPLICATE.format(id=values["id"])))
            continue
        seen.add(values["id"])
        parsed.rows.append((number, values))
    return parsed


async def apply_import(session: AsyncSession, parsed: ParsedImport) -> tuple[ImportReport, list[Specialist]]:
    """Write parsed rows: add or update by `id`. Only quick statements, so the caller's write
    transaction stays short (the slow parts — reading, embedding — happen before it)."""
    report = ImportReport(errors=list(parsed.errors))
    ids = [values["id"] for _, values in parsed.rows]
    existing: dict[str, Specialist] = {}
    for start in range(0, len(ids), 500):
        found = await session.scalars(select(Specialist).where(Specialist.external_id.in_(ids[start : start + 500])))
        existing.update({s.external_id: s for s in found})
    people = await _people(session, [values["telegram_id"] for _, values in parsed.rows if values["telegram_id"]])
    touched: list[Specialist] = []
    for _, values in parsed.rows:
        specialist = existing.get(values["id"])
        if specialist is None:
            specialist = Specialist(external_id=values["id"], source="import")
            session.add(specialist)
            report.added += 1
        else:
            report.updated += 1
        for key in ("name", "institution", "title", "field", "expertise", "achievements", "capacity", "phone",
                    "districts"):
            setattr(specialist, key, values[key])
        specialist.user_id = people.get(values["telegram_id"]) if values["telegram_id"] else None
        specialist.status, specialist.updated_at = "active", utcnow()
        touched.append(specialist)
    await session.flush()
    return report, touched


async def _people(session: AsyncSession, telegram_ids: list[int]) -> dict[int, int]:
    """Telegram id → person id for an import's rows: one query for those we know, a new person
    (not yet a bot user) for each we do not."""
    wanted = sorted(set(telegram_ids))
    people: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        rows = await session.execute(select(Identity.external_id, Identity.user_id).where(
            Identity.channel == ident.TELEGRAM, Identity.external_id.in_([str(t) for t in wanted[start:start + 500]])))
        people.update({int(external_id): user_id for external_id, user_id in rows.all()})
    for telegram_id in wanted:
        if telegram_id not in people:
            people[telegram_id] = (await ident.person_for(session, ident.TELEGRAM, telegram_id)).id
    return people


async def import_file(session: AsyncSession, path: Path, progress: Callable[[int], None] | None = None,
                      ) -> tuple[ImportReport, list[Specialist]]:
    """Add or update (by `id`) every good row; report bad rows by line. Imported = active."""
    return await apply_import(session, parse_file(path, progress))


def sync_index(index: MatchIndex, specialists: list[Specialist]) -> None:
    """Keep the match index current: active specialists in, everyone else out."""
    active = [profile_of(s) for s in specialists if s.status == "active"]
    inactive = [profile_of(s).id for s in specialists if s.status != "active"]
    index.remove(inactive)
    index.upsert(active)


async def active_specialists(session: AsyncSession) -> list[Specialist]:
    return list((await session.scalars(select(Specialist).where(Specialist.status == "active"))).all())


def reconcile_index(index: MatchIndex, active: list[Specialist]) -> tuple[int, int]:
    """Make the match index hold exactly the active pool: (added, removed). Run at start — after a
    change of encoder or profile format the collection is new and empty, and an import whose
    embedding step failed left rows the index lacks. Embeds outside any database transaction."""
    indexed = {i[:-2] for i in index.store.ids() if i.endswith("#p")}
    wanted = {profile_of(s).id: s for s in active}
    missing = [s for key, s in wanted.items() if key not in indexed]
    stale = sorted(indexed - set(wanted))
    index.remove(stale)
    if missing:
        index.upsert([profile_of(s) for s in missing])
    return len(missing), len(stale)

