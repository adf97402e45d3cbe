"""Which dialogue a person is in: at most one is active, found with one query per message.

The dialogues are an immutable table (`DIALOGUES`) of four definitions on core/dialogue.py: the
demand survey, a specialist's registration and an enterprise's nomination (each with its own
drafts table), and staff's broadcast composer (store/composer.py: its draft is the `Broadcast`
row, and the channel drives it, since only the channel can preview an announcement). Starting one pauses any other, its answers
kept: the same command or deep link resumes it at the same question.

A survey draft whose campaign closed while it was being filled in is "survey_closed": the
person is told once, and their texts are questions again.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy import case, literal, select, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.dialogue import Definition, Outcome, with_notice
from store import registration, survey
from store.composer import COMPOSER
from store.models import Broadcast, Campaign, NominationDraft, RegistrationDraft, SurveyDraft, User

SURVEY, SURVEY_CLOSED, REGISTRATION, NOMINATION, BROADCAST = (
    "survey", "survey_closed", "registration", "nomination", "broadcast")


@dataclass(frozen=True)
class Dialogue:
    name: str
    definition: Definition
    paused: str  # what /cancel says


DIALOGUES = MappingProxyType({
    BROADCAST: Dialogue(BROADCAST, COMPOSER, texts.BROADCAST_PAUSED),
    SURVEY: Dialogue(SURVEY, survey.SURVEY, texts.SURVEY_PAUSED),
    REGISTRATION: Dialogue(REGISTRATION, registration.REGISTRATION, texts.REG_PAUSED),
    NOMINATION: Dialogue(NOMINATION, registration.NOMINATION, texts.NOM_PAUSED),
})
# The actions the generic dialogue handlers take (the composer's are its channel's).
BY_PREFIX = MappingProxyType({d.definition.prefix: d for d in DIALOGUES.values() if d.name != BROADCAST})
FORMS = MappingProxyType({REGISTRATION: registration.REGISTRATION, NOMINATION: registration.NOMINATION})


async def active(session: AsyncSession, user: User, composer: bool = False) -> list[str]:
    """The dialogues this person is in, most urgent first — one query over every draft table.
    Normally one at most; a draft from before the one-at-a-time rule may make it several, and the
    first is the one a message goes to (the composer first: it is staff's, and says so)."""
    branches = [
        select(case((Campaign.status == "open", literal(1)), else_=literal(2)).label("rank"),
               case((Campaign.status == "open", literal(SURVEY)), else_=literal(SURVEY_CLOSED)).label("name"))
        .select_from(SurveyDraft).join(Campaign, Campaign.year == SurveyDraft.campaign_year)
        .where(SurveyDraft.user_id == user.id, SurveyDraft.active, SurveyDraft.step != "done"),
        select(literal(3).label("rank"), literal(REGISTRATION).label("name")).select_from(RegistrationDraft)
        .where(RegistrationDraft.user_id == user.id, RegistrationDraft.active, RegistrationDraft.step != "done"),
        select(literal(4).label("rank"), literal(NOMINATION).label("name")).select_from(NominationDraft)
        .where(NominationDraft.user_id == user.id, NominationDraft.active, NominationDraft.step != "done"),
    ]
    if composer:  # staff compose in Telegram: its adapter asks for the composer too
        branches.append(select(literal(0).label("rank"), literal(BROADCAST).label("name")).select_from(Broadcast)
                        .where(Broadcast.created_by == user.id, Broadcast.status == "draft",
                               Broadcast.step.is_not(None), Broadcast.step != "paused"))
    rows = (await session.execute(union_all(*branches).order_by("rank"))).all()
    names: list[str] = []
    for _, name in rows:
        if name not in names and not (name == SURVEY_CLOSED and SURVEY in names):
            names.append(name)
    return names


async def pause_others(session: AsyncSession, user: User, keep: str) -> list[str]:
    """Starting `keep` pauses every other dialogue of this person (answers kept, resumable);
    the names of those it paused."""
    paused = []
    if keep != SURVEY:
        done = await session.execute(update(SurveyDraft).where(
            SurveyDraft.user_id == user.id, SurveyDraft.active, SurveyDraft.step != "done").values(active=False))
        paused += [SURVEY] if done.rowcount else []
    for name, model in ((REGISTRATION, RegistrationDraft), (NOMINATION, NominationDraft)):
        if keep != name:
            done = await session.execute(update(model).where(model.user_id == user.id, model.active,
                                                             model.step != "done").values(active=False))
            paused += [name] if done.rowcount else []
    if keep != BROADCAST:
        done = await session.execute(update(Broadcast).where(
            Broadcast.created_by == user.id, Broadcast.status == "draft", Broadcast.step.is_not(None),
            Broadcast.step != "paused").values(step="paused"))
        paused += [BROADCAST] if done.rowcount else []
    return paused


def paused_note(names: list[str]) -> str:
    return texts.DIALOGUE_OTHER_PAUSED.format(names="、".join(texts.DIALOGUE_NAMES[n] for n in names))


async def start(session: AsyncSession, user: User, name: str) -> Outcome:
    """Begin or resume `name` (survey, registration, nomination); any other dialogue pauses."""
    if name == SURVEY:
        outcome = await survey.start(session, user)
        draft = await survey.active_draft(session, user)
    else:
        outcome = await registration.start(session, user, FORMS[name])
        draft = await registration.active_draft(session, user, FORMS[name])
    if draft is not None:  # it did start (no closed campaign, no earlier registration)
        paused = await pause_others(session, user, name)
        if paused:
            outcome = with_notice(paused_note(paused), outcome)
    return outcome


async def on_text(session: AsyncSession, user: User, name: str, text: str) -> Outcome:
    """Typed text for the dialogue `active` found (not the composer)."""
    if name == SURVEY_CLOSED:
        stopped = await survey.interrupted_draft(session, user)
        if stopped is not None:
            stopped.active = False
        year = stopped.campaign_year if stopped is not None else ""
        return Outcome(texts.SURVEY_CLOSED_WHILE_FILLING.format(year=year), finished=True)
    if name == SURVEY:
        return await survey.on_text(session, user, text)
    return await registration.on_text(session, user, text, FORMS[name])


async def on_action(session: AsyncSession, user: User, action: str) -> Outcome | None:
    """A pressed choice of a dialogue; None when stale, forged, or another dialogue's."""
    dialogue = BY_PREFIX.get(action.partition(":")[0])
    if dialogue is None:
        return None
    if dialogue.name == SURVEY:
        if action == "sv:start":
            return await start(session, user, SURVEY)
        return await survey.on_button(session, user, action)
    return await registration.on_button(session, user, action, FORMS[dialogue.name])


async def pause(session: AsyncSession, user: User, name: str) -> str | None:
    """/cancel: the dialogue pauses with every answer kept; what to tell the person (None: nothing to pause)."""
    if name == SURVEY:
        paused = await survey.pause(session, user)
    elif name in FORMS:
        paused = await registration.pause(session, user, FORMS[name])
    else:
        return None
    return DIALOGUES[name].paused if paused else None
