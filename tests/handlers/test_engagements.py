"""1+1+1: staff assign, a specialist declines, the next one accepts, a project exists."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select, update

from core import texts
from store.models import BlockedPair, Engagement, Project, Specialist
from store.specialists import import_file, sync_index
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot
from tests.handlers.test_survey import CODE, choose, fill_until_review, open_campaign

X, Y = 3001, 3002
POOL = [
    {"id": "X1", "name": "谢军", "institution": "济南大学机械工程学院", "title": "教授", "field": "先进制造与自动化",
     "expertise": "机床主轴热变形控制、精密轴承润滑", "phone": "13700000001", "telegram_id": X},
    {"id": "Y1", "name": "周强", "institution": "山东省科学院", "title": "研究员", "field": "先进制造与自动化",
     "expertise": "数控机床精度补偿、主轴温升测量", "phone": "13700000002", "telegram_id": Y},
]


async def setup(bot: Bot, tmp_path: Path) -> None:
    source = tmp_path / "pool.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in POOL), encoding="utf-8")
    async with bot.services.db.session() as session, session.begin():
        _, touched = await import_file(session, source)
        sync_index(bot.services.matcher, touched)
    for user in (X, Y):
        await bot.say(user, "/start")
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    await bot.emu.wait_for_message(OWNER, "推荐以下科技特派员")


async def invitation(bot: Bot, user: int, after: int):  # type: ignore[no-untyped-def]
    return await bot.emu.wait_for_message(user, "新的对接邀请", after=after)


async def test_assign_approve_decline_next_alternate_accepts_and_a_project_exists(bot: Bot, tmp_path: Path) -> None:
    await setup(bot, tmp_path)
    counts = {u: len(bot.emu.messages(u)) for u in (X, Y, OWNER, STAFF)}
    proposal = await bot.say(STAFF, "/assign")
    assert "匹配 1 个" in proposal.plain_text
    assert (await bot.say(OWNER, "/assign")).plain_text == texts.STAFF_ONLY
    await bot.press(STAFF, proposal, texts.ASSIGN_APPROVE_BUTTON)

    first_user = None
    for user in (X, Y):
        try:
            first = await invitation(bot, user, counts[user])
            first_user = user
            break
        except TimeoutError:
            continue
    assert first_user is not None
    second_user = Y if first_user == X else X
    assert "济南智造科技有限公司" in first.plain_text and "13905311234" not in first.plain_text

    # Only the addressed specialist may answer; a forged tap from the enterprise is refused.
    data = next(d for t, d in first.buttons if t == texts.PROPOSAL_DECLINE)
    accept_data = next(d for t, d in first.buttons if t == texts.PROPOSAL_ACCEPT)
    own = await bot.say(OTHER, "/help")
    forged = bot.emu.user_presses_button(OTHER, own.message_id, data, force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.PROPOSAL_NOT_YOURS

    staff_before = len(bot.emu.messages(STAFF))
    await bot.press(first_user, first, texts.PROPOSAL_DECLINE)
    assert "婉拒" in (await bot.emu.wait_for_message(STAFF, "婉拒", after=staff_before)).plain_text
    second = await invitation(bot, second_user, counts[second_user])
    replay = bot.emu.user_presses_button(first_user, first.message_id, accept_data, force=True)  # a second tap
    assert "已经答复过" in (await bot.emu.wait_for_callback_answer(replay["callback_query"]["id"])).text

    owner_before = len(bot.emu.messages(OWNER))
    await bot.press(second_user, second, texts.PROPOSAL_ACCEPT)
    to_specialist = await bot.emu.wait_for_message(second_user, "已接受")
    assert "13905311234" in to_specialist.plain_text and "王经理" in to_specialist.plain_text
    to_owner = await bot.emu.wait_for_message(OWNER, "已接受与贵企业对接", after=owner_before)
    phone = next(r["phone"] for r in POOL if r["telegram_id"] == second_user)
    assert phone in to_owner.plain_text

    async with bot.services.db.session() as session:
        projects = (await session.scalars(select(Project))).all()
        blocked = (await session.scalars(select(BlockedPair))).all()
    assert len(projects) == 1 and projects[0].status == "active" and "济南智造科技有限公司" in projects[0].title
    assert [b.reason for b in blocked] == ["declined"]
    # A second /assign has nothing left to propose for a served enterprise.
    assert "匹配 0 个" in (await bot.say(STAFF, "/assign")).plain_text


async def test_an_unanswered_proposal_expires_after_72_hours_and_the_next_is_invited(bot: Bot, tmp_path: Path) -> None:
    from handlers.engagements import expire_proposals
    from store.models import utcnow

    await setup(bot, tmp_path)
    counts = {u: len(bot.emu.messages(u)) for u in (X, Y)}
    proposal = await bot.say(STAFF, "/assign")
    await bot.press(STAFF, proposal, texts.ASSIGN_APPROVE_BUTTON)
    await bot.emu.wait_until_idle(quiet=0.3)
    async with bot.services.db.session() as session, session.begin():
        first = await session.scalar(select(Engagement).where(Engagement.status == "proposed"))
        await session.execute(update(Engagement).values(delivered_at=utcnow() - timedelta(hours=73)))
    staff_before = len(bot.emu.messages(STAFF))
    await expire_proposals(SimpleNamespace(application=bot.app, bot=bot.app.bot))
    assert "72 小时" in (await bot.emu.wait_for_message(STAFF, "72 小时", after=staff_before)).plain_text
    other = Y if first.specialist_id == 1 else X
    assert "新的对接邀请" in (await invitation(bot, other, counts[other])).plain_text
    async with bot.services.db.session() as session:
        statuses = sorted(e.status for e in (await session.scalars(select(Engagement))).all())
    assert statuses == ["expired", "proposed"]


async def test_staff_enter_a_conflict_the_waiting_invitation_is_withdrawn_and_the_next_invited(bot: Bot, tmp_path: Path) -> None:
    from tests.handlers.test_survey import CODE

    await setup(bot, tmp_path)
    assert (await bot.say(OWNER, f"/conflict {CODE} #1")).plain_text == texts.STAFF_ONLY
    assert (await bot.say(STAFF, "/conflict")).plain_text == texts.CONFLICT_NONE
    assert "用法" in (await bot.say(STAFF, f"/conflict {CODE}")).plain_text
    assert "18 位" in (await bot.say(STAFF, "/conflict 123 #1")).plain_text
    assert "没有找到特派员" in (await bot.say(STAFF, f"/conflict {CODE} #999")).plain_text

    counts = {u: len(bot.emu.messages(u)) for u in (X, Y)}
    proposal = await bot.say(STAFF, "/assign")
    await bot.press(STAFF, proposal, texts.ASSIGN_APPROVE_BUTTON)
    await bot.emu.wait_until_idle(quiet=0.3)
    async with bot.services.db.session() as session:
        waiting = await session.scalar(select(Engagement).where(Engagement.status == "proposed"))
    invited = X if waiting.specialist_id == 1 else Y
    other = Y if invited == X else X
    first = await invitation(bot, invited, counts[invited])

    # A specialist who missed the message finds it again with /proposals (and on /start).
    again = await bot.say(invited, "/proposals")
    assert again.plain_text.startswith("📬")
    resent = await bot.emu.wait_for_message(invited, "新的对接邀请", after=counts[invited] + 2)
    assert resent.message_id > first.message_id
    assert (await bot.say(other, "/proposals")).plain_text == texts.PROPOSALS_NONE

    staff_before = len(bot.emu.messages(STAFF))
    reply = await bot.say(STAFF, f"/conflict {CODE} #{waiting.specialist_id}")
    assert "利益冲突" in reply.plain_text and texts.CONFLICT_WITHDRAWN in reply.plain_text
    assert "已撤回" in (await bot.emu.wait_for_message(invited, "已撤回")).plain_text
    assert "已自动邀请下一位候选" in (await bot.emu.wait_for_message(STAFF, "ℹ️ 已撤回", after=staff_before)).plain_text
    await invitation(bot, other, counts[other])
    # The withdrawn invitation's buttons change nothing.
    accept = next(d for t, d in first.buttons if t == texts.PROPOSAL_ACCEPT)
    late = bot.emu.user_presses_button(invited, first.message_id, accept, force=True)
    assert "已撤回" in (await bot.emu.wait_for_callback_answer(late["callback_query"]["id"])).text

    assert "已经登记过" in (await bot.say(STAFF, f"/conflict {CODE} #{waiting.specialist_id}")).plain_text
    listed = await bot.say(STAFF, "/conflict")
    assert "济南智造科技有限公司" in listed.plain_text and f"#{waiting.specialist_id}" in listed.plain_text
    async with bot.services.db.session() as session:
        statuses = sorted(e.status for e in (await session.scalars(select(Engagement))).all())
        blocked = (await session.scalars(select(BlockedPair))).all()
    assert statuses == ["proposed", "withdrawn"]
    assert [(b.specialist_id, b.reason) for b in blocked] == [(waiting.specialist_id, "conflict")]

    assert (await bot.say(OWNER, f"/conflict remove {CODE} #1")).plain_text == texts.STAFF_ONLY
    assert "已取消" in (await bot.say(STAFF, f"/conflict remove {CODE} #{waiting.specialist_id}")).plain_text
    assert (await bot.say(STAFF, f"/conflict remove {CODE} #{waiting.specialist_id}")).plain_text == texts.CONFLICT_NOT_FOUND


async def test_assign_honours_the_specialist_the_enterprise_asked_for(bot: Bot, tmp_path: Path) -> None:
    await setup(bot, tmp_path)
    suggestions = bot.emu.last_message(OWNER)
    labels = [label for label, _ in suggestions.buttons]
    assert len(labels) == 2
    # The owner asks for the one the matcher ranks second: a request outweighs a better score.
    asked = labels[1].removeprefix("请求对接：")
    assert await bot.press(OWNER, suggestions, labels[1]) == texts.REQUEST_SENT

    proposal = await bot.say(STAFF, "/assign", predicate=lambda m: "分配方案" in m.plain_text)
    assert "匹配 1 个" in proposal.plain_text and "已按请求安排 1 个" in proposal.plain_text
    assert f"← {asked}" in proposal.plain_text and texts.ASSIGN_REQUESTED_MARK in proposal.plain_text
    async with bot.services.db.session() as session:
        draft = await session.scalar(select(Engagement).where(Engagement.status == "draft"))
        chosen = await session.get(Specialist, draft.specialist_id)
    assert chosen.name == asked

    # Once the requested specialist is recused, /assign says the request could not be met.
    assert "利益冲突" in (await bot.say(STAFF, f"/conflict {CODE} #{chosen.id}")).plain_text
    again = await bot.say(STAFF, "/assign")
    assert "未能按企业请求安排" in again.plain_text and texts.ASSIGN_UNMET_REASONS["blocked"] in again.plain_text
    assert f"← {asked}" not in again.plain_text


async def test_an_old_approve_button_never_approves_a_newer_proposal_its_presser_did_not_see(bot: Bot, tmp_path: Path) -> None:
    await setup(bot, tmp_path)
    counts = {u: len(bot.emu.messages(u)) for u in (X, Y)}
    seen = await bot.say(STAFF, "/assign")
    async with bot.services.db.session() as session:
        first = await session.scalar(select(Engagement).where(Engagement.status == "draft"))
    # Meanwhile the pair is recused and a colleague runs /assign again: a different proposal.
    await bot.say(STAFF, f"/conflict {CODE} #{first.specialist_id}")
    newer = await bot.say(STAFF, "/assign")
    assert "匹配 1 个" in newer.plain_text

    staff_before = len(bot.emu.messages(STAFF))
    assert await bot.press(STAFF, seen, texts.ASSIGN_APPROVE_BUTTON) == texts.ASSIGN_STALE
    shown = await bot.emu.wait_for_message(STAFF, "最新分配方案", after=staff_before)
    async with bot.services.db.session() as session:
        statuses = [e.status for e in (await session.scalars(select(Engagement))).all()]
        other = await session.scalar(select(Engagement).where(Engagement.status == "draft"))
        other_name = (await session.get(Specialist, other.specialist_id)).name
    assert statuses == ["draft"]  # nothing was approved
    assert other_name in shown.plain_text

    # The button under the proposal now shown approves exactly that one.
    await bot.press(STAFF, shown, texts.ASSIGN_APPROVE_BUTTON)
    invited = X if other.specialist_id == 1 else Y
    assert "新的对接邀请" in (await invitation(bot, invited, counts[invited])).plain_text
    # An approve button from before proposals were bound, or a forged digest, approves nothing.
    for data in ("as:ok:2026", "as:ok:2026:0000000000", "as:ok:99999999:x"):
        forged = bot.emu.user_presses_button(STAFF, shown.message_id, data, force=True)
        assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text in (
            texts.ASSIGN_NOTHING, texts.STALE_BUTTON)
