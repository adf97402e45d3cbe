"""Coverage of registered tech SMEs by specialists: the roster import, the report and its chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, select

from core import texts
from store import repositories as repo
from store import survey
from core.coverage import chart_png as coverage_chart_png
from core.coverage import summary
from core.markup import plain
from store.coverage import UnreadableRoster, coverage, import_roster
from store.db import Database
from store.models import Engagement, Enterprise, Project, RosterEnterprise, Specialist, Submission
from store.validators import credit_code_check_char

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def code(n: int) -> str:
    first17 = f"91370100MA3C5Q{n:03d}"
    return first17 + credit_code_check_char(first17)


A, B, C, D, E = (code(n) for n in range(1, 6))
BAD_CHECK = A[:17] + ("0" if A[17] != "0" else "1")


def write_csv(path: Path, rows: list[list[str]], header: tuple[str, ...] = ("统一社会信用代码", "企业名称", "所在区县")) -> Path:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


async def seed(db: Database, with_roster: bool) -> None:
    """Roster A B C D; enterprises A B C E (E is not registered).

    A: surveyed 2026 (电子信息), accepted 2026 with a project.  B: surveyed 2026 (新材料), proposed.
    C: surveyed 2025 only (现代农业), accepted 2025 with a project.  D: roster only, no district.
    E: surveyed 2026 (电子信息, 槐荫区), accepted 2026 with a project; a declined engagement too.
    """
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2025, "open")
        await survey.set_campaign(session, 2025, "closed")  # one campaign open at a time
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, 5, "王总")
        specialist = Specialist(name="李教授", institution="山东大学", field="电子信息", expertise="机器视觉")
        session.add(specialist)
        if with_roster:
            session.add_all([RosterEnterprise(credit_code=A, name="甲公司", district="历下区"),
                             RosterEnterprise(credit_code=B, name="乙公司", district="历下区"),
                             RosterEnterprise(credit_code=C, name="丙公司", district="市中区"),
                             RosterEnterprise(credit_code=D, name="丁公司", district=None)])
        ents = {}
        for key, name, district in ((A, "甲公司", "历城区"), (B, "乙公司", "历下区"), (C, "丙公司", "市中区"),
                                    (E, "戊公司", "槐荫区")):
            ents[key] = Enterprise(credit_code=key, name=name, district=district)
            session.add(ents[key])
        await session.flush()
        for key, year, field in ((A, 2026, "电子信息"), (B, 2026, "新材料"), (C, 2025, "现代农业"), (E, 2026, "电子信息")):
            session.add(Submission(enterprise_id=ents[key].id, campaign_year=year, version=1, current=True,
                                   submitted_by=user.id, answers={"name": ents[key].name, "credit_code": key,
                                                                  "district": ents[key].district, "field": field}))
        # An outdated version never counts as a survey.
        session.add(Submission(enterprise_id=ents[A].id, campaign_year=2025, version=1, current=False,
                               submitted_by=user.id, answers={"field": "新材料"}))
        for key, year, status, project in ((A, 2026, "accepted", True), (B, 2026, "proposed", False),
                                           (C, 2025, "accepted", True), (E, 2026, "accepted", True),
                                           (E, 2026, "declined", False)):
            engagement = Engagement(campaign_year=year, enterprise_id=ents[key].id, specialist_id=specialist.id,
                                    status=status)
            session.add(engagement)
            await session.flush()
            if project:
                session.add(Project(engagement_id=engagement.id, enterprise_id=ents[key].id,
                                    specialist_id=specialist.id, title="合作项目"))


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


# -- roster import ---------------------------------------------------------------------------------


async def test_roster_import_reports_bad_rows_by_line_and_upserts_the_good_ones(db: Database, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "名录.csv", [
        [A, "济南甲科技有限公司", "历下区"],
        [BAD_CHECK, "坏校验码公司", "历下区"],
        [B, "", "市中区"],
        [" " + A.lower() + " ", "重复的甲", "历下区"],  # the same code, normalised
        [B, "济南乙科技有限公司", ""],
        ["", "", ""],  # blank lines are skipped, not errors
        ["123", "短代码公司", "历下区"],
    ])
    async with db.session() as session, session.begin():
        report = await import_roster(session, first)
    assert (report.added, report.updated, report.unchanged, report.total) == (2, 0, 0, 2)
    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 8]
    assert errors[3] == texts.VALID_CREDIT_CHECK.format(expected=A[17], typed=BAD_CHECK[17])
    assert errors[4] == texts.ROSTER_MISSING_NAME
    assert errors[5] == texts.ROSTER_DUPLICATE.format(code=A, line=2)
    assert "18" in errors[8] and "3" in errors[8]

    book = Workbook()
    sheet = book.active
    sheet.append(["credit_code", "name", "district"])
    sheet.append([A, "济南甲科技股份有限公司", "历下区"])  # renamed: updated
    sheet.append([B, "济南乙科技有限公司", None])  # the same: unchanged
    sheet.append([C, "济南丙科技有限公司", "章丘区"])  # new
    book.save(tmp_path / "名录.xlsx")
    async with db.session() as session, session.begin():
        again = await import_roster(session, tmp_path / "名录.xlsx")
    assert (again.added, again.updated, again.unchanged, again.errors, again.total) == (1, 1, 1, [], 3)
    async with db.session() as session:
        roster = {r.credit_code: r for r in (await session.scalars(select(RosterEnterprise))).all()}
    assert set(roster) == {A, B, C}
    assert roster[A].name == "济南甲科技股份有限公司" and roster[B].district is None and roster[C].district == "章丘区"


async def test_an_unreadable_roster_is_refused_whole(db: Database, tmp_path: Path) -> None:
    no_code = write_csv(tmp_path / "x.csv", [["济南甲科技有限公司", "历下区"]], header=("企业名称", "所在区县"))
    (tmp_path / "x.txt").write_text("hello", encoding="utf-8")
    async with db.session() as session, session.begin():
        with pytest.raises(UnreadableRoster, match="统一社会信用代码"):
            await import_roster(session, no_code)
        with pytest.raises(UnreadableRoster, match=r"\.txt"):
            await import_roster(session, tmp_path / "x.txt")
        with pytest.raises(UnreadableRoster):
            await import_roster(session, tmp_path / "missing.csv")
        assert list((await session.scalars(select(RosterEnterprise))).all()) == []


# -- the report ------------------------------------------------------------------------------------


async def test_coverage_against_the_roster(db: Database) -> None:
    await seed(db, with_roster=True)
    async with db.session() as session:
        report = await coverage(session)
    json.dumps(report)  # plain JSON
    assert {k: report[k] for k in ("year", "basis", "denominator", "roster", "surveyed", "matched", "projects",
                                   "covered", "coverage")} == {
        "year": None, "basis": "roster", "denominator": 4, "roster": 4, "surveyed": 4, "matched": 4,
        "projects": 3, "covered": 2, "coverage": 0.5}  # E has a project but is not on the roster
    assert report["targets"] == [{"year": 2027, "share": 0.5, "needed": 2, "gap": 0, "met": True},
                                 {"year": 2030, "share": 1.0, "needed": 4, "gap": 2, "met": False}]
    districts = report["by_district"]
    assert [row["name"] for row in districts] == ["历下区", "市中区", texts.COVERAGE_UNKNOWN, "槐荫区"]
    # A is 历下区 on the roster although its enterprise record says 历城区.
    assert districts[0] == {"name": "历下区", "denominator": 2, "surveyed": 2, "matched": 2, "projects": 1,
                            "covered": 1, "coverage": 0.5}
    assert (districts[1]["coverage"], districts[2]["coverage"], districts[3]["coverage"]) == (1.0, 0.0, None)
    assert districts[3]["projects"] == 1 and districts[3]["denominator"] == 0
    fields = by_name(report["by_field"])
    assert fields["电子信息"]["surveyed"] == 2 and fields["电子信息"]["covered"] == 1
    assert fields["现代农业"]["covered"] == 1 and fields["新材料"]["matched"] == 1
    assert fields[texts.COVERAGE_UNKNOWN]["denominator"] == 1  # D never surveyed

    async with db.session() as session:
        this_year = await coverage(session, 2026)
        last_year = await coverage(session, 2025)
    assert (this_year["surveyed"], this_year["matched"], this_year["covered"]) == (3, 4, 2)  # cumulative coverage
    assert (last_year["surveyed"], last_year["matched"], last_year["projects"], last_year["coverage"]) == (1, 1, 1, 0.25)
    assert last_year["targets"][0]["gap"] == 1

    text = summary(report)
    assert "50%（2/4）" in text and "2027年目标 50%：已达成" in text and "2030年目标 100%：还需覆盖 2 家" in text
    assert "入库科技型中小企业名录（4 家）" in text and "历下区：50%（1/2）" in text


async def test_without_a_roster_there_is_no_denominator_and_no_target_is_claimed(db: Database) -> None:
    await seed(db, with_roster=False)
    async with db.session() as session:
        report = await coverage(session)
        this_year = await coverage(session, 2026)
    assert (report["basis"], report["roster"], report["denominator"], report["covered"], report["coverage"]) == (
        "none", 0, None, None, None)
    assert (report["surveyed"], report["matched"], report["projects"]) == (4, 4, 3)
    assert report["targets"] == [{"year": 2027, "share": 0.5, "needed": None, "gap": None, "met": None},
                                 {"year": 2030, "share": 1.0, "needed": None, "gap": None, "met": None}]
    assert (this_year["surveyed"], this_year["projects"], this_year["coverage"]) == (3, 3, None)  # cumulative
    districts = by_name(report["by_district"])
    assert districts["历城区"]["projects"] == 1  # the enterprise record's district, with no roster
    assert districts["槐荫区"]["coverage"] is None
    text = plain(summary(report))
    assert "没有分母" in text and "已达成" not in text and "%" not in text.replace("50%", "").replace("100%", "")
    assert "2030年目标 100%：" + texts.COVERAGE_TARGET_UNKNOWN in text
    assert "槐荫区：填报 1 家，已建立合作项目 1 家" in text


async def test_declined_engagements_and_an_empty_database(db: Database) -> None:
    async with db.session() as session:
        empty = await coverage(session)
    assert (empty["denominator"], empty["coverage"], empty["by_district"]) == (None, None, [])
    assert [t["met"] for t in empty["targets"]] == [None, None]
    assert texts.COVERAGE_NONE in summary(empty)
    await seed(db, with_roster=False)
    async with db.session() as session, session.begin():
        await session.execute(delete(Project))
        await session.execute(delete(Engagement).where(Engagement.status != "declined"))
    async with db.session() as session:
        report = await coverage(session)
    assert (report["matched"], report["projects"], report["coverage"]) == (0, 0, None)


async def test_the_chart_is_a_png(db: Database) -> None:
    await seed(db, with_roster=True)
    async with db.session() as session:
        report = await coverage(session)
    png = coverage_chart_png(report)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 5000
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(png)) as image:
        assert image.format == "PNG" and image.width >= 600
    assert coverage_chart_png({"by_district": []}).startswith(PNG_SIGNATURE)


def test_the_chart_draws_chinese_with_a_bundled_font() -> None:
    """The labels are Chinese: the font the chart uses has a glyph for each of them (no boxes)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from core.coverage import _cjk_font

    name = _cjk_font()
    assert name == "Noto Sans CJK SC"
    path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    font = FT2Font(path)
    labels = texts.COVERAGE_CHART_TITLE + texts.COVERAGE_CHART_YLABEL + texts.COVERAGE_CHART_TARGET + "".join(texts.DISTRICTS)
    missing = {c for c in labels if not c.isascii() and not c.isspace() and font.get_char_index(ord(c)) == 0}
    assert not missing
