"""Programme coverage: how many registered tech SMEs have a 科技特派员 (the 1+1+1 target).

Targets: 50% of the city's registered tech SMEs covered by 2027, all of them by 2030.
An enterprise counts as *covered* once it has a cooperation project (Project), i.e. a
specialist accepted it.

Roster
------
:func:`import_roster` loads the official list of registered tech SMEs (入库科技型中小企业)
from CSV or XLSX with the columns 统一社会信用代码 / credit_code, 企业名称 / name and,
optionally, 所在区县 / district. Rows are upserted by credit code (a re-import adds and
updates, it never deletes); a bad row is reported by its line number with the reason.

The coverage report (stable JSON, ``coverage(session, year)``)
----------------------------------------------------------------
::

    {
      "year": 2026 | null,         # null: all campaign years
      "basis": "roster" | "none",  # none: no roster imported, so there is no denominator
      "denominator": int | null,   # roster size; null without a roster
      "roster": int,               # roster size (0 when none imported)
      "surveyed": int,             # enterprises with a current submission in `year` (any year if null)
      "matched": int,              # enterprises with an engagement proposed or accepted
      "projects": int,             # enterprises with a cooperation project (equipped with a specialist)
      "covered": int | null,       # of the roster's enterprises, those with a project
      "coverage": float | null,    # covered / denominator (null without a roster)
      "targets": [{"year": 2027, "share": 0.5, "needed": int | null, "gap": int | null, "met": bool | null},
                  {"year": 2030, "share": 1.0, "needed": int | null, "gap": int | null, "met": bool | null}],
      "by_district": [GROUP, ...], # largest denominator first, then by name
      "by_field": [GROUP, ...]
    }

    GROUP = {"name": str, "denominator": int | null, "surveyed": int, "matched": int, "projects": int,
             "covered": int | null, "coverage": float | null}

``needed`` is ``ceil(share × denominator)`` and ``gap`` how many more covered enterprises
that takes (0 once met). Coverage is a share of the city's registered tech SMEs, so without
the roster there is no denominator: ``coverage``, ``covered`` and every target field are null
and the text says so — the enterprises that happened to answer the survey are not the city,
and "100%（2/2）… 已达成" over them would claim a target nobody met. With ``year``, engagements and projects count when their campaign
year is ``year`` or earlier (coverage is cumulative), submissions only in ``year``.

A group's district comes from the roster when it has one, else from the enterprise record,
else from its survey answers; the field from its survey answers (the submission of ``year`` or the
latest before it, else the earliest). Enterprises without one are grouped under ``texts.COVERAGE_UNKNOWN``.
Enterprises outside the roster still count in ``surveyed``/``matched``/``projects`` (and in
their group) but never in ``denominator``/``covered``.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from store import validators as v
from store import vocabulary
from store.models import Engagement, Enterprise, Project, RosterEnterprise, Submission, utcnow

log = logging.getLogger(__name__)

TARGETS = ({"year": 2027, "share": 0.5}, {"year": 2030, "share": 1.0})
MATCHED_STATUSES = ("proposed", "accepted")
COLUMNS = {"统一社会信用代码": "credit_code", "信用代码": "credit_code", "credit_code": "credit_code",
           "企业名称": "name", "name": "name", "所在区县": "district", "所在区县（功能区）": "district",
           "区县": "district", "district": "district"}
_DISTRICT_MAX = 32


# -- roster import -------------------------------------------------------------------------------


@dataclass
class RosterReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    total: int = 0  # roster size after the import
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


class UnreadableRoster(Exception):
    pass


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row keyed by credit_code/name/district) from a CSV or XLSX file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, [])
                keys = _columns(header)
                for number, values in enumerate(reader, 2):
                    if any(str(x).strip() for x in values):
                        yield number, dict(zip(keys, values))
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            sheet = load_workbook(path, read_only=True, data_only=True).active
            rows = sheet.iter_rows(values_only=True)
            keys = _columns(next(rows, ()))
            for number, values in enumerate(rows, 2):
                if any(x is not None and str(x).strip() for x in values):
                    yield number, dict(zip(keys, values))
        else:
            raise UnreadableRoster(texts.IMPORT_UNSUPPORTED.format(suffix=suffix or "（无）").replace(" .jsonl", ""))
    except UnreadableRoster:
        raise
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise UnreadableRoster(texts.IMPORT_UNREADABLE.format(reason=v.unreadable_reason(exc))) from None


def _columns(header: Any) -> list[str]:
    keys = [COLUMNS.get(str(h or "").strip(), COLUMNS.get(str(h or "").strip().lower(), "")) for h in header]
    for column, label in (("credit_code", "统一社会信用代码"), ("name", "企业名称")):
        if column not in keys:
            raise UnreadableRoster(texts.ROSTER_MISSING_COLUMN.format(column=label))
    return keys


def _clean(row: dict[str, Any]) -> tuple[str, str, str | None]:
    code = v.unified_credit_code(str(row.get("credit_code") or ""))
    raw_name = str(row.get("name") or "").strip()
    if not raw_name:
        raise v.ValidationError(texts.ROSTER_MISSING_NAME)
    name = v.enterprise_name(raw_name)
    raw_district = " ".join(str(row.get("district") or "").split())
    if len(raw_district) > _DISTRICT_MAX:
        raise v.ValidationError(texts.ROSTER_DISTRICT_TOO_LONG.format(limit=_DISTRICT_MAX))
    # The chat's vocabulary: 天桥 is 天桥区, and a district Jinan does not have is this row's error.
    district = vocabulary.district(raw_district) if raw_district else None
    return code, name, district


async def import_roster(session: AsyncSession, path: Path) -> RosterReport:
    """Upsert the roster from `path`; raises UnreadableRoster when the file cannot be read at all."""
    report = RosterReport()
    existing = {r.credit_code: r for r in (await session.scalars(select(RosterEnterprise))).all()}
    seen: dict[str, int] = {}
    for line, row in _rows(path):
        try:
            code, name, district = _clean(row)
        except v.ValidationError as exc:
            report.errors.append((line, exc.message))
            continue
        if code in seen:
            report.errors.append((line, texts.ROSTER_DUPLICATE.format(code=code, line=seen[code])))
            continue
        seen[code] = line
        current = existing.get(code)
        if current is None:
            current = RosterEnterprise(credit_code=code, name=name, district=district, imported_at=utcnow())
            session.add(current)
            existing[code] = current
            report.added += 1
        elif (current.name, current.district) != (name, district):
            current.name, current.district, current.imported_at = name, district, utcnow()
            report.updated += 1
        else:
            report.unchanged += 1
    await session.flush()
    report.total = len(existing)
    return report


# -- the coverage report ---------------------------------------------------------------------------


@dataclass
class _Unit:
    """One enterprise, known from the roster and/or the bot's records."""

    in_roster: bool = False
    district: str | None = None
    field: str | None = None
    surveyed: bool = False
    matched: bool = False
    project: bool = False


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def coverage(session: AsyncSession, year: int | None = None) -> dict[str, Any]:
    """The coverage report described in the module docstring."""
    units: dict[str, _Unit] = {}
    for member in (await session.scalars(select(RosterEnterprise))).all():
        units[member.credit_code] = _Unit(in_roster=True, district=member.district)
    roster_size = len(units)

    enterprises = {e.id: e for e in (await session.scalars(select(Enterprise))).all()}

    def unit(enterprise_id: int) -> _Unit:
        code = enterprises[enterprise_id].credit_code
        if code not in units:
            units[code] = _Unit()
        return units[code]

    # Current submissions, oldest campaign first: the year's one (or the latest) wins for field/district.
    submissions = (await session.scalars(select(Submission).where(Submission.current)
                                         .order_by(Submission.campaign_year, Submission.id))).all()
    answers_of: dict[int, dict[str, Any]] = {}
    for sub in submissions:
        if year is None or sub.campaign_year == year:
            unit(sub.enterprise_id).surveyed = True
        if year is None or sub.enterprise_id not in answers_of or sub.campaign_year <= year:
            answers_of[sub.enterprise_id] = sub.answers or {}  # later years replace earlier ones

    engagements = select(Engagement.enterprise_id).where(Engagement.status.in_(MATCHED_STATUSES))
    projects = select(Project.enterprise_id).join(Engagement, Engagement.id == Project.engagement_id)
    if year is not None:
        engagements = engagements.where(Engagement.campaign_year <= year)
        projects = projects.where(Engagement.campaign_year <= year)
    for enterprise_id in set((await session.scalars(engagements)).all()):
        unit(enterprise_id).matched = True
    for enterprise_id in set((await session.scalars(projects)).all()):
        unit(enterprise_id).project = True

    for enterprise_id, enterprise in enterprises.items():
        code = enterprise.credit_code
        if code not in units:
            continue
        answers = answers_of.get(enterprise_id, {})
        item = units[code]
        item.district = item.district or enterprise.district or answers.get("district") or None
        item.field = answers.get("field") or None

    basis = "roster" if roster_size else "none"

    def tally(items: list[_Unit]) -> dict[str, Any]:
        counts = {"surveyed": sum(i.surveyed for i in items), "matched": sum(i.matched for i in items),
                  "projects": sum(i.project for i in items)}
        if basis == "none":
            return {"denominator": None, **counts, "covered": None, "coverage": None}
        denominator = sum(i.in_roster for i in items)
        covered = sum(i.in_roster and i.project for i in items)
        return {"denominator": denominator, **counts, "covered": covered, "coverage": _share(covered, denominator)}

    def groups(key: str) -> list[dict[str, Any]]:
        buckets: dict[str, list[_Unit]] = {}
        for item in units.values():
            if item.in_roster or item.surveyed or item.matched or item.project:
                buckets.setdefault(getattr(item, key) or texts.COVERAGE_UNKNOWN, []).append(item)
        rows = [{"name": name, **tally(items)} for name, items in buckets.items()]
        return sorted(rows, key=lambda r: (-(r["denominator"] or 0), -r["surveyed"], r["name"]))

    totals = tally(list(units.values()))
    targets = []
    for target in TARGETS:
        if totals["denominator"] is None:
            targets.append({**target, "needed": None, "gap": None, "met": None})
            continue
        needed = math.ceil(target["share"] * totals["denominator"] - 1e-9)
        gap = max(0, needed - totals["covered"])
        targets.append({**target, "needed": needed, "gap": gap, "met": gap == 0 and totals["denominator"] > 0})
    return {"year": year, "basis": basis, "denominator": totals["denominator"], "roster": roster_size,
            "surveyed": totals["surveyed"], "matched": totals["matched"], "projects": totals["projects"],
            "covered": totals["covered"], "coverage": totals["coverage"], "targets": targets,
            "by_district": groups("district"), "by_field": groups("field")}
