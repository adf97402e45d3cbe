"""Document validity metadata: issuer, 文号, dates, status — read, normalised, corrected.

Fields (the README's `tepai index` section lists them for staff):

    title       标题
    issuer      发文机关        e.g. 国务院办公厅; 科技部 财政部 国家税务总局
    doc_number  文号            e.g. 国办发〔2019〕6号, 国科发火〔2016〕32号
    date        日期            issuing / latest revision date, ISO yyyy-mm-dd
    effective   施行日期        ISO; "自…起施行", "自发布之日起施行"
    status      状态            current 现行 · draft 征求意见稿 · repealed 已废止 · amended 已修改
    amended_by  修改文件        the newer document that amended this one (title or 文号)

Sources, strongest first: staff corrections (kept across re-indexing), the format's
own metadata (Markdown front matter, HTML `<meta name=…>`, DOCX keywords), then the
text's own header and closing lines (发文机关：…, a 文号 line, a signature block with
its date, 自…起施行), then weak hints (DOCX author and creation date, which are often
the typist's account and the day the file was saved).
"""

from __future__ import annotations

import re
from datetime import date as Date

STATUS_CURRENT = "current"
STATUS_DRAFT = "draft"
STATUS_REPEALED = "repealed"
STATUS_AMENDED = "amended"
STATUS_RETIRED = "retired"  # a staff action (/docs 停用), not a property of the text
STATUSES = (STATUS_CURRENT, STATUS_DRAFT, STATUS_REPEALED, STATUS_AMENDED)
# Never cited: retired by staff, or repealed.
UNCITABLE = frozenset((STATUS_RETIRED, STATUS_REPEALED))

FIELDS = ("title", "issuer", "doc_number", "date", "effective", "status", "amended_by")
LABELS = {"title": "标题", "issuer": "发文机关", "doc_number": "文号", "date": "日期",
          "effective": "施行日期", "status": "状态", "amended_by": "修改文件"}

# Names a field goes by in front matter, <meta>, DOCX keywords, the CLI and the chat.
_ALIASES = {
    "title": ("title", "标题", "题目", "名称"),
    "issuer": ("issuer", "发文机关", "发布机关", "制定机关", "发文单位", "发布单位"),
    "doc_number": ("doc_number", "number", "docnumber", "doc-number", "文号", "发文字号", "字号"),
    "date": ("date", "日期", "发布日期", "成文日期", "发文日期", "公布日期", "pubdate", "publishdate"),
    "effective": ("effective", "effective_date", "effective-date", "施行日期", "生效日期", "实施日期"),
    "status": ("status", "状态", "效力", "时效性", "效力状态"),
    "amended_by": ("amended_by", "amended-by", "amendedby", "修改文件", "修订文件", "被修改"),
}
_FIELD_OF = {alias.lower(): name for name, aliases in _ALIASES.items() for alias in aliases}

_STATUS_WORDS = {
    STATUS_CURRENT: ("current", "in force", "valid", "现行", "现行有效", "有效", "施行", "正式"),
    STATUS_DRAFT: ("draft", "征求意见稿", "征求意见", "草案", "讨论稿", "送审稿", "草稿"),
    STATUS_REPEALED: ("repealed", "revoked", "abolished", "expired", "废止", "已废止", "失效", "已失效", "废除"),
    STATUS_AMENDED: ("amended", "已修改", "已修订", "已被修改", "修改", "修订"),
}
_STATUS_OF = {word: status for status, words in _STATUS_WORDS.items() for word in words}
DRAFT_MARKERS = ("征求意见稿", "草案", "讨论稿", "送审稿", "征求意见")
_REPEALED_MARKERS = ("（已废止）", "（已失效）", "（失效）", "(已废止)", "(已失效)", "【已废止】", "【失效】")

ISSUER_SUFFIX = re.compile(
    r"(人民政府|政府办公厅|办公厅|办公室|委员会|常务委员会|管理委员会|人民代表大会|人民法院|人民检察院"
    r"|总局|局|厅|委|部|院|署|中心|联合会)$")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[ T].*)?$")
DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{0,12}[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*第?\s*\d{1,4}\s*号")
_BARE_LABEL = re.compile(r"^\s*[\u4e00-\u9fff]{2,6}\s*[:：]\s*$")
_LABEL = re.compile(r"^\s*([\u4e00-\u9fff]{2,6})\s*[:：]\s*(.+?)\s*$")
_EFFECTIVE = re.compile(r"自\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起\s*(?:施行|实施|生效|执行)")
_EFFECTIVE_ON_ISSUE = re.compile(r"自\s*(?:发布|印发|公布|颁布|下发)\s*之日\s*起\s*(?:施行|实施|生效|执行)")
# "2017年9月1日 第十二届全国人民代表大会常务委员会第二十九次会议修订": a law's history line.
_HISTORY = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,80}(通过|修订|修正|批准|公布)")
_SHORT = 40


class InvalidValue(ValueError):
    """A value staff typed cannot be used; `reason` says why, in Chinese."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def field_name(name: str) -> str | None:
    """The field `name` refers to (English or Chinese alias), or None."""
    return _FIELD_OF.get(name.strip().lower())


def iso_date(value: str | None) -> str | None:
    """yyyy-mm-dd from "2016-01-29", "2016/1/29", "2016年1月29日", "2016-01-29 10:00"; else None."""
    if not value:
        return None
    value = value.strip()
    match = _ISO_DATE.match(value) or _DATE.search(value)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        parsed = Date(year, month, day)
    except ValueError:
        return None
    if not 1949 <= parsed.year <= 2100:
        return None
    return parsed.isoformat()


def parse_status(value: str) -> tuple[str | None, str | None]:
    """(status, amended_by) from "current", "废止", "amended-by 国科发火〔2016〕195号", ..."""
    text = value.strip().strip("\"'")
    lowered = text.lower()
    for prefix in ("amended-by", "amended_by", "amended by", "被修改", "已被修改", "已修改", "amended"):
        if lowered.startswith(prefix) and len(text) > len(prefix):
            rest = text[len(prefix):].strip(" :：，,（）()")
            if rest:
                return STATUS_AMENDED, rest
    status = _STATUS_OF.get(lowered)
    return status, None


def normalize(name: str, value: str | None) -> str | None:
    """The stored form of one field's value; None clears it. Raises `InvalidValue`."""
    if value is None or not value.strip():
        return None
    value = re.sub(r"\s+", " ", value).strip()
    if name in ("date", "effective"):
        found = iso_date(value)
        if found is None:
            raise InvalidValue(f"无法识别的日期：{value[:30]}（请写成 2016-01-29 或 2016年1月29日）")
        return found
    if name == "status":
        status, _ = parse_status(value)
        if status is None:
            raise InvalidValue(f"无法识别的状态：{value[:30]}（可选：现行、征求意见稿、已废止、已修改）")
        return status
    limit = 200 if name == "title" else 120
    if len(value) > limit:
        raise InvalidValue(f"{LABELS[name]}过长（上限 {limit} 字）")
    return value


def from_pairs(pairs: dict[str, str]) -> dict[str, str]:
    """Fields from format metadata (front matter, <meta>, DOCX keywords); bad values dropped."""
    out: dict[str, str] = {}
    for key, raw in pairs.items():
        name = field_name(key)
        if name is None or not raw or not raw.strip():
            continue
        if name == "status":
            status, amended_by = parse_status(raw)
            if status:
                out["status"] = status
            if amended_by:
                out.setdefault("amended_by", amended_by)
            continue
        try:
            value = normalize(name, raw)
        except InvalidValue:
            continue
        if value:
            out[name] = value
    if out.get("amended_by") and "status" not in out:
        out["status"] = STATUS_AMENDED
    return out


def keyword_pairs(keywords: str) -> dict[str, str]:
    """DOCX keywords: "status: current; date: 2016-01-29", or just a status word like "现行"."""
    pairs: dict[str, str] = {}
    for part in re.split(r"[;；\n]", keywords or ""):
        pair = re.match(r"\s*([^:：=]+?)\s*[:：=]\s*(.*)$", part)
        if pair:
            pairs[pair.group(1)] = pair.group(2).strip()
        elif part.strip() and parse_status(part)[0]:
            pairs.setdefault("status", part.strip())
    return pairs


def from_text(paragraphs: list[str], title_block: list[str], title: str) -> dict[str, str]:
    """What a document's own words say about it: labels, 文号, signature, 施行 clause."""
    found: dict[str, str] = {}
    head = paragraphs[:15]
    # "发文机关：国务院办公厅 | 成文日期：2018年12月23日" (a gov.cn header table) or one per line.
    for para in head:
        cells = para.split(" | ")
        for index, cell in enumerate(cells):
            # A label cell with its value in the next cell: "发文机关：" | "国务院办公厅".
            if _BARE_LABEL.match(cell) and index + 1 < len(cells):
                cell = cell + cells[index + 1]
            label = _LABEL.match(cell)
            if label:
                name = field_name(label.group(1))
                if name and name not in found:
                    try:
                        value = normalize(name, label.group(2)) if name != "status" else parse_status(label.group(2))[0]
                    except InvalidValue:
                        value = None
                    if value:
                        found[name] = value
    if "doc_number" not in found:
        for para in title_block + head:
            match = DOC_NUMBER.search(para)
            if match and len(para) <= _SHORT:
                found["doc_number"] = re.sub(r"\s+", "", match.group(0))
                break
    if "issuer" not in found:
        issuer = next((p for p in title_block if ISSUER_SUFFIX.search(p) and len(p) <= 30), None)
        issuer = issuer or _issuer_from_title(title) or _signature(paragraphs)[0]
        if issuer:
            found["issuer"] = issuer
    if "date" not in found:
        history = [p for p in head if _HISTORY.match(p)]
        candidates = [iso_date(history[-1])] if history else []
        candidates += [_short_date(p) for p in title_block]
        candidates.append(_signature(paragraphs)[1])
        date = next((d for d in candidates if d), None)
        if date:
            found["date"] = date
    effective = None
    for para in paragraphs[-12:] if len(paragraphs) > 12 else paragraphs:
        match = _EFFECTIVE.search(para)
        if match:
            effective = iso_date(match.group(1))
        elif _EFFECTIVE_ON_ISSUE.search(para) and found.get("date"):
            effective = found["date"]
    if effective:
        found["effective"] = effective
    if any(marker in title for marker in _REPEALED_MARKERS):
        found["status"] = STATUS_REPEALED
    elif any(marker in title for marker in DRAFT_MARKERS):
        found["status"] = STATUS_DRAFT
    return found


def _short_date(para: str) -> str | None:
    return iso_date(para) if len(para) <= 30 else None


def _issuer_from_title(title: str) -> str | None:
    # "国务院办公厅关于推广第二批支持创新相关改革举措的通知" → 国务院办公厅
    match = re.match(r"^(.{2,40}?)关于", title)
    if match and ISSUER_SUFFIX.search(match.group(1).strip()):
        return match.group(1).strip()
    return None


def _signature(paragraphs: list[str]) -> tuple[str | None, str | None]:
    """(issuer, date) from a closing signature block: 济南市科学技术局 / 2024年3月1日."""
    tail = paragraphs[-4:]
    for index, para in enumerate(tail):
        date = _short_date(para)
        if date and not _EFFECTIVE.search(para):
            before = tail[index - 1] if index > 0 else ""
            issuer = before if before and len(before) <= 30 and ISSUER_SUFFIX.search(before) else None
            return issuer, date
    return None, None


def resolve(detected: dict[str, str], overrides: dict[str, str]) -> dict[str, str | None]:
    """Every field's value: staff corrections over what was read."""
    merged: dict[str, str | None] = {name: None for name in FIELDS}
    merged.update({k: v for k, v in detected.items() if k in merged})
    merged.update({k: v for k, v in overrides.items() if k in merged})
    if not merged["status"]:
        merged["status"] = STATUS_AMENDED if merged["amended_by"] else STATUS_CURRENT
    return merged
