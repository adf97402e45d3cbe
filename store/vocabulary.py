"""One vocabulary of districts and industry fields for the chat, the imports and matching.

Everyone who writes a district or a field — an owner typing 其他 in the survey, a specialist
listing the districts they serve, staff importing the roster or the specialist pool — goes
through the same normaliser, so a label the chat accepts is one the import accepts and the
other way round, and `天桥`, `济南市天桥区` and `天桥区` are one district.

Districts (所在区县（功能区）) are Jinan's 10 districts and 2 counties plus the functional areas
the programme reports by (``texts.DISTRICTS``). Anything else is not a Jinan district:
:func:`normalise_district` returns None and :func:`district` raises a ValidationError that
lists the valid names.

Fields (产业领域) are the programme's list (``texts.FIELDS``: the eight 国家重点支持的高新技术领域
plus 现代农业). :func:`normalise_field` maps a known alias (生物医药 → 生物与新医药) and returns
None for anything else; a field outside the list is still a legitimate answer (the survey's
其他), kept as typed by :func:`field_label`.

Public API (stable; the matching code may use it):

* ``normalise_district(text) -> str | None`` — canonical district name, or None.
* ``district(text) -> str`` — canonical name, or ValidationError (Chinese, with the choices).
* ``districts(text) -> list[str]`` — a list typed as 历下区、市中区 / "历下,市中"; each checked.
* ``normalise_field(text) -> str | None`` — canonical programme field, or None.
* ``field_label(text) -> str`` — the canonical field if known, else the cleaned text as typed.
"""

from __future__ import annotations

import re
import unicodedata

from core import texts
from store import validators as v

__all__ = ["DISTRICTS", "FIELDS", "district", "districts", "field_label", "normalise_district", "normalise_field"]

DISTRICTS: tuple[str, ...] = tuple(texts.DISTRICTS)
FIELDS: tuple[str, ...] = tuple(texts.FIELDS)

# Other names in use for the same place: full official names, names before a merger
# (章丘市 became 章丘区 in 2016, 济阳县 济阳区 in 2018, 莱芜市 莱芜区/钢城区 in 2019), and
# the short forms people type.
_DISTRICT_ALIASES = {
    "高新区": "济南高新区", "高新": "济南高新区", "济南高新技术产业开发区": "济南高新区",
    "高新技术产业开发区": "济南高新区", "济南高新技术产业开发区管委会": "济南高新区", "济南高新区管委会": "济南高新区",
    "起步区": "济南新旧动能转换起步区", "新旧动能转换起步区": "济南新旧动能转换起步区",
    "济南起步区": "济南新旧动能转换起步区", "新旧动能起步区": "济南新旧动能转换起步区",
    "南山": "南部山区", "南部山区管委会": "南部山区", "济南南部山区": "南部山区",
    "章丘市": "章丘区", "济阳县": "济阳区", "长清县": "长清区", "历城县": "历城区", "莱芜市": "莱芜区",
    "莱芜": "莱芜区", "钢城": "钢城区",
}
_PREFIXES = ("山东省", "山东", "济南市", "济南")

_FIELD_ALIASES = {
    # 生物与新医药
    "生物医药": "生物与新医药", "生物": "生物与新医药", "生物技术": "生物与新医药", "医药": "生物与新医药",
    "新医药": "生物与新医药", "医疗器械": "生物与新医药", "生物医学": "生物与新医药", "医药健康": "生物与新医药",
    "生物与医药": "生物与新医药", "生命科学": "生物与新医药",
    # 电子信息
    "电子": "电子信息", "信息技术": "电子信息", "新一代信息技术": "电子信息", "软件": "电子信息",
    "软件和信息技术服务": "电子信息", "集成电路": "电子信息", "微电子": "电子信息", "通信": "电子信息",
    "计算机": "电子信息", "电子与信息": "电子信息", "信息": "电子信息",
    # 航空航天
    "航空": "航空航天", "航天": "航空航天", "空天": "航空航天", "空天信息": "航空航天",
    # 新材料
    "材料": "新材料", "先进材料": "新材料", "化工新材料": "新材料",
    # 高技术服务
    "技术服务": "高技术服务", "科技服务": "高技术服务", "高技术服务业": "高技术服务", "研发服务": "高技术服务",
    "检验检测": "高技术服务", "科技服务业": "高技术服务",
    # 新能源与节能
    "新能源": "新能源与节能", "节能": "新能源与节能", "能源": "新能源与节能", "新能源汽车": "新能源与节能",
    "新能源和节能": "新能源与节能",
    # 资源与环境
    "环保": "资源与环境", "环境": "资源与环境", "节能环保": "资源与环境", "环境保护": "资源与环境",
    "资源和环境": "资源与环境", "生态环境": "资源与环境",
    # 先进制造与自动化
    "先进制造": "先进制造与自动化", "智能制造": "先进制造与自动化", "装备制造": "先进制造与自动化",
    "高端装备": "先进制造与自动化", "高端装备制造": "先进制造与自动化", "自动化": "先进制造与自动化",
    "机械": "先进制造与自动化", "先进制造和自动化": "先进制造与自动化", "制造": "先进制造与自动化",
    # 现代农业
    "农业": "现代农业", "智慧农业": "现代农业", "农业科技": "现代农业", "种业": "现代农业", "现代农业科技": "现代农业",
}

_SEPARATORS = re.compile(r"[、，,；;/\s]+")
_NOISE = re.compile(r"[\s\u200b\u2060\ufeff·•]+")


def _clean(text: str | None) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text or "")).strip("。.，,")


def normalise_district(text: str | None) -> str | None:
    """`天桥` / `济南市天桥区` / `天桥区` → `天桥区`; `高新区` → `济南高新区`; not in Jinan → None."""
    name = _clean(text)
    if not name:
        return None
    candidates = [name]
    for prefix in _PREFIXES:  # in order: 山东省济南市历下区 → 济南市历下区 → 历下区
        last = candidates[-1]
        if last.startswith(prefix) and len(last) > len(prefix):
            candidates.append(last[len(prefix):])
    for candidate in candidates:
        if candidate in DISTRICTS:
            return candidate
        if candidate in _DISTRICT_ALIASES:
            return _DISTRICT_ALIASES[candidate]
        for suffix in ("区", "县"):  # 天桥 → 天桥区, 平阴 → 平阴县
            if candidate + suffix in DISTRICTS:
                return candidate + suffix
    return None


def district(text: str | None) -> str:
    """The canonical district, or a ValidationError naming the valid ones."""
    found = normalise_district(text)
    if found is None:
        shown = _clean(text)[:30] or "（空）"
        raise v.ValidationError(texts.VOCAB_BAD_DISTRICT.format(name=shown, choices="、".join(DISTRICTS)))
    return found


def districts(text: str | list[str] | None) -> list[str]:
    """Several districts (a typed list or a list of strings), canonical, each once, in order."""
    parts = text if isinstance(text, list) else _SEPARATORS.split(unicodedata.normalize("NFKC", text or ""))
    names = [str(p).strip() for p in parts if str(p).strip()]
    unknown = [n for n in names if normalise_district(n) is None]
    if unknown:
        raise v.ValidationError(texts.VOCAB_BAD_DISTRICTS.format(
            names="、".join(n[:30] for n in unknown[:5]), choices="、".join(DISTRICTS)))
    return list(dict.fromkeys(normalise_district(n) for n in names))  # type: ignore[misc]


def normalise_field(text: str | None) -> str | None:
    """`生物医药` → `生物与新医药`; a programme field as itself; anything else → None."""
    name = _clean(text)
    if not name:
        return None
    if name in FIELDS:
        return name
    if name in _FIELD_ALIASES:
        return _FIELD_ALIASES[name]
    for suffix in ("领域", "产业", "行业", "技术"):  # 新材料领域, 现代农业产业
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if stem in FIELDS:
                return stem
            if stem in _FIELD_ALIASES:
                return _FIELD_ALIASES[stem]
    return None


def field_label(text: str | None, *, max_len: int = 30) -> str:
    """A field as stored: the programme's name when known, else the typed text (2–`max_len` 字)."""
    known = normalise_field(text)
    if known is not None:
        return known
    return v.bounded_text(text, field=texts.SURVEY_LABELS["field"], min_len=2, max_len=max_len)
