"""Specialist forms by dialogue, committed per answer: a specialist registering (deep link
`?start=specialist`) and an enterprise nominating an expert it already works with (企业自主申报,
`/nominate`). Both create a pending `Specialist`; staff approve it into the pool.

The questions are data (`Form.steps`): a text step has a validator, a choice step has options.

A mobile number is no proof of identity either: a registration whose mobile matches a nominated
record never merges by itself. It is saved as its own pending registration that *claims* the
nominated record (`claims_specialist_id`); staff compare both profiles and merge or keep them
apart, and the nominated record stays exactly as it was until then. Merges are recorded
(`RecordChange`) with who approved them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import lit
from store import validators as v
from store import vocabulary
from store.membership import record
from store.models import Enterprise, EnterpriseMember, NominationDraft, RegistrationDraft, Specialist, User, utcnow
from store.survey import Prompt, with_notice


def _districts(text: str) -> list[str]:
    if v.optional_text(text, field=texts.REG_LABELS["districts"], max_len=200) is None:
        return []
    return vocabulary.districts(text)  # the vocabulary the imports use: 天桥 is 天桥区 here too


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


_NAME = Step("name", lambda t: v.bounded_text(t, field=texts.REG_LABELS["name"], min_len=2, max_len=20))
_INSTITUTION = Step("institution", lambda t: v.bounded_text(t, field=texts.REG_LABELS["institution"], min_len=2, max_len=60))
_INSTITUTION_TYPE = Step("institution_type", options=tuple(texts.INSTITUTION_TYPES))
_TITLE = Step("title", lambda t: v.bounded_text(t, field=texts.REG_LABELS["title"], min_len=1, max_len=20))
_FIELD = Step("field", options=tuple(texts.FIELDS) + (texts.OTHER,), other="field_other")
_EXPERTISE = Step("expertise", lambda t: v.bounded_text(t, field=texts.REG_LABELS["expertise"], min_len=4, max_len=500))


@dataclass(frozen=True)
class Form:
    """One specialist form: a specialist registering themself, or an enterprise nominating an expert."""

    kind: str  # registration | nomination
    prefix: str  # callback data prefix
    steps: tuple[Step, ...]
    draft_model: type[RegistrationDraft] | type[NominationDraft]
    questions: dict[str, str]
    labels: dict[str, str]
    started: str
    resumed: str
    review_header: str
    confirm: str
    submitted: str

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)

    def other_of(self, key: str) -> str | None:
        """The choice step whose typed alternative `key` is."""
        return next((s.key for s in self.steps if s.other == key), None)


REGISTRATION = Form(
    kind="registration", prefix="rg", draft_model=RegistrationDraft,
    steps=(_NAME, _INSTITUTION, _INSTITUTION_TYPE, _TITLE, _FIELD, _EXPERTISE,
           Step("achievements", lambda t: v.optional_text(t, field=texts.REG_LABELS["achievements"], max_len=1000)),
           Step("capacity", _capacity, options=tuple(texts.CAPACITY_OPTIONS)),
           Step("districts", _districts),
           Step("phone", v.mobile_phone)),
    questions=texts.REG_QUESTIONS, labels=texts.REG_LABELS, started=texts.REG_STARTED, resumed=texts.REG_RESUMED,
    review_header=texts.REG_REVIEW_HEADER, confirm=texts.REG_CONFIRM, submitted=texts.REG_SUBMITTED,
)
NOMINATION = Form(
    kind="nomination", prefix="nm", draft_model=NominationDraft,
    steps=(_NAME, _INSTITUTION, _INSTITUTION_TYPE, _TITLE, _FIELD, _EXPERTISE,
           Step("cooperation", lambda t: v.bounded_text(t, field=texts.NOM_LABELS["cooperation"], min_len=4, max_len=500)),
           Step("phone", v.mobile_phone)),
    questions=texts.NOM_QUESTIONS, labels=texts.NOM_LABELS, started=texts.NOM_STARTED, resumed=texts.NOM_RESUMED,
    review_header=texts.NOM_REVIEW_HEADER, confirm=texts.NOM_CONFIRM, submitted=texts.NOM_SUBMITTED,
)


async def _draft(session: AsyncSession, user: User, form: Form = REGISTRATION) -> RegistrationDraft | NominationDraft | None:
    return await session.get(form.draft_model, user.id)


async def existing_specialist(session: AsyncSession, user: User) -> Specialist | None:
    return await session.scalar(select(Specialist).where(Specialist.user_id == user.id))


async def active_draft(session: AsyncSession, user: User, form: Form = REGISTRATION):  # type: ignore[no-untyped-def]
    draft = await _draft(session, user, form)
    return draft if draft is not None and draft.active and draft.step != "done" else None


async def start(session: AsyncSession, user: User, form: Form = REGISTRATION) -> Prompt:
    """Begin (or resume) the form. A specialist registers once; an enterprise may nominate several experts."""
    if form is REGISTRATION:
        specialist = await existing_specialist(session, user)
        if specialist is not None:
            return Prompt(texts.REG_ALREADY.format(status=texts.REG_STATUS.get(specialist.status, specialist.status)),
                          finished=True)
    draft = await _draft(session, user, form)
    if draft is not None and draft.step != "done":
        draft.active = True
        return with_notice(form.resumed, ask(draft, form))
    if draft is None:
        draft = form.draft_model(user_id=user.id, answers={}, step=form.steps[0].key)
        session.add(draft)
    draft.answers, draft.step, draft.active, draft.editing = {}, form.steps[0].key, True, False
    await session.flush()
    return with_notice(form.started, ask(draft, form))


async def pause(session: AsyncSession, user: User, form: Form = REGISTRATION) -> bool:
    draft = await active_draft(session, user, form)
    if draft is None:
        return False
    draft.active = False
    return True


def ask(draft, form: Form = REGISTRATION) -> Prompt:  # type: ignore[no-untyped-def]
    if draft.step == "review":
        lines = [form.review_header]
        for step in form.steps:
            value = draft.answers.get(step.key)
            shown = "、".join(value) if isinstance(value, list) else ("" if value is None else str(value))
            lines.append(f"• {form.labels[step.key]}：{lit(shown or '—')}")
        edits = [(texts.SURVEY_EDIT.format(label=form.labels[s.key]), f"{form.prefix}:edit:{s.key}") for s in form.steps]
        rows = [[(form.confirm, f"{form.prefix}:confirm")]] + [edits[i : i + 2] for i in range(0, len(edits), 2)]
        return Prompt("\n".join(lines), rows)
    step = form.step(draft.step)
    buttons = [[(label, f"{form.prefix}:{draft.step}:{n}") for n, label in enumerate(step.options)]] \
        if step and step.options else []
    if step and len(step.options) > 4:
        flat = buttons[0]
        buttons = [flat[i : i + 2] for i in range(0, len(flat), 2)]
    return Prompt(form.questions[draft.step], buttons)


def _advance(draft, key: str, form: Form) -> None:  # type: ignore[no-untyped-def]
    draft.updated_at = utcnow()
    if draft.editing:
        draft.editing, draft.step = False, "review"
        return
    keys = [s.key for s in form.steps]
    position = keys.index(key)
    draft.step = keys[position + 1] if position + 1 < len(keys) else "review"


async def on_text(session: AsyncSession, user: User, text: str, form: Form = REGISTRATION) -> Prompt:
    draft = await active_draft(session, user, form)
    assert draft is not None
    answers = dict(draft.answers)
    chooser = form.other_of(draft.step)
    key = chooser or draft.step
    step = form.step(key)
    try:
        if chooser is not None:
            value: object = (vocabulary.field_label(text) if key == "field"
                             else v.bounded_text(text, field=form.labels[key], min_len=2, max_len=30))
        elif step is None or step.validate is None:
            return Prompt(f"⚠️ {lit(texts.SURVEY_BUTTONS_ONLY)}\n\n{ask(draft, form).text}", ask(draft, form).buttons)
        else:
            value = step.validate(text)
    except v.ValidationError as exc:
        prompt = ask(draft, form)
        return Prompt(f"⚠️ {lit(exc.message)}\n\n{prompt.text}", prompt.buttons)
    answers[key] = value
    draft.answers = answers
    _advance(draft, key, form)
    return ask(draft, form)


async def on_button(session: AsyncSession, user: User, data: str, form: Form = REGISTRATION) -> Prompt | None:
    """The next prompt, or None for a stale or forged button."""
    draft = await active_draft(session, user, form)
    parts = data.split(":")
    if draft is None or len(parts) < 2 or parts[0] != form.prefix:
        return None
    if parts[1] == "confirm" and draft.step == "review":
        return await _submit(session, user, draft, form)
    if parts[1] == "edit" and draft.step == "review" and len(parts) == 3 and form.step(parts[2]) is not None:
        draft.step, draft.editing = parts[2], True
        return ask(draft, form)
    step = form.step(parts[1])
    if step is None or parts[1] != draft.step or len(parts) != 3 or not parts[2].isdigit():
        return None
    index = int(parts[2])
    if index >= len(step.options):
        return None
    label = step.options[index]
    if step.other and label == texts.OTHER:
        draft.step = step.other
        return ask(draft, form)
    answers = dict(draft.answers)
    answers[step.key] = int(label) if step.key == "capacity" else label
    draft.answers = answers
    _advance(draft, step.key, form)
    return ask(draft, form)


async def _submit(session: AsyncSession, user: User, draft, form: Form) -> Prompt:  # type: ignore[no-untyped-def]
    a = draft.answers
    profile = dict(name=a["name"], institution=a["institution"], institution_type=a.get("institution_type"),
                   title=a.get("title"), field=a["field"], expertise=a["expertise"], phone=a.get("phone"))
    if form is REGISTRATION:
        profile.update(achievements=a.get("achievements"), capacity=a.get("capacity") or 1,
                       districts=a.get("districts") or [], user_id=user.id)
        nominee = await _nominee_with_phone(session, a.get("phone"))
        specialist = Specialist(**profile, status="pending", source=form.kind,
                                claims_specialist_id=nominee.id if nominee else None)
        if nominee is not None:
            session.add(specialist)
            draft.step, draft.active = "done", False
            await session.flush()
            record(session, "specialist", nominee.id, user, "merge_claim", registration_id=specialist.id)
            return Prompt(texts.REG_CLAIM_PENDING, finished=True)
    else:
        member = await session.get(EnterpriseMember, user.id)
        if member is None:  # unlinked since it began: nothing is lost, the draft waits (paused) at review
            draft.active = False
            return Prompt(texts.NOM_NEEDS_ENTERPRISE)
        # An expert the enterprise already works with serves it first: capacity 1, no district limit.
        specialist = Specialist(**profile, status="pending", source=form.kind, capacity=1, districts=[],
                                nominated_by=member.enterprise_id, nominated_user=user.id,
                                nomination_note=a.get("cooperation"))
    session.add(specialist)
    draft.step, draft.active = "done", False
    await session.flush()
    record(session, "specialist", specialist.id, user, "nominated" if form is NOMINATION else "registered")
    return Prompt(form.submitted, finished=True)


async def _nominee_with_phone(session: AsyncSession, phone: str | None) -> Specialist | None:
    """A nominated record with this mobile that no person holds yet."""
    if not phone:
        return None
    return await session.scalar(select(Specialist).where(
        Specialist.source == "nomination", Specialist.user_id.is_(None), Specialist.phone == phone,
        Specialist.status.in_(("pending", "active"))).order_by(Specialist.id).limit(1))


@dataclass
class MergeOutcome:
    outcome: str  # merged | separated | stale
    registration: Specialist | None = None
    nominee: Specialist | None = None
    nominator: User | None = None  # the enterprise member to tell of a merge


async def decide_merge(session: AsyncSession, registration_id: int, staff: User, merge: bool) -> MergeOutcome:
    """Staff compare a registration with the nominated record it claims: merge it in (the
    registration's answers and person replace the record's, which keeps its status), or
    keep them apart (the registration is reviewed on its own)."""
    registration = await session.get(Specialist, registration_id)
    if registration is None or registration.status != "pending" or registration.claims_specialist_id is None:
        return MergeOutcome("stale")
    nominee = await session.get(Specialist, registration.claims_specialist_id)
    if not merge or nominee is None or nominee.user_id is not None:
        registration.claims_specialist_id = None
        if nominee is not None:
            record(session, "specialist", nominee.id, staff, "merge_refused", registration_id=registration.id)
        await session.flush()
        return MergeOutcome("separated", registration, nominee)
    before = {key: getattr(nominee, key) for key in MERGED_FIELDS}
    for key in MERGED_FIELDS:
        setattr(nominee, key, getattr(registration, key))
    nominee.updated_at = utcnow()
    record(session, "specialist", nominee.id, staff, "merged", registration_id=registration.id,
           user_id=registration.user_id, before={k: v for k, v in before.items() if k != "phone"})
    await session.delete(registration)
    await session.flush()
    nominator = None
    if nominee.nominated_user is not None:
        member = await session.get(EnterpriseMember, nominee.nominated_user)
        if member is not None and member.enterprise_id == nominee.nominated_by:  # still speaks for that enterprise
            nominator = await session.get(User, nominee.nominated_user)
    return MergeOutcome("merged", None, nominee, nominator)


MERGED_FIELDS = ("name", "institution", "institution_type", "title", "field", "expertise", "achievements",
                 "capacity", "districts", "phone", "user_id")


async def merge_claims(session: AsyncSession) -> dict[int, Specialist]:
    """Pending registrations that claim a nominated record: registration id → the record."""
    rows = await session.execute(select(Specialist.id, Specialist.claims_specialist_id).where(
        Specialist.status == "pending", Specialist.claims_specialist_id.is_not(None)))
    pairs = dict(rows.all())
    if not pairs:
        return {}
    records = {s.id: s for s in (await session.scalars(select(Specialist).where(Specialist.id.in_(set(pairs.values()))))).all()}
    return {reg: records[nom] for reg, nom in pairs.items() if nom in records}


async def submitted_nomination(session: AsyncSession, user: User) -> Specialist | None:
    """The nomination this user submitted last."""
    return await session.scalar(select(Specialist).where(Specialist.nominated_user == user.id)
                                .order_by(Specialist.id.desc()).limit(1))


async def pending(session: AsyncSession) -> list[Specialist]:
    return list((await session.scalars(select(Specialist).where(Specialist.status == "pending")
                                      .order_by(Specialist.created_at))).all())


async def nominators(session: AsyncSession, specialists: list[Specialist]) -> list[Enterprise]:
    ids = {s.nominated_by for s in specialists if s.nominated_by}
    return list((await session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)))).all()) if ids else []


async def decide(session: AsyncSession, specialist_id: int, approve: bool,
                 staff: User | None = None) -> tuple[Specialist | None, bool]:
    """(specialist, changed). Only a pending registration can be decided."""
    specialist = await session.get(Specialist, specialist_id)
    if specialist is None or specialist.status != "pending":
        return specialist, False
    if approve and specialist.claims_specialist_id is not None:  # same person as a nominee? staff decide that first
        return specialist, False
    specialist.status, specialist.updated_at = ("active" if approve else "rejected"), utcnow()
    record(session, "specialist", specialist.id, staff, "approved" if approve else "rejected")
    return specialist, True
