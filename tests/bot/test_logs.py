"""Errors reach people as Chinese; the detail goes to the log file, phone numbers masked."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from core import texts
from bot.cli import main
from bot.logs import PhoneMaskFilter, mask_phones

PHONE = "13812345678"


def test_phone_numbers_are_masked_but_codes_and_ids_are_not() -> None:
    assert mask_phones(f"联系人手机 {PHONE}，+86 139 1234 5678") == "联系人手机 138****5678，+86 139****5678"
    assert mask_phones("信用代码 91370100MA3C5QXX00，编号 1381234567890") == "信用代码 91370100MA3C5QXX00，编号 1381234567890"
    assert mask_phones("POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage") == (
        "POST https://api.telegram.org/bot<token>/sendMessage")
    record = logging.LogRecord("tepai", logging.ERROR, __file__, 1, "phone %s", (PHONE,), None)
    PhoneMaskFilter().filter(record)
    assert record.getMessage() == "phone 138****5678"


def test_an_unexpected_cli_error_prints_chinese_and_logs_the_sql_with_phones_masked(
        _isolated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    # A real database failure in the middle of an import: SQLite aborts every insert.
    with sqlite3.connect(_isolated / "tepai.db") as conn:
        conn.execute("CREATE TRIGGER no_more BEFORE INSERT ON specialists BEGIN SELECT RAISE(ABORT, 'disk quota'); END")
    pool = tmp_path / "专家.csv"
    pool.write_text("id,name,institution,title,field,expertise,phone\n"
                    f"S001,刘芳,山东大学,教授,电子信息,机器视觉检测,{PHONE}\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["specialists", "import", str(pool)]) == 1
    err = capsys.readouterr().err
    assert texts.INTERNAL_ERROR in err and "tepai.log" in err
    assert PHONE not in err and "INSERT" not in err and "Traceback" not in err and "disk quota" not in err
    logged = (_isolated / "logs" / "tepai.log").read_text(encoding="utf-8")
    assert "Traceback" in logged and "disk quota" in logged and "INSERT" in logged
    # SQLAlchemy hides the statement's parameters (store/db.py); any phone that does reach a
    # log line is masked.
    assert PHONE not in logged and ("138****5678" in logged or "SQL parameters hidden" in logged)


def test_import_files_that_cannot_be_read_are_explained_in_chinese(
        _isolated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gbk = tmp_path / "名录.csv"
    gbk.write_bytes("统一社会信用代码,企业名称\n".encode("gbk"))
    assert main(["enterprises", "import", str(gbk)]) == 2
    err = capsys.readouterr().err
    assert "UTF-8" in err and "UnicodeDecodeError" not in err


async def test_a_bot_built_anywhere_masks_phones_in_its_logs(tmp_path: Path) -> None:
    from bot.app import build_application
    from bot.settings import load_settings

    handler = logging.StreamHandler()
    logging.getLogger().addHandler(handler)
    try:
        build_application(load_settings({"TELEGRAM_BOT_TOKEN": "123:abc", "TEPAI_DATA_DIR": str(tmp_path)}))
        assert any(isinstance(f, PhoneMaskFilter) for f in handler.filters)
    finally:
        logging.getLogger().removeHandler(handler)
