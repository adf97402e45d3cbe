"""One dialogue engine: questions as data, every answer committed as it is given.

A `Definition` lists its `Step`s in the order they are asked, plus follow-up steps asked only
when an answer needs them (the registry number after "已入库", the typed 其他 after a choice, the
join confirmation after a known credit code). A draft — any row with `answers`, `step`,
`editing`, `active` and `updated_at` — holds where the person stands; the engine changes it
in the caller's transaction, so a restart, a crash or a second process continues at the same
question.

What the engine returns is neutral (`Outcome`): text in the neutral markup (core/markup.py) and
rows of `Choice(label, action)`. An action is the engine's own opaque string
(`<prefix>:<step>:<n>`, `<prefix>:<step>:done`, `<prefix>:edit:<key>`, `<prefix>:confirm`), at
most 64 bytes, parsed back here: a step already answered, a forged index or garbage is `None`
(stale), never an exception.

Imports no channel and nothing of the store: the definitions (store/survey.py, store/registration.py)
supply the database reads (`Step.check`) and the submission (`Definition.submit`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from core import texts
from core.markup import lit
from core.messages import Choice, Notice, Rows
from core.errors import ValidationError

REVIEW = "review"
DONE = "done"
MAX_ACTION_BYTES = 64  # Telegram's limit on callback data; the web page and terminal need less


class Draft(Protocol):
    answers: dict[str, Any]
    step: str
    editing: bool
    active: bool
    updated_at: datetime


@dataclass
class Outcome:
    """What the person is told now, and the notices owed to other people in the same transaction."""

    text: str
    choices: Rows = field(default_factory=list)
    finished: bool = False
    notices: list[Notice] = field(default_factory=list)
    suggest: bool = False  # a verified member just submitted: show their suggestions

    @property
    def buttons(self) -> Rows:
        return self.choices


Validate = Callable[[str], object]
# A database read after a valid answer (typed or chosen): the follow-up step to divert to, or None
# to go on; it raises ValidationError to refuse the answer. It may stash what comes next needs
# in `answers` (a key starting with "_", never submitted).
Check = Callable[[Any, Any, object, dict[str, Any]], Awaitable[str | None]]


@dataclass(frozen=True)
class Step:
    key: str
    question: str | Callable[[dict[str, Any]], str] = ""
    validate: Validate | None = None  # a typed answer is accepted (text steps)
    # Button labels (choice steps): fixed, or computed from the answers so far (what a check read
    # from the database and stashed).
    options: tuple[str, ...] | Callable[[dict[str, Any]], tuple[str, ...]] = ()
    values: tuple[object, ...] | None = None  # the stored value of each option (default: its label)
    other: str | None = None  # the step asking for the typed alternative, offered as the last option 其他
    multi: bool = False  # toggle options, then 完成
    need_one: str = ""  # multi-select: the error when 完成 is pressed with nothing chosen
    done_label: str = ""  # multi-select: the 完成 button
    follow: Mapping[object, str] = field(default_factory=dict)  # value → follow-up step it needs
    then: str | None = None  # the follow-up asked after this one whatever the answer
    submits: tuple[object, ...] = ()  # values that end the dialogue (the definition's `submit` decides how)
    clears: tuple[str, ...] = ()  # answers dropped when the chosen value needs no follow-up
    also: Callable[[object], dict[str, Any]] | None = None  # answers recorded with the value (a consent's time)
    check: Check | None = None
    # Follow-up steps: whose field they complete, and under which answer.
    parent: str | None = None
    store: str | None = None
    append: bool = False  # the typed alternative of a multi-select: added, then back to the choice
    stash: str | None = None  # a confirmation: first option takes answers[stash] as the parent's answer
    declined: str = ""  # a confirmation's second option: said, then the parent is asked again
    columns: int = 3

    @property
    def answer_key(self) -> str:
        return self.store or self.parent or self.key

    def offered(self, answers: dict[str, Any]) -> tuple[str, ...]:
        return tuple(self.options(answers)) if callable(self.options) else self.options

    def labels(self, answers: dict[str, Any]) -> tuple[str, ...]:
        return self.offered(answers) + ((texts.OTHER,) if self.other else ())


Submit = Callable[[Any, Any, Any], Awaitable[Outcome]]
Display = Callable[[str, dict[str, Any]], str]


def _shown(key: str, answers: dict[str, Any]) -> str:
    value = answers.get(key)
    return "、".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))


@dataclass(frozen=True)
class Definition:
    name: str  # survey | registration | nomination
    prefix: str  # the actions' prefix (two letters: the action stays short)
    steps: tuple[Step, ...]  # asked in this order; each is a field of the review
    labels: Mapping[str, str]
    review_header: str
    confirm: str
    submit: Submit
    follow_ups: tuple[Step, ...] = ()  # asked only when an answer needs them
    display: Display = _shown
    started: str = ""
    resumed: str = ""
    paused: str = ""
    edit_columns: int = 2
    buttons_only: str = texts.SURVEY_BUTTONS_ONLY  # typed text where a choice is asked

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps + self.follow_ups if s.key == key), None)

    @property
    def order(self) -> list[str]:
        return [s.key for s in self.steps]

    def action(self, *parts: object) -> str:
        action = ":".join([self.prefix, *map(str, parts)])
        assert len(action.encode()) <= MAX_ACTION_BYTES, action
        return action

    def owns(self, action: str) -> bool:
        return action.startswith(f"{self.prefix}:")


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)  # stored naive UTC, as store.models.utcnow


# -- asking ---------------------------------------------------------------------------------------


def ask(definition: Definition, draft: Draft) -> Outcome:
    """The question where the draft stands (or the review listing every answer)."""
    if draft.step == REVIEW and definition.step(REVIEW) is None:
        return review(definition, draft)
    step = definition.step(draft.step)
    if step is None:  # a step this version no longer has: the review shows what there is
        draft.step = REVIEW
        return review(definition, draft)
    answers = draft.answers
    question = step.question(answers) if callable(step.question) else step.question
    options = step.offered(answers)
    if not options:
        return Outcome(question)
    labels = step.labels(answers)
    if step.multi:
        chosen = answers.get(step.answer_key) or []
        labels = tuple(("✅ " if label in chosen else "") + label for label in options) + labels[len(options):]
    choices = [Choice(label, definition.action(step.key, n)) for n, label in enumerate(labels)]
    rows = [choices[i : i + step.columns] for i in range(0, len(choices), step.columns)]
    if step.multi:
        rows.append([Choice(step.done_label, definition.action(step.key, "done"))])
    return Outcome(question, rows)


def review(definition: Definition, draft: Draft) -> Outcome:
    lines = [definition.review_header]
    for key in definition.order:
        lines.append(f"• {definition.labels[key]}：{lit(definition.display(key, draft.answers) or '—')}")
    edits = [Choice(texts.SURVEY_EDIT.format(label=definition.labels[k]), definition.action("edit", k))
             for k in definition.order]
    rows = [[Choice(definition.confirm, definition.action("confirm"))]]
    rows += [edits[i : i + definition.edit_columns] for i in range(0, len(edits), definition.edit_columns)]
    return Outcome("\n".join(lines), rows)


def with_notice(notice: str, outcome: Outcome) -> Outcome:
    return Outcome(f"{notice}\n\n{outcome.text}", outcome.choices, outcome.finished, outcome.notices, outcome.suggest)


def error(message: str, outcome: Outcome) -> Outcome:
    return Outcome(f"⚠️ {lit(message)}\n\n{outcome.text}", outcome.choices, outcome.finished)


# -- moving on ------------------------------------------------------------------------------------


def begin(definition: Definition, draft: Draft, answers: dict[str, Any] | None = None, at: str | None = None) -> None:
    """A fresh start (or a revision from `answers`, at the review)."""
    draft.answers = dict(answers or {})
    draft.step = at or (REVIEW if answers else definition.steps[0].key)
    draft.active, draft.editing, draft.updated_at = True, False, now()


def advance(definition: Definition, draft: Draft, done: str) -> None:
    """The next field after `done`, or back to the review when one field was being edited."""
    draft.updated_at = now()
    if draft.editing:
        draft.editing, draft.step = False, REVIEW
        return
    order = definition.order
    position = order.index(done)
    draft.step = order[position + 1] if position + 1 < len(order) else REVIEW


def _field_of(definition: Definition, step: Step) -> str:
    """The field of the review a step answers (a follow-up completes its parent's)."""
    return step.parent or step.key


def _go(draft: Draft, answers: dict[str, Any], step: str) -> None:
    draft.answers, draft.step, draft.updated_at = answers, step, now()


async def on_text(definition: Definition, session: Any, user: Any, draft: Draft, text: str) -> Outcome:
    """A typed answer to the current question."""
    step = definition.step(draft.step)
    if step is None or step.validate is None:  # a review, or a question answered with buttons
        return error(definition.buttons_only, ask(definition, draft))
    answers = dict(draft.answers)
    try:
        value = step.validate(text)
        divert = await step.check(session, user, value, answers) if step.check is not None else None
    except ValidationError as exc:  # its message tells the person what to fix
        return error(exc.message, ask(definition, draft))
    if divert is not None:
        _go(draft, answers, divert)
        return ask(definition, draft)
    key = step.answer_key
    if step.append:
        answers[key] = [item for item in answers.get(key) or [] if item != value] + [value]
        _go(draft, answers, step.parent or step.key)
        return ask(definition, draft)
    answers[key] = value
    return await _chosen(definition, session, user, draft, step, answers, value)


async def _chosen(definition: Definition, session: Any, user: Any, draft: Draft, step: Step,
                  answers: dict[str, Any], value: object) -> Outcome:
    """An answer recorded: the submission it asks for, its follow-up if it needs one, else the next field."""
    if step.also is not None:
        answers.update(step.also(value))
    if step.submits and value in step.submits:
        draft.answers = answers
        return await definition.submit(session, user, draft)
    needed = step.follow.get(value) if isinstance(value, str | int | bool) else None
    needed = needed or step.then
    if needed is not None:
        _go(draft, answers, needed)
        return ask(definition, draft)
    for key in step.clears:
        answers.pop(key, None)
    draft.answers = answers
    advance(definition, draft, _field_of(definition, step))
    return ask(definition, draft)


def parse(definition: Definition, action: str) -> list[str] | None:
    parts = action.split(":")
    if len(action.encode()) > MAX_ACTION_BYTES or len(parts) < 2 or parts[0] != definition.prefix:
        return None
    return parts[1:]


async def on_action(definition: Definition, session: Any, user: Any, draft: Draft, action: str) -> Outcome | None:
    """A pressed choice; None when it is stale (another question's, already answered) or forged."""
    parts = parse(definition, action)
    if parts is None or not draft.active or draft.step == DONE:
        return None
    generic_review = definition.step(REVIEW) is None
    if parts == ["confirm"] and generic_review:
        return await definition.submit(session, user, draft) if draft.step == REVIEW else None
    if parts[0] == "edit" and generic_review:
        if draft.step != REVIEW or len(parts) != 2 or parts[1] not in definition.order:
            return None
        draft.step, draft.editing, draft.updated_at = parts[1], True, now()
        return ask(definition, draft)
    if len(parts) != 2 or parts[0] != draft.step:
        return None
    step = definition.step(draft.step)
    answers = dict(draft.answers)
    options = step.offered(answers) if step is not None else ()
    if step is None or not options:
        return None
    if step.multi and parts[1] == "done":
        if not answers.get(step.answer_key):
            return error(step.need_one, ask(definition, draft))
        advance(definition, draft, step.key)
        return ask(definition, draft)
    raw = parts[1]
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= len(step.labels(answers)):
        return None
    index = int(raw)
    if step.other and index == len(options):  # 其他: asked to type it
        draft.step, draft.updated_at = step.other, now()
        return ask(definition, draft)
    if step.stash is not None:  # a confirmation of what was stashed by a check
        stashed = answers.pop(step.stash, None)
        if index == 1 or stashed is None:
            _go(draft, answers, step.parent or step.key)
            return Outcome(step.declined)
        answers[step.answer_key] = stashed
        return await _chosen(definition, session, user, draft, step, answers, stashed)
    value = step.values[index] if step.values is not None else options[index]
    if step.multi:
        chosen = list(answers.get(step.answer_key) or [])
        answers[step.answer_key] = [v for v in chosen if v != value] if value in chosen else chosen + [value]
        draft.answers, draft.updated_at = answers, now()
        return ask(definition, draft)
    if step.check is not None:
        try:
            divert = await step.check(session, user, value, answers)
        except ValidationError as exc:
            return error(exc.message, ask(definition, draft))
        if divert is not None:
            _go(draft, answers, divert)
            return ask(definition, draft)
    answers[step.answer_key] = value
    return await _chosen(definition, session, user, draft, step, answers, value)


def peek(definition: Definition, draft: Draft | None, action: str) -> object | None:
    """The value a pressed choice would give the current question, without giving it (None: stale
    or forged) — for a channel that must do something first (a status message to report into)."""
    parts = parse(definition, action)
    if draft is None or parts is None or not draft.active or len(parts) != 2 or parts[0] != draft.step:
        return None
    step = definition.step(draft.step)
    options = step.offered(draft.answers) if step is not None else ()
    raw = parts[1]
    if step is None or step.multi or step.other or not (raw.isascii() and raw.isdigit()) or int(raw) >= len(options):
        return None
    return step.values[int(raw)] if step.values is not None else options[int(raw)]
