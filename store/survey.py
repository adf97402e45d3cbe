"""The yearly demand survey as a dialogue whose every answer is committed when given.

Telegram-free: functions take a session and a user and return a `Prompt` (HTML text and
button rows) that a channel renders. State lives in `survey_drafts`, so a restart, a
crash or a second bot process continues at the same question.

Entering a credit code is not proof of speaking for that enterprise (codes are printed on
business licences): only a verified member's submission becomes the enterprise's current
version. Anyone else entering a known code files a join claim that holds their answers until
the enterprise's members or staff approve it (the rules are in store/membership.py). The
messages owed to other people come back in `Prompt.notices`, owed by the caller in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import texts
from core.markup import fmt, lit
from store import membership
from store import validators as v
from store import vocabulary
from store.clock import beijing_time
from store.membership import Notice
from store.models import Campaign, Enterprise, EnterpriseMember, Submission, SurveyDraft, User, utcnow

ORDER = ["name", "credit_code", "district", "registered", "field", "product", "directions", "description",
         "expected", "contact", "phone", "consent"]
EDITABLE = ORDER  # every field can be edited from the review step
# Sub-steps that belong to a field (asked only when needed).
PARENT = {"credit_confirm": "credit_code", "district_other": "district", "registry_no": "registered",
          "field_other": "field", "directions_other": "directions"}
Buttons = list[list[tuple[str, str]]]


@dataclass
class Prompt:
    text: str
    buttons: Buttons = field(default_factory=list)
    finished: bool = False
    notices: list[Notice] = field(default_factory=list)  # for other people, owed in the same transaction
    suggest: bool = False  # a verified member just submitted: show their suggestions


# -- campaigns -----------------------------------------------------------------------------


async def open_campaign(session: AsyncSession) -> Campaign | None:
    return await session.scalar(select(Campaign).where(Campaign.status == "open").order_by(Campaign.year.desc()))


class CampaignConflict(Exception):
    """Another campaign is open: at most one at a time, or the survey form would silently switch."""

    def __init__(self, open_year: int) -> None:
        super().__init__(open_year)
        self.open_year = open_year


async def set_campaign(session: AsyncSession, year: int, status: str) -> Campaign:
    """Open or close `year`; opening while another year is open raises CampaignConflict."""
    if status == "open":
        other = await session.scalar(select(Campaign).where(Campaign.status == "open", Campaign.year != year))
        if other is not None:
            raise CampaignConflict(other.year)
    try:
        async with session.begin_nested():  # a unique index settles two staff opening at once
            campaign = await session.get(Campaign, year)
            if campaign is None:
                campaign = Campaign(year=year, status=status)
                session.add(campaign)
            campaign.status = status
            campaign.closed_at = utcnow() if status == "closed" else None
            await session.flush()
    except IntegrityError:
        other = await session.scalar(select(Campaign.year).where(Campaign.status == "open"))
        raise CampaignConflict(other if other is not None else year) from None
    return campaign


async def campaigns(session: AsyncSession) -> list[Campaign]:
    return list((await session.scalars(select(Campaign).order_by(Campaign.year.desc()))).all())


async def last_closed_campaign(session: AsyncSession) -> Campaign | None:
    return await session.scalar(select(Campaign).where(Campaign.status == "closed").order_by(Campaign.year.desc()))


async def interrupted_draft(session: AsyncSession, user: User) -> SurveyDraft | None:
    """A draft the user was filling in when its campaign closed (they have not been told yet)."""
    return await session.scalar(
        select(SurveyDraft).join(Campaign, Campaign.year == SurveyDraft.campaign_year)
        .where(SurveyDraft.user_id == user.id, SurveyDraft.active, SurveyDraft.step != "done",
               Campaign.status == "closed")
        .order_by(SurveyDraft.campaign_year.desc()).limit(1))


# -- the dialogue ----------------------------------------------------------------------------


async def _draft(session: AsyncSession, user: User, year: int) -> SurveyDraft | None:
    return await session.scalar(
        select(SurveyDraft).where(SurveyDraft.user_id == user.id, SurveyDraft.campaign_year == year)
    )


async def active_draft(session: AsyncSession, user: User) -> SurveyDraft | None:
    """The draft this user is filling in right now (not paused, not submitted)."""
    campaign = await open_campaign(session)
    if campaign is None:
        return None
    draft = await _draft(session, user, campaign.year)
    return draft if draft is not None and draft.active and draft.step != "done" else None


async def _current_submission(session: AsyncSession, user: User, year: int) -> Submission | None:
    member = await session.get(EnterpriseMember, user.id)
    if member is None:
        return None
    return await session.scalar(select(Submission).where(
        Submission.enterprise_id == member.enterprise_id, Submission.campaign_year == year, Submission.current))


async def start(session: AsyncSession, user: User) -> Prompt:
    """Begin, resume, or (after a submission) revise this year's survey."""
    campaign = await open_campaign(session)
    if campaign is None:
        closed = await last_closed_campaign(session)  # closed is not "not started yet"
        text = texts.SURVEY_CAMPAIGN_CLOSED.format(year=closed.year) if closed else texts.SURVEY_NO_CAMPAIGN
        return Prompt(text, finished=True)
    if await membership.pending_claim(session, user) is not None:
        return Prompt(texts.CLAIM_STILL_PENDING, [[(texts.CLAIM_WITHDRAW_BUTTON, "sv:withdraw")]], finished=True)
    draft = await _draft(session, user, campaign.year)
    if draft is not None and draft.step != "done":
        draft.active = True
        draft.updated_at = utcnow()
        return with_notice(texts.SURVEY_RESUMED.format(year=campaign.year), _ask(draft))
    previous = await _current_submission(session, user, campaign.year)
    if draft is None:
        draft = SurveyDraft(user_id=user.id, campaign_year=campaign.year, answers={}, step="name")
        session.add(draft)
    draft.active, draft.editing, draft.updated_at, draft.reminded_at = True, False, utcnow(), None
    if previous is not None:  # revise: start from what was submitted
        draft.answers, draft.step = dict(previous.answers), "review"
        return with_notice(texts.SURVEY_RESUBMIT.format(year=campaign.year), _ask(draft))
    draft.answers, draft.step = {}, "name"
    await session.flush()
    return with_notice(texts.SURVEY_STARTED.format(year=campaign.year), _ask(draft))


async def pause(session: AsyncSession, user: User) -> bool:
    draft = await active_draft(session, user)
    if draft is None:
        return False
    draft.active = False
    return True


def with_notice(notice: str, prompt: Prompt) -> Prompt:
    return Prompt(f"{notice}\n\n{prompt.text}", prompt.buttons, prompt.finished)


def _error(message: str, prompt: Prompt) -> Prompt:
    return Prompt(f"⚠️ {lit(message)}\n\n{prompt.text}", prompt.buttons, prompt.finished)


def _options(step: str, labels: list[str], columns: int = 3) -> Buttons:
    buttons = [(label, f"sv:{step}:{n}") for n, label in enumerate(labels)]
    return [buttons[i : i + columns] for i in range(0, len(buttons), columns)]


def _ask(draft: SurveyDraft) -> Prompt:
    step, answers = draft.step, draft.answers
    if step == "review":
        return _review(draft)
    question = texts.SURVEY_QUESTIONS[step]
    if step == "credit_confirm":
        return Prompt(fmt(question, code=lit(answers.get("_pending_code", ""))),
                      _options(step, [texts.CLAIM_ASK_JOIN, texts.CLAIM_RETYPE], 2))
    if step == "district":
        return Prompt(question, _options(step, texts.DISTRICTS + [texts.OTHER]))
    if step == "registered":
        return Prompt(question, _options(step, list(texts.REGISTERED.values())))
    if step == "field":
        return Prompt(question, _options(step, texts.FIELDS + [texts.OTHER], 2))
    if step == "directions":
        chosen = answers.get("directions", [])
        labels = [("✅ " if d in chosen else "") + d for d in texts.DIRECTIONS] + [texts.OTHER]
        rows = _options(step, labels, 1)
        rows.append([(texts.SURVEY_DONE_BUTTON, "sv:directions:done")])
        return Prompt(fmt(question, chosen=lit("、".join(chosen) or "（无）")), rows)
    if step == "consent":
        return Prompt(question, _options(step, [texts.SURVEY_AGREE, texts.SURVEY_DISAGREE], 2))
    return Prompt(question)


def display_value(key: str, answers: dict[str, Any]) -> str:
    value = answers.get(key)
    if key == "directions":
        return "、".join(value or [])
    if key == "registered":
        label = texts.REGISTERED.get(value or "", "")
        return f"{label}（编号 {answers['registry_no']}）" if value == "yes" and answers.get("registry_no") else label
    if key == "consent":
        return texts.SURVEY_AGREE if value else texts.SURVEY_DISAGREE
    return "" if value is None else str(value)


def _review(draft: SurveyDraft) -> Prompt:
    lines = [texts.SURVEY_REVIEW_HEADER]
    for key in ORDER:
        lines.append(f"• {texts.SURVEY_LABELS[key]}：{lit(display_value(key, draft.answers) or '—')}")
    edit = [(texts.SURVEY_EDIT.format(label=texts.SURVEY_LABELS[k]), f"sv:edit:{k}") for k in EDITABLE]
    rows = [edit[i : i + 2] for i in range(0, len(edit), 2)]
    rows.insert(0, [(texts.SURVEY_CONFIRM, "sv:confirm")])
    return Prompt("\n".join(lines), rows)


def _advance(draft: SurveyDraft, done_field: str) -> None:
    """Next question: the following field, or back to review when editing one."""
    draft.updated_at = utcnow()
    if draft.editing:
        draft.editing = False
        draft.step = "review"
        return
    position = ORDER.index(done_field)
    draft.step = ORDER[position + 1] if position + 1 < len(ORDER) else "review"


async def on_text(session: AsyncSession, user: User, text: str) -> Prompt:
    """A typed answer to the current question."""
    draft = await active_draft(session, user)
    assert draft is not None
    step, answers = draft.step, dict(draft.answers)
    try:
        if step == "name":
            answers["name"] = v.enterprise_name(text)
        elif step == "credit_code":
            code = v.unified_credit_code(text)
            # Someone else's code: say only that it is known (never whose), and what joining means.
            if not await _speaks_for(session, user, code) and await membership.known(session, code):
                answers["_pending_code"] = code
                draft.answers, draft.step = answers, "credit_confirm"
                return _ask(draft)
            answers["credit_code"] = code
        elif step == "district_other":  # the same vocabulary as the imports (store/vocabulary.py)
            answers["district"], step = vocabulary.district(text), "district"
        elif step == "field_other":
            answers["field"], step = vocabulary.field_label(text), "field"
        elif step == "registry_no":
            answers["registry_no"] = v.registry_number(text)
            step = "registered"
        elif step == "product":
            answers["product"] = v.bounded_text(text, field=texts.SURVEY_LABELS["product"], min_len=2, max_len=200)
        elif step == "directions_other":
            other = v.bounded_text(text, field=texts.SURVEY_LABELS["directions"], min_len=2, max_len=60)
            answers["directions"] = [d for d in answers.get("directions", []) if d != other] + [other]
            draft.answers, draft.step = answers, "directions"
            return _ask(draft)
        elif step == "description":
            answers["description"] = v.bounded_text(text, field=texts.SURVEY_LABELS["description"], min_len=20, max_len=1000)
        elif step == "expected":
            answers["expected"] = v.optional_text(text, field=texts.SURVEY_LABELS["expected"], max_len=200)
        elif step == "contact":
            answers["contact"] = v.bounded_text(text, field=texts.SURVEY_LABELS["contact"], min_len=2, max_len=20)
        elif step == "phone":
            answers["phone"] = v.mobile_phone(text)
        else:  # a step answered with buttons
            return _error(texts.SURVEY_BUTTONS_ONLY, _ask(draft))
    except v.ValidationError as exc:
        return _error(exc.message, _ask(draft))
    draft.answers = answers
    _advance(draft, step)
    return _ask(draft)


async def on_button(session: AsyncSession, user: User, data: str) -> Prompt | None:
    """A button of the survey; None when it is stale (an earlier question, or no survey)."""
    parts = data.split(":")
    if data == "sv:withdraw":
        return await _withdraw(session, user)
    draft = await active_draft(session, user)
    if draft is None or len(parts) < 2:
        return None
    action = parts[1]
    answers = dict(draft.answers)
    if action == "confirm" and draft.step == "review":
        return await _submit(session, user, draft)
    if action == "edit" and draft.step == "review" and len(parts) == 3 and parts[2] in EDITABLE:
        draft.step, draft.editing, draft.updated_at = parts[2], True, utcnow()
        return _ask(draft)
    if action != draft.step or len(parts) != 3:
        return None
    choice = parts[2]
    step = draft.step
    if step == "directions":
        chosen = list(answers.get("directions", []))
        if choice == "done":
            if not chosen:
                return _error(texts.SURVEY_NEED_DIRECTION, _ask(draft))
            _advance(draft, "directions")
            return _ask(draft)
        index = _index(choice, len(texts.DIRECTIONS) + 1)
        if index is None:
            return None
        if index == len(texts.DIRECTIONS):
            draft.step = "directions_other"
            return _ask(draft)
        label = texts.DIRECTIONS[index]
        answers["directions"] = [d for d in chosen if d != label] if label in chosen else chosen + [label]
        draft.answers = answers
        return _ask(draft)
    options = {"credit_confirm": 2, "district": len(texts.DISTRICTS) + 1, "registered": 3,
               "field": len(texts.FIELDS) + 1, "consent": 2}
    if step not in options:
        return None
    index = _index(choice, options[step])
    if index is None:
        return None
    if step == "credit_confirm":
        code = answers.pop("_pending_code", None)
        if index == 1 or code is None:
            draft.answers, draft.step = answers, "credit_code"
            return Prompt(texts.SURVEY_LINK_DECLINED)
        answers["credit_code"] = code
        draft.answers = answers
        _advance(draft, "credit_code")
        return _ask(draft)
    if step in ("district", "field"):
        labels = texts.DISTRICTS if step == "district" else texts.FIELDS
        if index == len(labels):
            draft.step = f"{step}_other"
            return _ask(draft)
        answers[step] = labels[index]
    elif step == "registered":
        answers["registered"] = list(texts.REGISTERED)[index]
        if answers["registered"] == "yes":
            draft.answers, draft.step = answers, "registry_no"
            return _ask(draft)
        answers.pop("registry_no", None)
    elif step == "consent":
        answers["consent"] = index == 0
        answers["consent_at"] = utcnow().isoformat() if index == 0 else None
    draft.answers = answers
    _advance(draft, step)
    return _ask(draft)


def _index(raw: str, size: int) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) < size else None


async def _speaks_for(session: AsyncSession, user: User, code: str) -> bool:
    member = await membership.membership(session, user)
    if member is None:
        return False
    enterprise = await session.get(Enterprise, member.enterprise_id)
    return enterprise is not None and enterprise.credit_code == code


async def _submit(session: AsyncSession, user: User, draft: SurveyDraft) -> Prompt:
    answers = {k: val for k, val in draft.answers.items() if not k.startswith("_")}
    code = answers["credit_code"]
    draft.step, draft.active, draft.updated_at = "done", False, utcnow()
    enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == code))
    if enterprise is None and not await membership.known(session, code):
        try:
            async with session.begin_nested():
                enterprise = await membership.found(session, user, code, answers["name"])
        except IntegrityError:  # someone founded it a moment ago: this becomes a claim like any other
            enterprise = None
    if enterprise is None or not await _speaks_for(session, user, code):
        # Checked again here, not only when the code was typed: someone may have founded it since.
        enterprise = await membership.enterprise_for_claim(session, code)
        _, asked, notices = await membership.request_join(session, user, enterprise, draft.campaign_year, answers)
        return Prompt(texts.CLAIM_PENDING_MEMBERS if asked else texts.CLAIM_PENDING_STAFF, finished=True,
                      notices=notices)
    version, notices = await membership.save_version(session, user, enterprise, draft.campaign_year, answers)
    done = texts.SURVEY_SUBMITTED if answers.get("consent") else texts.SURVEY_SUBMITTED_NO_CONSENT
    return Prompt(done.format(year=draft.campaign_year, version=version), finished=True, notices=notices,
                  suggest=bool(answers.get("consent")))


async def _withdraw(session: AsyncSession, user: User) -> Prompt | None:
    """Take back a pending claim (a mistyped code): the answers return to the draft, to enter the code again."""
    claim = await membership.withdraw(session, user)
    campaign = await open_campaign(session)
    if claim is None or campaign is None:
        return None
    draft = await _draft(session, user, campaign.year)
    if draft is None:
        draft = SurveyDraft(user_id=user.id, campaign_year=campaign.year, answers={}, step="credit_code")
        session.add(draft)
    answers = {k: val for k, val in (claim.answers or {}).items() if k != "credit_code"}
    draft.answers, draft.step, draft.active, draft.updated_at = answers, "credit_code", True, utcnow()
    draft.editing = bool(answers.get("name") and "consent" in answers)  # back to review once the code is in
    await session.flush()
    return with_notice(texts.CLAIM_WITHDRAWN, _ask(draft))


async def latest_submission_by(session: AsyncSession, user: User) -> Submission | None:
    return await session.scalar(select(Submission).where(Submission.submitted_by == user.id)
                                .order_by(Submission.submitted_at.desc(), Submission.id.desc()))


# -- staff: statistics, export, reminders -------------------------------------------------------


async def current_submissions(session: AsyncSession, year: int) -> list[Submission]:
    from sqlalchemy.orm import selectinload

    query = (select(Submission).where(Submission.campaign_year == year, Submission.current)
             .options(selectinload(Submission.enterprise)).order_by(Submission.submitted_at))
    return list((await session.scalars(query)).all())


async def statistics(session: AsyncSession, year: int) -> dict[str, Any]:
    submissions = await current_submissions(session, year)
    started = await session.scalar(select(func.count()).select_from(SurveyDraft).where(SurveyDraft.campaign_year == year)) or 0
    done = await session.scalar(select(func.count()).select_from(SurveyDraft).where(
        SurveyDraft.campaign_year == year, SurveyDraft.step == "done")) or 0

    def count(key: str) -> dict[str, int]:
        tally: dict[str, int] = {}
        for sub in submissions:
            values = sub.answers.get(key) or []
            for value in values if isinstance(values, list) else [values]:
                tally[value] = tally.get(value, 0) + 1
        return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))

    return {
        "year": year, "submitted": len(submissions), "started": int(started), "in_progress": int(started) - int(done),
        "completion_rate": (done / started) if started else None,
        "by_district": count("district"), "by_field": count("field"), "by_direction": count("directions"),
    }


EXPORT_COLUMNS = ("企业名称", "统一社会信用代码", "所在区县（功能区）", "是否已入库科技型中小企业", "入库编号", "产业领域",
                  "主导产品", "需求方向", "需求描述", "期望的特派员", "联系人", "手机", "同意提供给匹配的特派员",
                  texts.BEIJING_HEADER.format(column="同意时间"), "版本", texts.BEIJING_HEADER.format(column="提交时间"))


def export_rows(submissions: list[Submission]) -> list[list[object]]:
    rows = []
    for sub in submissions:
        a = sub.answers
        rows.append([
            a.get("name"), a.get("credit_code"), a.get("district"), texts.REGISTERED.get(a.get("registered") or "", ""),
            a.get("registry_no") or "", a.get("field"), a.get("product"), "、".join(a.get("directions") or []),
            a.get("description"), a.get("expected") or "", a.get("contact"), a.get("phone"),
            texts.SURVEY_AGREE if a.get("consent") else texts.SURVEY_DISAGREE,
            beijing_time(sub.consent_at, labelled=False), sub.version, beijing_time(sub.submitted_at, labelled=False),
        ])
    return rows


async def drafts_to_remind(session: AsyncSession, idle_hours: float = 24.0) -> list[tuple[SurveyDraft, User]]:
    """Drafts idle for a day that have not been reminded yet (one reminder each)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(hours=idle_hours)
    query = (select(SurveyDraft, User).join(User, User.id == SurveyDraft.user_id)
             .join(Campaign, Campaign.year == SurveyDraft.campaign_year)
             .where(Campaign.status == "open", SurveyDraft.step != "done", SurveyDraft.updated_at < cutoff,
                    SurveyDraft.reminded_at.is_(None), User.reachable))
    return [(d, u) for d, u in (await session.execute(query)).all()]
