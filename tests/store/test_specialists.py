"""Staff import the specialist pool; bad rows are reported by line, good rows kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from knowledge.matching import Demand, MatchIndex
from knowledge.vectors import open_client
from store.db import Database
from store.models import Specialist
from store.specialists import UnreadableFile, import_file, sync_index

ROWS = [
    {"id": "P01", "name": "李明", "institution": "山东大学", "title": "教授", "field": "智能制造与高端装备",
     "expertise": "增材制造（金属3D打印）、拓扑优化设计", "capacity": 2, "phone": "13905311234"},
    {"id": "P02", "name": "王霞", "institution": "齐鲁工业大学", "title": "教授", "field": "现代农业",
     "expertise": "乳制品加工、益生菌发酵", "districts": "历下区、章丘区"},
]


def jsonl(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


async def test_jsonl_import_keeps_good_rows_and_reports_bad_ones_by_line(db: Database, tmp_path: Path) -> None:
    source = jsonl(tmp_path / "pool.jsonl", [
        ROWS[0], "{not json", {**ROWS[1], "phone": "12345"}, {"id": "P03", "name": "张伟"},
        {**ROWS[0], "name": "重复"}, {"id": "P04", "name": "赵磊", "institution": "山东大学", "title": "教授",
                                     "field": "新能源与节能", "expertise": "光伏逆变器", "capacity": "很多"}, ROWS[1],
    ])
    async with db.session() as session, session.begin():
        report, touched = await import_file(session, source)
    assert (report.added, report.updated) == (2, 0)
    lines = dict(report.errors)
    assert set(lines) == {2, 3, 4, 5, 6}
    assert "JSON" in lines[2] and "11" in lines[3] and "“单位”" in lines[4]
    assert "重复" in lines[5] and "可服务企业数" in lines[6]
    async with db.session() as session:
        stored = (await session.scalars(select(Specialist).order_by(Specialist.external_id))).all()
    assert [(s.external_id, s.status, s.capacity) for s in stored] == [("P01", "active", 2), ("P02", "active", 1)]
    assert stored[1].districts == ["历下区", "章丘区"] and stored[0].phone == "13905311234"


async def test_reimport_updates_by_external_id(db: Database, tmp_path: Path) -> None:
    async with db.session() as session, session.begin():
        await import_file(session, jsonl(tmp_path / "a.jsonl", ROWS))
    async with db.session() as session, session.begin():
        report, _ = await import_file(session, jsonl(tmp_path / "b.jsonl", [{**ROWS[0], "title": "研究员"}]))
    assert (report.added, report.updated) == (0, 1)
    async with db.session() as session:
        titles = {s.external_id: s.title for s in (await session.scalars(select(Specialist))).all()}
    assert titles == {"P01": "研究员", "P02": "教授"}


async def test_csv_and_xlsx_with_chinese_headers(db: Database, tmp_path: Path) -> None:
    csv_file = tmp_path / "pool.csv"
    csv_file.write_text("编号,姓名,单位,职称,产业领域,研究方向与专长\nP01,李明,山东大学,教授,新材料,气凝胶\n,无名,单位,教授,新材料,催化\n",
                        encoding="utf-8-sig")
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "name", "institution", "title", "field", "expertise", "capacity"])
    sheet.append(["P09", "周强", "山东省科学院", "研究员", "智能制造", "AGV调度", 3])
    book.save(tmp_path / "pool.xlsx")
    async with db.session() as session, session.begin():
        csv_report, _ = await import_file(session, csv_file)
        xlsx_report, _ = await import_file(session, tmp_path / "pool.xlsx")
    assert csv_report.added == 1 and csv_report.errors[0][0] == 3
    assert xlsx_report.added == 1 and xlsx_report.errors == []
    with pytest.raises(UnreadableFile):
        async with db.session() as session:
            await import_file(session, tmp_path / "pool.pdf")


async def test_the_match_index_follows_the_pool(db: Database, tmp_path: Path, use_embeddings) -> None:  # type: ignore[no-untyped-def]
    index = MatchIndex.open(use_embeddings, open_client(tmp_path / "chroma", None), "use-multilingual")
    async with db.session() as session, session.begin():
        _, touched = await import_file(session, jsonl(tmp_path / "a.jsonl", ROWS))
        sync_index(index, touched)
    best = index.match(Demand(field="现代农业", product="酸奶", description="酸奶放几天就变酸，想延长货架期。"), 2)
    assert best[0].id == "P02" and best[0].shared_field == "现代农业" and "发酵" in best[0].matched_item
    touched[1].status = "rejected"
    sync_index(index, touched)
    assert [m.id for m in index.match(Demand(description="酸奶发酵"), 5)] == ["P01"]
    assert index.count() == 1


async def test_a_new_encoder_or_profile_format_gets_the_whole_active_pool_back_at_start(  # type: ignore[no-untyped-def]
        db: Database, tmp_path: Path, use_embeddings) -> None:
    from store.specialists import active_specialists, reconcile_index

    async with db.session() as session, session.begin():
        await import_file(session, jsonl(tmp_path / "a.jsonl", ROWS))
    # A collection that never saw this pool: another encoder's, or a new profile format's.
    index = MatchIndex.open(use_embeddings, open_client(tmp_path / "fresh-chroma", None), "use-multilingual")
    async with db.session() as session:
        active = await active_specialists(session)
    assert reconcile_index(index, active) == (len(active), 0) and index.count() == len(active)
    assert reconcile_index(index, active) == (0, 0)  # nothing to do the second time
    assert reconcile_index(index, active[:1]) == (0, len(active) - 1)  # someone left the pool
    assert index.count() == 1
