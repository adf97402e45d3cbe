"""The one dialogue engine (core/dialogue.py) and the table of dialogues (services/dialogues.py),
without a channel: a person answering the survey and the specialist forms through the
engine's neutral outcomes, every answer committed as it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import dialogue, texts
from services import dialogues
from core.dialogue import Definition, Outcome, Step
from core.markup import plain
from store import membership
from store import registration
from store import repositories as repo
from store import survey
from store import validators as v
from store.db import Database
from store.models import RegistrationDraft, SurveyDraft
from store.validators import credit_code_check_char

CODE17 = "91370100MA3C5QXX1"
CODE = CODE17 + credit_code_check_char(CODE17)
OTHER17 = "91370100MA3C5QYY2"
OTHER_CODE = OTHER17 + credit_code_check_char(OTHER17)


def action(outcome: Outcome, label: str) -> str:
    """The action of the choice labelled `label` (or ending with it, as ✅ 已选 does)."""
    return next(c.action for row in outcome.choices for c in row if c.label == label or c.label.endswith(label))


def labels(outcome: Outcome) -> list[str]:
    return [c.label for row in outcome.choices for c in row]


async def person(db: Database, telegram_id: int = 1001, name: str = "王经理"):  # type: ignore[no-untyped-def]
    async with db.session() as session, session.begin():
        return await repo.touch_user(session, telegram_id, name)


async def open_survey(db: Database, user) -> Outcome:  # type: ignore[no-untyped-def]
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        return await dialogues.start(session, user, dialogues.SURVEY)


async def say(db: Database, user, text: str) -> Outcome:  # type: ignore[no-untyped-def]
    """The person types `text`: the one lookup finds the dialogue, the engine takes the answer."""
    async with db.session() as session, session.begin():
        active = await dialogues.active(session, user)
        assert active, "a text outside any dialogue would be a policy question"
        return await dialogues.on_text(session, user, active[0], text)


async def press(db: Database, user, act: str) -> Outcome | None:  # type: ignore[no-untyped-def]
    async with db.session() as session, session.begin():
        return await dialogues.on_action(session, user, act)


async def survey_draft(db: Database, user) -> SurveyDraft:  # type: ignore[no-untyped-def]
    """Read in a fresh session: what another process (or a restart) would see."""
    async with db.session() as session:
        draft = await survey._draft(session, user, 2026)
        assert draft is not None
        return draft


async def test_a_text_step_validates_and_every_answer_is_committed_when_given(db: Database) -> None:
    user = await person(db)
    first = await open_survey(db, user)
    assert "企业名称" in plain(first.text) and first.choices == []
    refused = await say(db, user, "")
    assert plain(refused.text).startswith("⚠️") and "企业名称" in plain(refused.text)
    assert (await survey_draft(db, user)).step == "name"
    nxt = await say(db, user, "济南智造科技有限公司")
    assert "信用代码" in plain(nxt.text)
    draft = await survey_draft(db, user)
    assert draft.answers["name"] == "济南智造科技有限公司" and draft.step == "credit_code"


async def test_a_choice_step_offers_short_actions_and_refuses_stale_and_forged_ones(db: Database) -> None:
    user = await person(db)
    await open_survey(db, user)
    await say(db, user, "济南智造科技有限公司")
    districts = await say(db, user, CODE)
    assert labels(districts) == texts.DISTRICTS + [texts.OTHER]
    assert all(len(c.action.encode()) <= dialogue.MAX_ACTION_BYTES for row in districts.choices for c in row)
    typed = await say(db, user, "历下区")  # a choice step takes no typed answer
    assert texts.SURVEY_BUTTONS_ONLY in plain(typed.text)
    registered = await press(db, user, action(districts, "历下区"))
    assert registered is not None and "入库" in plain(registered.text)
    # The district question is answered: its buttons are stale now, and forged ones never parse.
    for stale in (action(districts, "历城区"), "sv:district:999", "sv:registered:x", "sv:registered:-1",
                  "sv:edit:phone", "sv:confirm", "sv:", "sv", "rg:name:0", "sv:registered:0:0", "x" * 500,
                  "sv:registered:" + "9" * 80, "sv:registered:０"):
        assert await press(db, user, stale) is None, stale
    draft = await survey_draft(db, user)
    assert draft.answers["district"] == "历下区" and draft.step == "registered"


async def test_other_asks_for_the_typed_alternative_in_the_imports_vocabulary(db: Database) -> None:
    user = await person(db)
    await open_survey(db, user)
    await say(db, user, "济南智造科技有限公司")
    districts = await say(db, user, CODE)
    typed = await press(db, user, action(districts, texts.OTHER))
    assert typed is not None and typed.choices == []
    refused = await say(db, user, "火星区")
    assert "⚠️" in plain(refused.text)
    await say(db, user, "天桥")
    draft = await survey_draft(db, user)
    assert draft.answers["district"] == "天桥区" and draft.step == "registered"


async def test_a_follow_up_is_asked_only_when_the_answer_needs_it(db: Database) -> None:
    user = await person(db)
    await open_survey(db, user)
    await say(db, user, "济南智造科技有限公司")
    registered = await press(db, user, action(await say(db, user, CODE), "历下区"))
    number = await press(db, user, action(registered, "是"))
    assert number is not None and "入库编号" in plain(number.text)
    await say(db, user, "2024370100000123")
    draft = await survey_draft(db, user)
    assert draft.answers["registered"] == "yes" and draft.answers["registry_no"] == "2024370100000123"
    assert draft.step == "field"
    # Changed to "否" from the review: no number is asked, and the old one goes.
    review = await _answer_until_review(db, user)
    again = await press(db, user, action(review, texts.SURVEY_EDIT.format(label=texts.SURVEY_LABELS["registered"])))
    back = await press(db, user, action(again, "否"))
    assert back is not None and texts.SURVEY_REVIEW_HEADER in back.text
    draft = await survey_draft(db, user)
    assert draft.answers["registered"] == "no" and "registry_no" not in draft.answers


async def _answer_current(db: Database, user) -> Outcome:  # type: ignore[no-untyped-def]
    """A plausible answer to whatever is being asked (the rest of the survey, quickly)."""
    draft = await survey_draft(db, user)
    typed = {"field": None, "product": "数控机床主轴", "description": "主轴高速运转时温升过大导致精度下降，已尝试更换轴承。",
             "expected": "跳过", "contact": "王经理", "phone": "13905311234"}
    async with db.session() as session, session.begin():
        current = dialogue.ask(survey.SURVEY, await survey.active_draft(session, user))
    if draft.step == "field":
        return await press(db, user, action(current, "先进制造与自动化"))  # type: ignore[return-value]
    if draft.step == "directions":
        await press(db, user, action(current, "关键技术研发攻关"))
        return await press(db, user, "sv:directions:done")  # type: ignore[return-value]
    if draft.step == "consent":
        return await press(db, user, action(current, texts.SURVEY_AGREE))  # type: ignore[return-value]
    return await say(db, user, typed[draft.step])  # type: ignore[arg-type]


async def _answer_until_review(db: Database, user) -> Outcome:  # type: ignore[no-untyped-def]
    outcome = None
    while (await survey_draft(db, user)).step != "review":
        outcome = await _answer_current(db, user)
    assert outcome is not None
    return outcome


async def test_multi_select_toggles_needs_one_and_takes_a_typed_other(db: Database) -> None:
    user = await person(db)
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        await dialogues.start(session, user, dialogues.SURVEY)
        draft = await survey.active_draft(session, user)
        draft.step = "directions"  # straight to the question under test
    async with db.session() as session:
        asked = dialogue.ask(survey.SURVEY, await survey.active_draft(session, user))
    empty = await press(db, user, action(asked, texts.SURVEY_DONE_BUTTON))
    assert empty is not None and texts.SURVEY_NEED_DIRECTION in plain(empty.text)
    picked = await press(db, user, action(asked, "关键技术研发攻关"))
    assert "✅ 关键技术研发攻关" in labels(picked)
    unpicked = await press(db, user, action(picked, "关键技术研发攻关"))
    assert "✅ 关键技术研发攻关" not in labels(unpicked) and "关键技术研发攻关" in labels(unpicked)
    await press(db, user, action(unpicked, "人才引进培养"))
    typed = await press(db, user, action(unpicked, texts.OTHER))
    assert typed is not None and typed.choices == []
    back = await say(db, user, "工业软件适配")
    assert "工业软件适配" in plain(back.text)  # back at the choice, the typed one listed as chosen
    assert (await survey_draft(db, user)).answers["directions"] == ["人才引进培养", "工业软件适配"]
    await press(db, user, action(back, texts.SURVEY_DONE_BUTTON))
    assert (await survey_draft(db, user)).step == "description"


async def test_a_known_credit_code_is_checked_in_the_database_and_joining_must_be_confirmed(db: Database) -> None:
    founder = await person(db, 2001, "赵总")
    user = await person(db)
    async with db.session() as session, session.begin():
        await membership.found(session, founder, OTHER_CODE, "山东某某机械有限公司")
    await open_survey(db, user)
    await say(db, user, "山东某某机械有限公司")
    confirm = await say(db, user, OTHER_CODE)
    assert OTHER_CODE in plain(confirm.text) and "山东某某" not in plain(confirm.text)  # known, never whose
    assert labels(confirm) == [texts.CLAIM_ASK_JOIN, texts.CLAIM_RETYPE]
    retype = await press(db, user, action(confirm, texts.CLAIM_RETYPE))
    assert retype is not None and retype.text == texts.SURVEY_LINK_DECLINED
    draft = await survey_draft(db, user)
    assert draft.step == "credit_code" and "_pending_code" not in draft.answers and "credit_code" not in draft.answers
    assert await press(db, user, action(confirm, texts.CLAIM_ASK_JOIN)) is None  # that question is gone
    confirm = await say(db, user, OTHER_CODE)
    joined = await press(db, user, action(confirm, texts.CLAIM_ASK_JOIN))
    assert joined is not None and labels(joined)[0] == texts.DISTRICTS[0]
    assert (await survey_draft(db, user)).answers["credit_code"] == OTHER_CODE


async def test_review_lists_every_answer_and_editing_one_returns_to_it(db: Database) -> None:
    user = await person(db)
    await open_survey(db, user)
    await say(db, user, "济南智造科技有限公司")
    registered = await press(db, user, action(await say(db, user, CODE), "历下区"))
    await press(db, user, action(registered, "否"))
    review = await _answer_until_review(db, user)
    shown = plain(review.text)
    for key in survey.ORDER:
        assert texts.SURVEY_LABELS[key] in shown
    assert "济南智造科技有限公司" in shown and "13905311234" in shown
    assert labels(review)[0] == texts.SURVEY_CONFIRM
    edit_phone = action(review, texts.SURVEY_EDIT.format(label=texts.SURVEY_LABELS["phone"]))
    asked = await press(db, user, edit_phone)
    assert asked is not None and "手机" in plain(asked.text)
    assert await press(db, user, edit_phone) is None  # an edit button works at the review only
    back = await say(db, user, "13805319876")
    assert texts.SURVEY_REVIEW_HEADER in back.text and "13805319876" in plain(back.text)
    draft = await survey_draft(db, user)
    assert draft.step == "review" and not draft.editing


async def test_pause_keeps_every_answer_and_resume_continues_at_the_same_question(db: Database) -> None:
    user = await person(db)
    await open_survey(db, user)
    await say(db, user, "济南智造科技有限公司")
    async with db.session() as session, session.begin():
        assert await dialogues.pause(session, user, dialogues.SURVEY) == texts.SURVEY_PAUSED
    async with db.session() as session:
        assert await dialogues.active(session, user) == []  # typed text is a question again
    async with db.session() as session, session.begin():
        resumed = await dialogues.start(session, user, dialogues.SURVEY)
    assert "继续" in plain(resumed.text) and "信用代码" in plain(resumed.text)
    assert (await survey_draft(db, user)).answers == {"name": "济南智造科技有限公司"}


async def test_starting_one_dialogue_pauses_the_other_and_both_resume(db: Database) -> None:
    user = await person(db)
    async with db.session() as session, session.begin():
        await dialogues.start(session, user, dialogues.REGISTRATION)
    await say(db, user, "李明")
    await open_survey(db, user)
    async with db.session() as session:
        assert await dialogues.active(session, user) == [dialogues.SURVEY]
        paused = await session.get(RegistrationDraft, user.id)
        assert not paused.active and paused.answers == {"name": "李明"}
    await say(db, user, "济南智造科技有限公司")  # goes to the survey, not the registration
    async with db.session() as session, session.begin():
        again = await dialogues.start(session, user, dialogues.REGISTRATION)
    assert "工作单位" in plain(again.text)
    async with db.session() as session:
        assert await dialogues.active(session, user) == [dialogues.REGISTRATION]
    assert (await survey_draft(db, user)).answers == {"name": "济南智造科技有限公司"}
    async with db.session() as session, session.begin():
        back = await dialogues.start(session, user, dialogues.SURVEY)
    assert "信用代码" in plain(back.text)


async def test_a_closed_campaign_is_told_once_then_texts_are_questions(db: Database) -> None:
    user = await person(db)
    await open_survey(db, user)
    async with db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "closed")
    told = await say(db, user, "13905311234")
    assert told.finished and "2026" in told.text
    async with db.session() as session:
        assert await dialogues.active(session, user) == []


async def test_the_specialist_form_on_the_engine_takes_a_capacity_by_button_or_typed(db: Database) -> None:
    user = await person(db)
    async with db.session() as session, session.begin():
        await dialogues.start(session, user, dialogues.REGISTRATION)
        draft = await registration.active_draft(session, user)
        draft.step = "capacity"
    async with db.session() as session:
        asked = dialogue.ask(registration.REGISTRATION, await registration.active_draft(session, user))
    assert labels(asked) == texts.CAPACITY_OPTIONS and len(asked.choices) == 1  # four fit one row
    refused = await say(db, user, "99")
    assert "⚠️" in plain(refused.text)
    await say(db, user, "7")
    async with db.session() as session:
        assert (await session.get(RegistrationDraft, user.id)).answers["capacity"] == 7
    # Someone else's button (another form's prefix) never reaches this form.
    assert await press(db, user, "nm:capacity:0") is None


@dataclass
class Memo:
    """A draft kept in memory: the engine needs only these five attributes."""

    answers: dict[str, Any] = field(default_factory=dict)
    step: str = "size"
    editing: bool = False
    active: bool = True
    updated_at: datetime = field(default_factory=dialogue.now)


async def test_options_can_be_computed_from_what_a_check_read() -> None:
    """A check's stash (here: rooms found for a size) is what the next choice offers."""

    async def rooms_for(session, user, size, answers):  # type: ignore[no-untyped-def]
        answers["_rooms"] = [f"{size}人会议室{n}" for n in (1, 2)]
        return None

    async def submit(session, user, draft):  # type: ignore[no-untyped-def]
        draft.step, draft.active = dialogue.DONE, False
        return Outcome(f"已预订 {draft.answers['room']}", finished=True)

    booking = Definition(
        name="booking", prefix="bk", labels={"size": "人数", "room": "会议室"}, review_header="请核对：",
        confirm="确认", submit=submit,
        steps=(Step("size", "几人？", lambda t: v.bounded_text(t, field="人数", min_len=1, max_len=2), check=rooms_for),
               Step("room", "哪一间？", options=lambda a: tuple(a.get("_rooms", ())), columns=1)))
    draft = Memo()
    rooms = await dialogue.on_text(booking, None, None, draft, "8")
    assert labels(rooms) == ["8人会议室1", "8人会议室2"]
    review = await dialogue.on_action(booking, None, None, draft, action(rooms, "8人会议室2"))
    assert review is not None and "8人会议室2" in plain(review.text)
    done = await dialogue.on_action(booking, None, None, draft, "bk:confirm")
    assert done is not None and done.finished and draft.step == dialogue.DONE
    assert await dialogue.on_action(booking, None, None, draft, "bk:confirm") is None  # submitted once


async def test_the_broadcast_composer_is_a_definition_on_the_same_engine(db: Database) -> None:
    """Staff's composer through the engine: a segment nobody is in is refused, a district is a
    follow-up, 定时 asks the time then its confirmation; the draft is the Broadcast row itself."""
    from store.composer import COMPOSER, Composing
    from store.models import Broadcast

    staff = await person(db, 900, "管理员")
    await person(db, 1001, "王经理")  # an enterprise user who has written to the bot
    async with db.session() as session, session.begin():
        row = Broadcast(created_by=staff.id, text="", segment="", status="draft", step="text")
        session.add(row)
        await session.flush()
        draft = Composing(row, frozenset({900}))
        segment = await dialogue.on_text(COMPOSER, session, staff, draft, "<b>征集公告</b>")
        assert labels(segment)[:2] == [texts.BROADCAST_SEGMENTS["all"], texts.BROADCAST_SEGMENTS["enterprises"]]
        nobody = await dialogue.on_action(COMPOSER, session, staff, draft, action(segment, texts.BROADCAST_SEGMENTS["specialists"]))
        assert texts.BROADCAST_NO_RECIPIENTS in plain(nobody.text) and row.step == "segment"
        districts = await dialogue.on_action(COMPOSER, session, staff, draft, action(segment, texts.BROADCAST_SEGMENT_BY_DISTRICT))
        assert labels(districts) == texts.DISTRICTS and row.segment == ""  # not a segment yet
        empty = await dialogue.on_action(COMPOSER, session, staff, draft, action(districts, "历下区"))
        assert texts.BROADCAST_NO_RECIPIENTS in plain(empty.text) and row.step == "district"
        row.step = "segment"
        review = await dialogue.on_action(COMPOSER, session, staff, draft, action(segment, texts.BROADCAST_SEGMENTS["enterprises"]))
        assert "接收人：1 人" in plain(review.text) and labels(review) == [
            texts.BROADCAST_SEND_NOW, texts.BROADCAST_SCHEDULE, texts.BROADCAST_DISCARD]
        assert dialogue.peek(COMPOSER, draft, action(review, texts.BROADCAST_SEND_NOW)) == "now"
        assert dialogue.peek(COMPOSER, draft, action(segment, texts.BROADCAST_SEGMENTS["all"])) is None  # stale
        when = await dialogue.on_action(COMPOSER, session, staff, draft, action(review, texts.BROADCAST_SCHEDULE))
        assert "北京时间" in plain(when.text) and row.step == "time"
        assert "⚠️" in plain((await dialogue.on_text(COMPOSER, session, staff, draft, "明天上午")).text)
        confirm = await dialogue.on_text(COMPOSER, session, staff, draft, "09:00")
        assert "确认" in plain(confirm.text) and "1 人" in plain(confirm.text)
        done = await dialogue.on_action(COMPOSER, session, staff, draft, action(confirm, texts.BROADCAST_CONFIRM_SCHEDULE))
        assert done is not None and done.finished
        broadcast_id = row.id
    async with db.session() as session:
        saved = await session.get(Broadcast, broadcast_id)
        assert saved.status == "scheduled" and saved.segment == "enterprises" and saved.scheduled_at is not None
        assert saved.text == "<b>征集公告</b>"
