"""The bureau works in Beijing time: every time a person reads is Beijing time, and says so."""

from __future__ import annotations

import asyncio
import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.cli import main
from store.clock import beijing_time

# 01:30 UTC is 09:30 in Beijing: shown as UTC, the export would read 01:30.
ASKED = datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)


def test_the_one_time_helper_converts_and_labels() -> None:
    assert beijing_time(ASKED) == "2026-12-01 09:30（北京时间）"
    assert beijing_time(ASKED.replace(tzinfo=None)) == "2026-12-01 09:30（北京时间）"  # SQLite gives naive UTC
    assert beijing_time(datetime(2026, 12, 31, 20, 0, tzinfo=timezone.utc), labelled=False) == "2027-01-01 04:00"
    assert beijing_time(None) == ""


def _seed(url: str) -> None:
    from store import repositories as repo
    from store.db import Database
    from store.models import Campaign, Enterprise, Handoff, Submission

    async def seed() -> None:
        async with Database.opened(url) as db:
            async with db.session() as session, session.begin():
                user = await repo.touch_user(session, 5, "王总")
                handoff, _ = await repo.open_handoff(session, user, "公租房怎么申请？", "unanswered", 0.1, None)
                handoff.created_at = ASKED
                session.add(Campaign(year=2026, status="open"))
                enterprise = Enterprise(credit_code="91370100MA3C5QXX00", name="甲公司")
                session.add(enterprise)
                await session.flush()
                session.add(Submission(enterprise_id=enterprise.id, campaign_year=2026, version=1, current=True,
                                       submitted_by=user.id, submitted_at=ASKED, consent_at=ASKED,
                                       answers={"name": "甲公司", "credit_code": enterprise.credit_code, "consent": True}))
            async with db.session() as session:
                assert await session.get(Handoff, 1) is not None

    asyncio.run(seed())


def test_exports_show_beijing_time_under_labelled_chinese_headers_in_chinese_file_names(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    _seed(database_url)
    assert main(["unanswered", "export", "--format", "csv"]) == 0
    assert main(["survey", "export", "--format", "csv", "--campaign", "2026"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["未答复问题.csv", "需求摸底-2026.csv"]

    with (tmp_path / "未答复问题.csv").open(encoding="utf-8-sig") as handle:
        header, row = list(csv.reader(handle))
    assert header[:4] == ["编号", "提问时间（北京时间）", "提问人", "用户编号"]
    assert row[1] == "2026-12-01 09:30"
    assert all(not any(c.isascii() and c.isalpha() for c in column) for column in header)

    with (tmp_path / "需求摸底-2026.csv").open(encoding="utf-8-sig") as handle:
        header, row = list(csv.reader(handle))
    assert header[-1] == "提交时间（北京时间）" and row[-1] == "2026-12-01 09:30"
    assert header[13] == "同意时间（北京时间）" and row[13] == "2026-12-01 09:30"
