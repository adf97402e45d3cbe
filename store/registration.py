"""Specialist registration by dialogue (deep link `?start=specialist`), committed per answer.

The questions are data (`STEPS`): a text step has a validator, a choice step has options.
Submitting creates a pending `Specialist`; staff approve it into the pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.render import esc
from store import validators as v
from store.models import RegistrationDraft, Specialist, User, utcnow
from store.survey import Prompt, with_notice


def _districts(text: str) -> list[str]:
    if v.optional_text(text, field=texts.REG_LABELS["districts"], max_len=200) is None:
        return []
    names = [n.strip() for n in text.replace("，", "、").replace(",", "、").replace(" ", "、").split("、") if n.strip()]
    unknown = [n for n in names if n not in texts.DISTRICTS]
    if unknown:
        raise v.ValidationError(texts.REG_BAD_DISTRICT.format(names="、".join(unknown), choices="、".join(texts.DISTRICTS)))
    return list(dict.fromkeys(names))


def _capacity(text: str) -> int:
    raw = text.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 20:
        raise v.ValidationError(texts.IMPORT_BAD_CAPACITY.format(value=raw).replace("1–50", "1–20"))
    return int(raw)


@dataclass(frozen=True)
class Step:
    key: str
    validate: Callable[[str], object] | None = None  # text steps
    options: tuple[str, ...] = ()  # choice steps (the last may be 其他 → `other`)
    other: str | None = None  # the step asking for the typed alternative


STEPS = [
    Step("name", lambda t: v.bounded_text(t, field=texts.REG_LABELS["name"], min_len=2, max_len=20)),
    Step("institution", lambda t: v.bounded_text(t, field=texts.REG_LABELS["institution"], min_len=2, max_len=60)),
    Step("institution_type", options=tuple(texts.INSTITUTION_TYPES)),
    Step("title", lambda t: v.bounded_text(t, field=texts.REG_LABELS["title"], min_len=1, max_len=20)),
    Step("field", options=tuple(texts.FIELDS) + (texts.OTHER,), other="field_other"),
    Step("expertise", lambda t: v.bounded_text(t, field=texts.REG_LABELS["expertise"], min_len=4, max_len=500)),
    Step("achievements", lambda t: v.optional_text(t, field=texts.REG_LABELS["achievements"], max_len=1000)),
    Step("capacity", _capacity, options=tuple(texts.CAPACITY_OPTIONS)),
    Step("districts", _districts),
    Step("phone", v.mobile_phone),
]
BY_KEY = {s.key: s for s in STEPS}
OTHER_STEPS = {s.other: s.key for s in STEPS if s.other}


async def _draft(session: AsyncSession, user: User) -> RegistrationDraft | None:
    return await session.get(RegistrationDraft, user.id)


async def existing_specialist(session: AsyncSession, user: User) -> Specialist | None:
    return await session.scalar(select(Specialist).where(Specialist.telegram_id == user.telegram_id))


async def active_draft(session: AsyncSession, user: User) -> RegistrationDraft | None:
    draft = await _draft(session, user)
    return draft if draft is not None and draft.active and draft.step != "done" else None


async def start(session: AsyncSession, user: User) -> Prompt:
    specialist = await existing_specialist(session, user)
    if specialist is not None:
        return Prompt(texts.REG_ALREADY.format(status=texts.REG_STATUS.get(specialist.status, specialist.status)),
                      finished=True)
    draft = await _draft(session, user)
    if draft is not None and draft.step != "done":
        draft.active = True
        return with_notice(texts.REG_RESUMED, ask(draft))
    if draft is None:
        draft = RegistrationDraft(user_id=user.id, answers={}, step=STEPS[0].key)
        session.add(draft)
    draft.answers, draft.step, draft.active, draft.editing = {}, STEPS[0].key, True, False
    await session.flush()
    return with_notice(texts.REG_STARTED, ask(draft))


async def pause(session: AsyncSession, user: User) -> bool:
    draft = await active_draft(session, user)
    if draft is None:
        return False
    draft.active = False
    return True


def ask(draft: RegistrationDraft) -> Prompt:
    if draft.step == "review":
        lines = [texts.REG_REVIEW_HEADER]
        for step in STEPS:
            value = draft.answers.get(step.key)
            shown = "、".join(value) if isinstance(value, list) else ("" if value is None else str(value))
            lines.append(f"• {texts.REG_LABELS[step.key]}：{esc(shown or '—')}")
        edits = [(f"修改：{texts.REG_LABELS[s.key]}", f"rg:edit:{s.key}") for s in STEPS]
        rows = [[(texts.REG_CONFIRM, "rg:confirm")]] + [edits[i : i + 2] for i in range(0, len(edits), 2)]
        return Prompt("\n".join(lines), rows)
    step = BY_KEY.get(draft.step)
    buttons = [[(label, f"rg:{draft.step}:{n}") for n, label in enumerate(step.options)]] if step and step.options else []
    if step and len(step.options) > 4:
        flat = buttons[0]
        buttons = [flat[i : i + 2] for i in range(0, len(flat), 2)]
    return Prompt(texts.REG_QUESTIONS[draft.step], buttons)


def _advance(draft: RegistrationDraft, key: str) -> None:
    draft.updated_at = utcnow()
    if draft.editing:
        draft.editing, draft.step = False, "review"
        return
    position = [s.key for s in STEPS].index(key)
    draft.step = STEPS[position + 1].key if position + 1 < len(STEPS) else "review"


async def on_text(session: AsyncSession, user: User, text: str) -> Prompt:
    draft = await active_draft(session, user)
    assert draft is not None
    answers = dict(draft.answers)
    key = OTHER_STEPS.get(draft.step, draft.step)
    step = BY_KEY.get(key)
    try:
        if draft.step in OTHER_STEPS:
            value: object = v.bounded_text(text, field=texts.REG_LABELS[key], min_len=2, max_len=30)
        elif step is None or step.validate is None:
            return Prompt(f"⚠️ {esc(texts.SURVEY_BUTTONS_ONLY)}\n\n{ask(draft).text}", ask(draft).buttons)
        else:
            value = step.validate(text)
    except v.ValidationError as exc:
        prompt = ask(draft)
        return Prompt(f"⚠️ {esc(exc.message)}\n\n{prompt.text}", prompt.buttons)
    answers[key] = value
    draft.answers = answers
    _advance(draft, key)
    return ask(draft)


async def on_button(session: AsyncSession, user: User, data: str) -> Prompt | None:
    draft = await active_draft(session, user)
    parts = data.split(":")
    if draft is None or len(parts) < 2:
        return None
    if parts[1] == "confirm" and draft.step == "review":
        return await _submit(session, user, draft)
    if parts[1] == "edit" and draft.step == "review" and len(parts) == 3 and parts[2] in BY_KEY:
        draft.step, draft.editing = parts[2], True
        return ask(draft)
    step = BY_KEY.get(parts[1])
    if step is None or parts[1] != draft.step or len(parts) != 3 or not parts[2].isdigit():
        return None
    index = int(parts[2])
    if index >= len(step.options):
        return None
    label = step.options[index]
    if step.other and label == texts.OTHER:
        draft.step = step.other
        return ask(draft)
    answers = dict(draft.answers)
    answers[step.key] = int(label) if step.key == "capacity" else label
    draft.answers = answers
    _advance(draft, step.key)
    return ask(draft)


async def _submit(session: AsyncSession, user: User, draft: RegistrationDraft) -> Prompt:
    a = draft.answers
    specialist = Specialist(
        name=a["name"], institution=a["institution"], institution_type=a.get("institution_type"), title=a.get("title"),
        field=a["field"], expertise=a["expertise"], achievements=a.get("achievements"), capacity=a.get("capacity") or 1,
        phone=a.get("phone"), telegram_id=user.telegram_id, districts=a.get("districts") or [],
        status="pending", source="registration",
    )
    session.add(specialist)
    draft.step, draft.active = "done", False
    await session.flush()
    return Prompt(texts.REG_SUBMITTED, finished=True)


async def pending(session: AsyncSession) -> list[Specialist]:
    return list((await session.scalars(select(Specialist).where(Specialist.status == "pending")
                                      .order_by(Specialist.created_at))).all())


async def decide(session: AsyncSession, specialist_id: int, approve: bool) -> tuple[Specialist | None, bool]:
    """(specialist, changed). Only a pending registration can be decided."""
    specialist = await session.get(Specialist, specialist_id)
    if specialist is None or specialist.status != "pending":
        return specialist, False
    specialist.status, specialist.updated_at = ("active" if approve else "rejected"), utcnow()
    return specialist, True
