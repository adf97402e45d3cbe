"""The yearly demand survey as a dialogue whose every answer is committed when given.

The questions are a definition (`SURVEY`) on the one dialogue engine (core/dialogue.py):
functions take a session and a user and return a neutral `Prompt` (marked text and rows of
choices) that a channel renders. State lives in `survey_drafts`, so a restart, a crash or a
second bot process continues at the same question.

Entering a credit code is not proof of speaking for that enterprise (codes are printed on
business licences): only a verified member's submission becomes the enterprise's current
version. Anyone else entering a known code files a join claim that holds their answers until
the enterprise's members or staff approve it (the rules are in store/membership.py). The
messages owed to other people come back in `Prompt.notices`, owed by the caller in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import dialogue, texts
from core.dialogue import Definition, Outcome, Step, with_notice
from core.markup import fmt, lit
from core.messages import Choice
from store import membership
from store import validators as v
from store import vocabulary
from store.clock import beijing_time
from store.membership import Notice
from store.models import Campaign, Enterprise, EnterpriseMember, Submission, SurveyDraft, User, utcnow

ORDER = ["name", "credit_code", "district", "registered", "field", "product", "directions", "description",
         "expected", "contact", "phone", "consent"]
EDITABLE = ORDER  # every field can be edited from the review step
Prompt = Outcome  # what a survey step says (core/dialogue.py)
WITHDRAW = "sv:withdraw"  # a pending claim taken back (outside the questions)


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
        return Prompt(texts.CLAIM_STILL_PENDING, [[Choice(texts.CLAIM_WITHDRAW_BUTTON, WITHDRAW)]], finished=True)
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


async def _known_code(session: AsyncSession, user: User, code: object, answers: dict[str, Any]) -> str | None:
    """Someone else's code: say only that it is known (never whose), and what joining means."""
    if not await _speaks_for(session, user, str(code)) and await membership.known(session, str(code)):
        answers["_pending_code"] = code
        return "credit_confirm"
    return None


def _text(key: str, min_len: int, max_len: int) -> Callable[[str], object]:
    return lambda t: v.bounded_text(t, field=texts.SURVEY_LABELS[key], min_len=min_len, max_len=max_len)


_Q = texts.SURVEY_QUESTIONS
SURVEY: Definition = Definition(
    name="survey", prefix="sv", labels=texts.SURVEY_LABELS, review_header=texts.SURVEY_REVIEW_HEADER,
    confirm=texts.SURVEY_CONFIRM, submit=lambda session, user, draft: _submit(session, user, draft),
    display=display_value, paused=texts.SURVEY_PAUSED,
    steps=(
        Step("name", _Q["name"], v.enterprise_name),
        Step("credit_code", _Q["credit_code"], v.unified_credit_code, check=_known_code),
        Step("district", _Q["district"], options=tuple(texts.DISTRICTS), other="district_other"),
        Step("registered", _Q["registered"], options=tuple(texts.REGISTERED.values()), values=tuple(texts.REGISTERED),
             follow={"yes": "registry_no"}, clears=("registry_no",)),
        Step("field", _Q["field"], options=tuple(texts.FIELDS), other="field_other", columns=2),
        Step("product", _Q["product"], _text("product", 2, 200)),
        Step("directions", lambda a: fmt(_Q["directions"], chosen=lit("、".join(a.get("directions") or []) or "（无）")),
             options=tuple(texts.DIRECTIONS), other="directions_other", multi=True, columns=1,
             need_one=texts.SURVEY_NEED_DIRECTION, done_label=texts.SURVEY_DONE_BUTTON),
        Step("description", _Q["description"], _text("description", 20, 1000)),
        Step("expected", _Q["expected"], lambda t: v.optional_text(t, field=texts.SURVEY_LABELS["expected"], max_len=200)),
        Step("contact", _Q["contact"], _text("contact", 2, 20)),
        Step("phone", _Q["phone"], v.mobile_phone),
        Step("consent", _Q["consent"], options=(texts.SURVEY_AGREE, texts.SURVEY_DISAGREE), values=(True, False),
             columns=2, also=lambda agreed: {"consent_at": utcnow().isoformat() if agreed else None}),
    ),
    follow_ups=(
        # Only when the code is someone else's: join that enterprise (a claim), or type it again.
        Step("credit_confirm", lambda a: fmt(_Q["credit_confirm"], code=lit(a.get("_pending_code", ""))),
             options=(texts.CLAIM_ASK_JOIN, texts.CLAIM_RETYPE), parent="credit_code", stash="_pending_code",
             declined=texts.SURVEY_LINK_DECLINED, columns=2),
        # The same vocabulary as the imports (store/vocabulary.py).
        Step("district_other", _Q["district_other"], vocabulary.district, parent="district"),
        Step("registry_no", _Q["registry_no"], v.registry_number, parent="registered", store="registry_no"),
        Step("field_other", _Q["field_other"], vocabulary.field_label, parent="field"),
        Step("directions_other", _Q["directions_other"], _text("directions", 2, 60), parent="directions", append=True),
    ),
)


def _ask(draft: SurveyDraft) -> Prompt:
    return dialogue.ask(SURVEY, draft)


async def on_text(session: AsyncSession, user: User, text: str) -> Prompt:
    """A typed answer to the current question."""
    draft = await active_draft(session, user)
    assert draft is not None
    return await dialogue.on_text(SURVEY, session, user, draft, text)


async def on_button(session: AsyncSession, user: User, data: str) -> Prompt | None:
    """A survey choice; None when it is stale (an earlier question, or no survey)."""
    if data == WITHDRAW:
        return await _withdraw(session, user)
    draft = await active_draft(session, user)
    if draft is None:
        return None
    return await dialogue.on_action(SURVEY, session, user, draft, data)


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
