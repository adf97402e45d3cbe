"""One district and field vocabulary: what the chat accepts, the imports accept, and the other way round."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from core import texts
from store import vocabulary
from store.coverage import import_roster
from store.db import Database
from store.models import RosterEnterprise, Specialist
from store.specialists import import_file
from store.validators import ValidationError, credit_code_check_char


@pytest.mark.parametrize(("typed", "district"), [
    ("天桥", "天桥区"), ("天桥区", "天桥区"), ("济南市天桥区", "天桥区"), ("山东省济南市历下区", "历下区"),
    ("高新区", "济南高新区"), ("济南高新技术产业开发区", "济南高新区"), ("起步区", "济南新旧动能转换起步区"),
    ("平阴", "平阴县"), ("章丘市", "章丘区"), ("莱芜", "莱芜区"), (" 市中区 ", "市中区"), ("南山", "南部山区"),
])
def test_district_aliases_name_one_jinan_district(typed: str, district: str) -> None:
    assert vocabulary.normalise_district(typed) == district == vocabulary.district(typed)


@pytest.mark.parametrize("typed", ["不存在区", "朝阳区", "济南", "", "区$\\foo$", "😀"])
def test_anything_else_is_not_a_district(typed: str) -> None:
    assert vocabulary.normalise_district(typed) is None
    with pytest.raises(ValidationError, match="不是济南市的区县或功能区"):
        vocabulary.district(typed)


def test_a_typed_list_of_districts() -> None:
    assert vocabulary.districts("天桥、高新区，历下区 天桥区") == ["天桥区", "济南高新区", "历下区"]
    with pytest.raises(ValidationError, match="不存在区"):
        vocabulary.districts("历下、不存在区")


@pytest.mark.parametrize(("typed", "field"), [
    ("生物医药", "生物与新医药"), ("生物与新医药", "生物与新医药"), ("智能制造", "先进制造与自动化"),
    ("新材料领域", "新材料"), ("农业", "现代农业"), ("环保", "资源与环境"), ("软件", "电子信息"), ("新能源", "新能源与节能"),
])
def test_field_aliases_name_one_programme_field(typed: str, field: str) -> None:
    assert vocabulary.normalise_field(typed) == field == vocabulary.field_label(typed)


def test_a_field_outside_the_list_is_kept_as_typed() -> None:
    assert vocabulary.normalise_field("文化创意") is None
    assert vocabulary.field_label("文化创意") == "文化创意"
    with pytest.raises(ValidationError):
        vocabulary.field_label("文")


def test_every_button_label_is_its_own_canonical_name() -> None:
    assert all(vocabulary.normalise_district(d) == d for d in texts.DISTRICTS)
    assert all(vocabulary.normalise_field(f) == f for f in texts.FIELDS)


def code(n: int) -> str:
    first17 = f"91370100MA3C5Q{n:03d}"
    return first17 + credit_code_check_char(first17)


async def test_the_roster_import_normalises_districts_and_rejects_unknown_ones_by_line(db: Database, tmp_path: Path) -> None:
    roster = tmp_path / "名录.csv"
    roster.write_text("统一社会信用代码,企业名称,所在区县\n"
                      f"{code(1)},济南甲科技有限公司,天桥\n"
                      f"{code(2)},济南乙科技有限公司,不存在区\n"
                      f"{code(3)},济南丙科技有限公司,高新区\n", encoding="utf-8-sig")
    async with db.session() as session, session.begin():
        report = await import_roster(session, roster)
    assert report.added == 2 and [line for line, _ in report.errors] == [3]
    assert "不存在区" in report.errors[0][1] and "不是济南市的区县或功能区" in report.errors[0][1]
    async with db.session() as session:
        stored = {r.name: r.district for r in (await session.scalars(select(RosterEnterprise))).all()}
    assert stored == {"济南甲科技有限公司": "天桥区", "济南丙科技有限公司": "济南高新区"}


async def test_the_specialist_import_uses_the_same_vocabulary(db: Database, tmp_path: Path) -> None:
    pool = tmp_path / "专家.csv"
    pool.write_text("编号,姓名,单位,职称,产业领域,研究方向与专长,区县\n"
                    "S001,刘芳,山东大学,教授,生物医药,益生菌发酵工艺,天桥、高新区\n"
                    "S002,张伟,济南大学,教授,新材料,高分子改性,不存在区\n"
                    "S003,王强,齐鲁工业大学,副教授,文化创意,品牌设计,\n"
                    "S004,,齐鲁工业大学,副教授,新材料,涂层,\n", encoding="utf-8")
    async with db.session() as session, session.begin():
        report, _ = await import_file(session, pool)
    errors = dict(report.errors)
    assert sorted(errors) == [3, 5] and "不存在区" in errors[3]
    assert errors[5] == texts.IMPORT_MISSING.format(column="姓名")  # the column's Chinese name, not `name`
    async with db.session() as session:
        stored = {s.external_id: s for s in (await session.scalars(select(Specialist))).all()}
    assert stored["S001"].districts == ["天桥区", "济南高新区"] and stored["S001"].field == "生物与新医药"
    assert stored["S003"].field == "文化创意" and stored["S003"].districts == []


def test_broadcast_segments_name_districts_the_same_way() -> None:
    from store.broadcasts import parse_segment

    assert parse_segment("district:天桥") == parse_segment("天桥区") == "district:天桥区"
    assert parse_segment("区县：高新区") == "district:济南高新区"
    with pytest.raises(ValidationError):
        parse_segment("district:不存在区")
