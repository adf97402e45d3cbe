"""Specialists register by dialogue; staff approve them into the pool (and the match index)."""

from __future__ import annotations

from sqlalchemy import select

from core import texts
from knowledge.matching import Demand
from store.models import Specialist
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot
from tests.handlers.test_survey import choose
from tests.people import telegram_of

EXPERT = 2001


async def register(bot: Bot, user: int = EXPERT, phone: str = "13905311234") -> None:
    first = await bot.say(user, "/start specialist", first_name="李明")
    assert "报名科技特派员" in first.plain_text and "姓名" in first.plain_text
    await bot.say(user, "李明")
    await bot.say(user, "山东大学机械工程学院")
    await choose(bot, user, "高等院校")
    await bot.say(user, "教授")
    await choose(bot, user, "先进制造与自动化")
    assert "至少" in (await bot.say(user, "打印")).plain_text
    await bot.say(user, "增材制造（金属3D打印）、拓扑优化设计")
    await bot.say(user, "跳过")
    await choose(bot, user, "2")
    assert "没有这个区县" in (await bot.say(user, "火星区")).plain_text
    await bot.say(user, "历下、济南市章丘区")  # the vocabulary the imports use
    await bot.say(user, phone)
    review = bot.emu.last_message(user)
    assert "请核对" in review.plain_text and "章丘区" in review.plain_text and "2" in review.plain_text


async def test_specialist_registers_staff_approves_and_the_pool_finds_them(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    await register(bot)
    staff_before = len(bot.emu.messages(STAFF))
    done = await choose(bot, EXPERT, texts.REG_CONFIRM)
    assert done.plain_text == texts.REG_SUBMITTED
    notice = await bot.emu.wait_for_message(STAFF, "新的特派员登记", after=staff_before)
    assert "李明" in notice.plain_text and "13905311234" not in notice.plain_text

    # Nobody but staff can approve, even with the right callback data.
    approve_data = next(d for t, d in notice.buttons if t.startswith("✅"))
    own = await bot.say(OWNER, "/help")
    update = bot.emu.user_presses_button(OWNER, own.message_id, approve_data, force=True)
    assert (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text == texts.STAFF_ONLY
    assert "待审核" in (await bot.say(EXPERT, "/register")).plain_text

    expert_before = len(bot.emu.messages(EXPERT))
    answer = await bot.press(STAFF, notice, "通过")
    assert answer.startswith("已通过")
    approved = await bot.emu.wait_for_message(EXPERT, after=expert_before)
    assert approved.plain_text == texts.APPROVED_SPECIALIST
    update = bot.emu.user_presses_button(STAFF, notice.message_id, approve_data, force=True)
    assert "已经处理过" in (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text

    matches = bot.services.matcher.match(Demand(field="先进制造与自动化", description="想用金属3D打印做钛合金零件"), 3)
    assert matches[0].name == "李明"
    async with bot.services.db.session() as session:
        stored = await session.scalar(select(Specialist))
    assert (stored.status, stored.source, stored.capacity, stored.districts) == ("active", "registration", 2, ["历下区", "章丘区"])


async def test_registration_pauses_and_resumes_and_staff_list_pending(bot: Bot) -> None:
    await bot.say(OTHER, "/start specialist")
    await bot.say(OTHER, "王霞")
    assert (await bot.say(OTHER, "/cancel")).plain_text == texts.REG_PAUSED
    resumed = await bot.say(OTHER, "/register")
    assert "继续填写" in resumed.plain_text and "工作单位" in resumed.plain_text
    assert (await bot.say(STAFF, "/approve")).plain_text == texts.PENDING_NONE
    assert (await bot.say(OWNER, "/approve")).plain_text == texts.STAFF_ONLY


async def test_an_enterprise_nominates_an_expert_it_works_with_and_staff_approve_it(bot: Bot) -> None:
    from store.models import Enterprise
    from tests.handlers.test_survey import fill_until_review, open_campaign

    await open_campaign(bot)
    # Nominating needs a known enterprise: one that has filled the survey.
    assert (await bot.say(OWNER, "/nominate")).plain_text == texts.NOM_NEEDS_ENTERPRISE
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    none_yet = await bot.emu.wait_for_message(OWNER, "暂时没有合适的特派员")
    assert "/nominate" in none_yet.plain_text

    first = await bot.say(OWNER, "/nominate")
    assert "企业自主申报" in first.plain_text and "专家姓名" in first.plain_text
    await bot.say(OWNER, "赵敏")
    await bot.say(OWNER, "齐鲁工业大学机械工程学部")
    await choose(bot, OWNER, "高等院校")
    assert "暂停" in (await bot.say(OWNER, "/cancel")).plain_text  # paused, nothing lost
    assert "职称" in (await bot.say(OWNER, "/nominate")).plain_text
    await bot.say(OWNER, "副教授")
    await choose(bot, OWNER, "先进制造与自动化")
    await bot.say(OWNER, "高速电主轴设计、轴承热分析")
    assert "至少" in (await bot.say(OWNER, "合作")).plain_text
    await bot.say(OWNER, "2024年起合作主轴温升控制项目，已联合申请发明专利1项")
    assert "手机" in (await bot.say(OWNER, "12345")).plain_text
    review = await bot.say(OWNER, "13811112222")
    assert "请核对申报信息" in review.plain_text and "赵敏" in review.plain_text

    # A forged button from the registration form does not touch the nomination.
    forged = bot.emu.user_presses_button(OWNER, review.message_id, "rg:confirm", force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.SURVEY_STALE

    staff_before = len(bot.emu.messages(STAFF))
    done = await choose(bot, OWNER, texts.NOM_CONFIRM)
    assert done.plain_text == texts.NOM_SUBMITTED
    notice = await bot.emu.wait_for_message(STAFF, "企业自主申报", after=staff_before)
    assert "济南智造科技有限公司" in notice.plain_text and "主轴温升" in notice.plain_text
    assert "13811112222" not in notice.plain_text
    listed = await bot.say(STAFF, "/approve")
    assert "待审核" in listed.plain_text

    owner_before = len(bot.emu.messages(OWNER))
    assert (await bot.press(STAFF, notice, "通过")).startswith("已通过")
    told = await bot.emu.wait_for_message(OWNER, "通过科技局审核", after=owner_before)
    assert "赵敏" in told.plain_text
    async with bot.services.db.session() as session:
        stored = await session.scalar(select(Specialist).where(Specialist.name == "赵敏"))
        enterprise = await session.scalar(select(Enterprise))
    assert (stored.status, stored.source, stored.nominated_by, stored.user_id) == ("active", "nomination",
                                                                                       enterprise.id, None)
    assert "专利" in stored.nomination_note
    matches = bot.services.matcher.match(Demand(field="先进制造与自动化", description="电主轴发热、轴承温度高"), 3)
    assert "赵敏" in [m.name for m in matches]

    # Someone registers later with the nominee's mobile: no silent merge. The nominated record stays
    # as it was until staff, seeing both profiles, decide it is the same person.
    staff_before = len(bot.emu.messages(STAFF))
    await register(bot, phone="13811112222")
    claimed = await choose(bot, EXPERT, texts.REG_CONFIRM)
    assert claimed.plain_text == texts.REG_CLAIM_PENDING
    merge = await bot.emu.wait_for_message(STAFF, "手机号相同", after=staff_before)
    assert "李明" in merge.plain_text and "赵敏" in merge.plain_text and "济南智造科技有限公司" in merge.plain_text
    async with bot.services.db.session() as session:
        nominee = await session.scalar(select(Specialist).where(Specialist.id == stored.id))
    assert (nominee.name, nominee.user_id, nominee.institution, nominee.status) == (
        "赵敏", None, "齐鲁工业大学机械工程学部", "active")
    assert "李明" not in [m.name for m in bot.services.matcher.match(Demand(field="先进制造与自动化",
                                                                           description="金属3D打印钛合金"), 3)]
    assert "/proposals" not in (await bot.say(EXPERT, "/help")).plain_text
    # Approving the registration on its own waits for that decision; only staff make it.
    merge_data = next(d for t, d in merge.buttons if t == texts.REG_MERGE_BUTTON)
    registration_id = merge_data.split(":")[2]
    for who, data, expected in ((STAFF, f"sp:ok:{registration_id}", texts.REG_MERGE_FIRST),
                                (OWNER, merge_data, texts.STAFF_ONLY), (EXPERT, merge_data, texts.STAFF_ONLY),
                                (STAFF, "sm:ok:x", texts.STALE_BUTTON), (STAFF, "sm:ok:987654", texts.REG_MERGE_STALE)):
        update = bot.emu.user_presses_button(who, merge.message_id, data, force=True)
        assert (await bot.emu.wait_for_callback_answer(update["callback_query"]["id"])).text == expected, (who, data)
    listed = await bot.say(STAFF, "/approve", predicate=lambda m: "手机号相同" in m.plain_text)
    assert texts.REG_MERGE_BUTTON in [t for t, _ in listed.buttons]

    expert_before, owner_before = len(bot.emu.messages(EXPERT)), len(bot.emu.messages(OWNER))
    assert (await bot.press(STAFF, merge, texts.REG_MERGE_BUTTON)).startswith("已将登记")
    assert "已合并" in (await bot.emu.wait_for_message(EXPERT, "已合并", after=expert_before)).plain_text
    assert "李明" in (await bot.emu.wait_for_message(OWNER, "本人登记", after=owner_before)).plain_text
    assert (await bot.press(STAFF, listed, texts.REG_MERGE_BUTTON)) == texts.REG_MERGE_STALE
    from store.models import RecordChange

    async with bot.services.db.session() as session:
        everyone = (await session.scalars(select(Specialist))).all()
        merged_by = [(action, await telegram_of(session, actor)) for action, actor in (await session.execute(
            select(RecordChange.action, RecordChange.actor_id).where(RecordChange.record_type == "specialist")
            .order_by(RecordChange.id))).all()]
        expert = await telegram_of(session, everyone[0].user_id)
    assert len(everyone) == 1 and expert == EXPERT and everyone[0].name == "李明"
    assert everyone[0].source == "nomination" and everyone[0].status == "active"
    assert [tuple(r) for r in merged_by] == [("nominated", OWNER), ("approved", STAFF), ("merge_claim", EXPERT),
                                             ("merged", STAFF)]
    assert "李明" in [m.name for m in bot.services.matcher.match(Demand(field="先进制造与自动化",
                                                                       description="金属3D打印钛合金"), 3)]
    assert "/proposals" in (await bot.say(EXPERT, "/help")).plain_text  # the specialist's help now


async def test_a_registration_with_a_nominees_mobile_kept_apart_leaves_the_nominated_record_alone(bot: Bot) -> None:
    # A nominated expert already in the pool (as an enterprise's nomination, approved earlier).
    async with bot.services.db.session() as session, session.begin():
        session.add(Specialist(name="赵敏", institution="齐鲁工业大学", institution_type="高等院校", title="副教授",
                               field="先进制造与自动化", expertise="高速电主轴设计", capacity=1, phone="13811112222",
                               status="active", source="nomination"))
    await bot.say(STAFF, "/start")
    staff_before = len(bot.emu.messages(STAFF))
    await register(bot, phone="13811112222")
    assert (await choose(bot, EXPERT, texts.REG_CONFIRM)).plain_text == texts.REG_CLAIM_PENDING
    merge = await bot.emu.wait_for_message(STAFF, "手机号相同", after=staff_before)

    expert_before, staff_before = len(bot.emu.messages(EXPERT)), len(bot.emu.messages(STAFF))
    assert "单独的登记" in await bot.press(STAFF, merge, texts.REG_SEPARATE_BUTTON)
    assert (await bot.emu.wait_for_message(EXPERT, "单独", after=expert_before)).plain_text == texts.REG_SEPARATED_SPECIALIST
    review = await bot.emu.wait_for_message(STAFF, "李明", after=staff_before)
    assert (await bot.press(STAFF, review, "通过")).startswith("已通过")
    async with bot.services.db.session() as session:
        everyone = {s.name: s for s in (await session.scalars(select(Specialist))).all()}
        expert = await telegram_of(session, everyone["李明"].user_id)
    assert set(everyone) == {"赵敏", "李明"}
    assert everyone["赵敏"].user_id is None and everyone["赵敏"].institution == "齐鲁工业大学"
    assert expert == EXPERT and everyone["李明"].claims_specialist_id is None
