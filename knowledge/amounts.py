"""Amounts a question states, and the bounds a clause states, so one can be checked against the other.

An owner often gives their own figure — 去年营收4000万, 我们有200名员工 — and the rules
come in tiers: 最近一年销售收入小于5,000万元（含）的企业，比例不低于5%. The clause whose
bounds contain the owner's figure is the one that answers them.

Kinds compared: money (元, with 万/亿; a bare 4000万 in a question is money) and people
(人/名). Ratios and years are not compared: 不低于5% is a requirement, not a tier, and
2027年 is a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MULTIPLIER = {"": 1.0, "千": 1e3, "万": 1e4, "千万": 1e7, "亿": 1e8}
_NUMBER = r"(\d+(?:[,，]\d{3})*(?:\.\d+)?)"
# 4000万 / 4000万元 / 5,000万元 / 2亿元 / 300人 / 200名员工 / 50万 / 1.2个亿 / 8千万
_QUANTITY = re.compile(_NUMBER + r"\s*个?\s*(千万|千|万|亿)?\s*(元|人|名)?")
# Words before a figure (小于5,000万元) or after it (300人以下) that make it a ceiling or a floor.
_BELOW_LEAD = ("小于", "少于", "低于", "不足", "不超过", "不高于", "未超过", "不多于")
_ABOVE_LEAD = ("不低于", "不少于", "超过", "大于", "高于", "多于", "达到")
_BELOW_TAIL = ("以下", "以内", "及以下")
_ABOVE_TAIL = ("以上", "及以上")
# A bound, with what comes right after it (以上 / 以下 / 以内 / （含）).
_BOUND = re.compile(
    r"(?P<lead>" + "|".join(_BELOW_LEAD + _ABOVE_LEAD) + r")?\s*"
    + _NUMBER + r"\s*(?P<mult>千|万|亿)?\s*(?P<unit>元|人|名)"
    r"(?P<tail>（含）|\(含\)|以上|以下|以内|及以上|及以下)?"
    r"(?:\s*(?:至|到|-|～|~)\s*" + _NUMBER + r"\s*(?P<mult2>千|万|亿)?\s*(?P<unit2>元|人|名)(?P<tail2>（含）|\(含\)|以上|以下)?)?"
)


@dataclass(frozen=True)
class Amount:
    kind: str  # money | people
    value: float


@dataclass(frozen=True)
class Bound:
    kind: str
    low: float | None  # None: unbounded
    high: float | None

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


def _value(number: str, mult: str | None) -> float:
    return float(number.replace(",", "").replace("，", "")) * _MULTIPLIER[mult or ""]


def _kind(mult: str | None, unit: str | None) -> str | None:
    if unit in ("人", "名"):
        return "people"
    if unit == "元" or mult in ("万", "千万", "亿"):
        return "money"
    return None


def stated_amounts(question: str) -> list[Amount]:
    """Money and head counts the question gives (its own figures), years and ratios left out."""
    out = []
    for match in _QUANTITY.finditer(question):
        number, mult, unit = match.groups()
        after = question[match.end(): match.end() + 1]
        if after in ("年", "%", "％", "号", "条", "月", "日", "岁"):
            continue
        kind = _kind(mult, unit)
        if kind:
            out.append(Amount(kind, _value(number, mult)))
    return out


def stated_bounds(text: str) -> list[Bound]:
    """Tiers a clause states: 小于5,000万元（含）, 5,000万元至2亿元（含）, 2亿元以上, 不超过300人."""
    out = []
    for m in _BOUND.finditer(text):
        kind = _kind(m.group("mult"), m.group("unit"))  # a unit is required: always a kind
        value = _value(m.group(2), m.group("mult"))
        lead, tail = m.group("lead") or "", m.group("tail") or ""
        if m.group(6):  # a range: 5,000万元至2亿元（含）
            high = _value(m.group(6), m.group("mult2"))
            out.append(Bound(kind, value, high))
        elif lead in _BELOW_LEAD or tail in _BELOW_TAIL:
            out.append(Bound(kind, None, value))
        elif lead in _ABOVE_LEAD or tail in _ABOVE_TAIL:
            out.append(Bound(kind, value, None))
    return out


def amount_fit(amounts: list[Amount], text: str) -> float:
    """1 when a clause's tier contains every figure the question states of that kind, else 0."""
    if not amounts:
        return 0.0
    bounds = stated_bounds(text)
    fitted = False
    for amount in amounts:
        same = [b for b in bounds if b.kind == amount.kind]
        if not same:
            continue
        if not any(b.contains(amount.value) for b in same):
            return 0.0
        fitted = True
    return 1.0 if fitted else 0.0
