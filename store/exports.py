"""Export records as XLSX or CSV with Chinese headers (no Telegram involved)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from core import texts
from store.clock import beijing_time
from store.identities import shown_id
from store.models import Handoff, User

HANDOFF_COLUMNS = ("编号", texts.BEIJING_HEADER.format(column="提问时间"), "提问人", "用户编号", "问题", "原因", "最佳匹配分",
                   "状态", "答复", texts.BEIJING_HEADER.format(column="答复时间"))
_REASONS = {"unanswered": "文件未覆盖", "requested": "用户请求转人工"}
_STATUS = {"open": "待答复", "replied": "已答复"}


def _time(value: datetime | None) -> str:
    return beijing_time(value, labelled=False)  # the column header says 北京时间


def _user_number(user: User) -> int | str:
    shown = shown_id(user)
    return int(shown) if shown.isdigit() else shown  # a Telegram id stays a number in the sheet


def handoff_rows(items: Sequence[Handoff]) -> list[list[object]]:
    return [
        [h.id, _time(h.created_at), h.user.display_name, _user_number(h.user), h.question,
         _REASONS.get(h.reason, h.reason), round(h.best_score, 3), _STATUS.get(h.status, h.status),
         h.reply_text or "", _time(h.replied_at)]
        for h in items
    ]


def write_table(path: Path, columns: Sequence[str], rows: list[list[object]], fmt: str, sheet: str = "导出") -> Path:
    """Write atomically (a temporary file renamed into place): never a half-written export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([[_excel_safe(v) for v in row] for row in rows])
        tmp.write_text(buffer.getvalue(), encoding="utf-8-sig")  # BOM: Excel opens Chinese correctly
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        table = book.active
        table.title = sheet
        table.append(list(columns))
        for row in rows:
            table.append([_excel_safe(v) for v in row])
        for column in table.columns:
            width = max(len(str(c.value or "")) for c in column)
            table.column_dimensions[column[0].column_letter].width = min(60, max(8, width * 1.6))
        book.save(tmp)
    else:
        raise ValueError(fmt)
    tmp.replace(path)
    return path


def _excel_safe(value: object) -> object:
    # A cell starting with = + - @ would be read as a formula (CSV/Excel injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
