"""Specialist forms by dialogue, committed per answer: a specialist registering (deep link
`?start=specialist`) and an enterprise nominating an expert it already works with (企业自主申报,
`/nominate`). Both create a pending `Specialist`; staff approve it into the pool.

The questions are data: two definitions on the one dialogue engine (core/dialogue.py).

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

from core import dialogue, texts
from core.dialogue import Definition, Outcome, Step, with_notice
from core.markup import Marked, fmt
from core.messages import STAFF, Choice, Notice, Rows
from store import validators as v
from store import vocabulary
from store.membership import record
from store.models import Enterprise, EnterpriseMember, NominationDraft, RegistrationDraft, Specialist, User, utcnow

Prompt = Outcome


def _districts(text: str) -> list[str]:
    if v.optional_text(text, field=texts.REG_LABELS["districts"], max_len=200) is None:
        return []
    return vocabulary.districts(text)  # the vocabulary the imports use: 天桥 is 天桥区 here too


def _capacity(text: str) -> int:
    raw = text.strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 20:
        raise v.ValidationError(texts.IMPORT_BAD_CAPACITY.format(value=raw).replace("1–50", "1–20"))
    return int(raw)


def _text(labels: dict[str, str], key: str, min_len: int, max_len: int) -> Callable[[str], object]:
    return lambda t: v.bounded_text(t, field=labels[key], min_len=min_len, max_len=max_len)


def _columns(options: list[str]) -> int:
    return 2 if len(options) > 4 else len(options)  # a short list on one row


def _steps(questions: dict[str, str], labels: dict[str, str]) -> tuple[Step, ...]:
    """The questions both forms ask first: who the expert is."""
    return (
        Step("name", questions["name"], _text(labels, "name", 2, 20)),
        Step("institution", questions["institution"], _text(labels, "institution", 2, 60)),
        Step("institution_type", questions["institution_type"], options=tuple(texts.INSTITUTION_TYPES),
             columns=_columns(texts.INSTITUTION_TYPES)),
        Step("title", questions["title"], _text(labels, "title", 1, 20)),
        Step("field", questions["field"], options=tuple(texts.FIELDS), other="field_other",
             columns=_columns(texts.FIELDS + [texts.OTHER])),
        Step("expertise", questions["expertise"], _text(labels, "expertise", 4, 500)),
    )


def _follow_ups(questions: dict[str, str]) -> tuple[Step, ...]:
    return (Step("field_other", questions["field_other"], vocabulary.field_label, parent="field"),)


Form = Definition  # a specialist form is a definition on the dialogue engine


def _submitter(kind: str):  # type: ignore[no-untyped-def]
    return lambda session, user, draft: _submit(session, user, draft, FORMS[kind])


_R, _RL = texts.REG_QUESTIONS, texts.REG_LABELS
REGISTRATION: Definition = Definition(
    name="registration", prefix="rg", labels=_RL, review_header=texts.REG_REVIEW_HEADER, confirm=texts.REG_CONFIRM,
    submit=_submitter("registration"), started=texts.REG_STARTED, resumed=texts.REG_RESUMED, paused=texts.REG_PAUSED,
    steps=_steps(_R, _RL) + (
        Step("achievements", _R["achievements"], lambda t: v.optional_text(t, field=_RL["achievements"], max_len=1000)),
        Step("capacity", _R["capacity"], _capacity, options=tuple(texts.CAPACITY_OPTIONS),
             values=tuple(int(c) for c in texts.CAPACITY_OPTIONS), columns=_columns(texts.CAPACITY_OPTIONS)),
        Step("districts", _R["districts"], _districts),
        Step("phone", _R["phone"], v.mobile_phone)),
    follow_ups=_follow_ups(_R),
)
_N, _NL = texts.NOM_QUESTIONS, texts.NOM_LABELS
NOMINATION: Definition = Definition(
    name="nomination", prefix="nm", labels=_NL, review_header=texts.NOM_REVIEW_HEADER, confirm=texts.NOM_CONFIRM,
    submit=_submitter("nomination"), started=texts.NOM_STARTED, resumed=texts.NOM_RESUMED, paused=texts.NOM_PAUSED,
    steps=_steps(_N, _NL) + (
        Step("cooperation", _N["cooperation"], _text(_NL, "cooperation", 4, 500)),
        Step("phone", _N["phone"], v.mobile_phone)),
    follow_ups=_follow_ups(_N),
)
FORMS = {"registration": REGISTRATION, "nomination": NOMINATION}
DRAFTS: dict[str, type[RegistrationDraft] | type[NominationDraft]] = {
    "registration": RegistrationDraft, "nomination": NominationDraft}
SUBMITTED = {"registration": texts.REG_SUBMITTED, "nomination": texts.NOM_SUBMITTED}


async def _draft(session: AsyncSession, user: User, form: Form = REGISTRATION) -> RegistrationDraft | NominationDraft | None:
    return await session.get(DRAFTS[form.name], user.id)


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
        draft = DRAFTS[form.name](user_id=user.id, answers={}, step=form.steps[0].key)
        session.add(draft)
    dialogue.begin(form, draft)
    await session.flush()
    return with_notice(form.started, ask(draft, form))


async def pause(session: AsyncSession, user: User, form: Form = REGISTRATION) -> bool:
    draft = await active_draft(session, user, form)
    if draft is None:
        return False
    draft.active = False
    return True


def ask(draft, form: Form = REGISTRATION) -> Prompt:  # type: ignore[no-untyped-def]
    return dialogue.ask(form, draft)


async def on_text(session: AsyncSession, user: User, text: str, form: Form = REGISTRATION) -> Prompt:
    draft = await active_draft(session, user, form)
    assert draft is not None
    return await dialogue.on_text(form, session, user, draft, text)


async def on_button(session: AsyncSession, user: User, data: str, form: Form = REGISTRATION) -> Prompt | None:
    """The next prompt, or None for a stale or forged button."""
    draft = await active_draft(session, user, form)
    if draft is None:
        return None
    return await dialogue.on_action(form, session, user, draft, data)


async def _submit(session: AsyncSession, user: User, draft, form: Form) -> Prompt:  # type: ignore[no-untyped-def]
    a = draft.answers
    profile = dict(name=a["name"], institution=a["institution"], institution_type=a.get("institution_type"),
                   title=a.get("title"), field=a["field"], expertise=a["expertise"], phone=a.get("phone"))
    if form is REGISTRATION:
        profile.update(achievements=a.get("achievements"), capacity=a.get("capacity") or 1,
                       districts=a.get("districts") or [], user_id=user.id)
        nominee = await _nominee_with_phone(session, a.get("phone"))
        specialist = Specialist(**profile, status="pending", source=form.name,
                                claims_specialist_id=nominee.id if nominee else None)
        if nominee is not None:
            session.add(specialist)
            draft.step, draft.active = "done", False
            await session.flush()
            record(session, "specialist", nominee.id, user, "merge_claim", registration_id=specialist.id)
            # Same mobile as a nominated record: staff decide whether it is the same person first.
            return Prompt(texts.REG_CLAIM_PENDING, finished=True, notices=[Notice(
                await merge_summary(session, specialist), STAFF, merge_choices(specialist.id),
                ref=f"specialist:{specialist.id}")])
    else:
        member = await session.get(EnterpriseMember, user.id)
        if member is None:  # unlinked since it began: nothing is lost, the draft waits (paused) at review
            draft.active = False
            return Prompt(texts.NOM_NEEDS_ENTERPRISE)
        # An expert the enterprise already works with serves it first: capacity 1, no district limit.
        specialist = Specialist(**profile, status="pending", source=form.name, capacity=1, districts=[],
                                nominated_by=member.enterprise_id, nominated_user=user.id,
                                nomination_note=a.get("cooperation"))
    session.add(specialist)
    draft.step, draft.active = "done", False
    await session.flush()
    record(session, "specialist", specialist.id, user, "nominated" if form is NOMINATION else "registered")
    nominator = await session.get(Enterprise, specialist.nominated_by) if specialist.nominated_by else None
    # Every staff chat is owed the submission with ✅/✖️, in the submitting transaction.
    return Prompt(SUBMITTED[form.name], finished=True, notices=[Notice(
        summary(specialist, nominator.name if nominator else None), STAFF, decision_choices(specialist.id),
        ref=f"specialist:{specialist.id}")])


# -- what staff see of a submission ----------------------------------------------------------------


def _profile(specialist: Specialist) -> Marked:
    return fmt(texts.REG_PROFILE, name=specialist.name, institution=specialist.institution,
               institution_type=specialist.institution_type or "—", title=specialist.title or "—",
               field=specialist.field, expertise=specialist.expertise, capacity=specialist.capacity)


def summary(specialist: Specialist, nominator: str | None = None) -> Marked:
    if specialist.source == "nomination":
        return fmt(texts.NOM_TO_STAFF, id=specialist.id, enterprise=nominator or "—", name=specialist.name,
                   institution=specialist.institution, institution_type=specialist.institution_type or "—",
                   title=specialist.title or "—", field=specialist.field, expertise=specialist.expertise,
                   note=specialist.nomination_note or "—")
    return fmt(texts.REG_TO_STAFF, id=specialist.id, name=specialist.name, institution=specialist.institution,
               institution_type=specialist.institution_type or "—", title=specialist.title or "—",
               field=specialist.field, expertise=specialist.expertise, capacity=specialist.capacity)


async def merge_summary(session: AsyncSession, submitted: Specialist) -> Marked:
    """Both profiles side by side: the registration and the nominated record it claims to be."""
    nominee = await session.get(Specialist, submitted.claims_specialist_id)
    if nominee is None:
        return summary(submitted)
    enterprise = await session.get(Enterprise, nominee.nominated_by) if nominee.nominated_by else None
    registrant = await session.get(User, submitted.user_id) if submitted.user_id else None
    return fmt(texts.REG_CLAIM_TO_STAFF, reg_id=submitted.id, who=registrant.display_name if registrant else "—",
               registration=_profile(submitted), nominee_id=nominee.id,
               status=texts.REG_STATUS.get(nominee.status, nominee.status),
               enterprise=enterprise.name if enterprise else "—", nominee=_profile(nominee))


def decision_choices(specialist_id: int) -> Rows:
    return [[Choice(texts.APPROVE_BUTTON.format(id=specialist_id), f"sp:ok:{specialist_id}"),
             Choice(texts.REJECT_BUTTON.format(id=specialist_id), f"sp:no:{specialist_id}")]]


def merge_choices(registration_id: int) -> Rows:
    return [[Choice(texts.REG_MERGE_BUTTON, f"sm:ok:{registration_id}")],
            [Choice(texts.REG_SEPARATE_BUTTON, f"sm:sep:{registration_id}"),
             Choice(texts.REJECT_BUTTON.format(id=registration_id), f"sp:no:{registration_id}")]]


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
