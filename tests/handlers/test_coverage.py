"""Staff see programme coverage with /stats: a summary against the 50% target and a district chart."""

from __future__ import annotations

from core import texts
from store import repositories as repo
from store import survey
from store.models import Engagement, Enterprise, Project, RosterEnterprise, Specialist, Submission
from store.validators import credit_code_check_char
from tests.handlers.conftest import OWNER, STAFF, Bot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def code(n: int) -> str:
    first17 = f"91370100MA3C5Q{n:03d}"
    return first17 + credit_code_check_char(first17)


async def seed(bot: Bot) -> None:
    """Roster: 甲 (历下区, equipped with a specialist), 乙 (历下区), 丙 (市中区, surveyed only)."""
    async with bot.services.db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, OWNER, "王总")
        specialist = Specialist(name="李教授", institution="山东大学", field="电子信息", expertise="机器视觉")
        session.add(specialist)
        for n, (name, district) in enumerate((("甲公司", "历下区"), ("乙公司", "历下区"), ("丙公司", "市中区")), 1):
            session.add(RosterEnterprise(credit_code=code(n), name=name, district=district))
        first = Enterprise(credit_code=code(1), name="甲公司", district="历下区")
        third = Enterprise(credit_code=code(3), name="丙公司", district="市中区")
        session.add_all([first, third])
        await session.flush()
        for ent in (first, third):
            session.add(Submission(enterprise_id=ent.id, campaign_year=2026, version=1, current=True,
                                   submitted_by=user.id, answers={"name": ent.name, "credit_code": ent.credit_code,
                                                                  "district": ent.district, "field": "电子信息"}))
        engagement = Engagement(campaign_year=2026, enterprise_id=first.id, specialist_id=specialist.id,
                                status="accepted")
        session.add(engagement)
        await session.flush()
        session.add(Project(engagement_id=engagement.id, enterprise_id=first.id, specialist_id=specialist.id,
                            title="机器视觉检测"))


async def test_staff_get_the_coverage_summary_and_a_chart(bot: Bot) -> None:
    await bot.say(STAFF, "/start")
    empty = await bot.say(STAFF, "/stats")
    assert texts.COVERAGE_NONE in empty.plain_text
    assert all(m.kind != "photo" for m in bot.emu.messages(STAFF))  # nothing to chart yet

    await seed(bot)
    after = len(bot.emu.messages(STAFF))
    summary = await bot.say(STAFF, "/stats")
    text = summary.plain_text
    assert "全部年度" in text and "入库科技型中小企业名录（3 家）" in text and "填报需求调查：2 家" in text
    assert "覆盖率：33%（1/3）" in text and "2027年目标 50%：还需覆盖 1 家" in text
    assert "历下区：50%（1/2）" in text and "市中区：0%（0/1）" in text
    photo = await bot.emu.wait_for_message(STAFF, lambda m: m.kind == "photo", after=after)
    assert photo.photo is not None and photo.photo.data.startswith(PNG_SIGNATURE)
    assert photo.plain_text == texts.COVERAGE_CHART_CAPTION
    assert photo.message_id > summary.message_id  # the summary first, then the chart

    assert "2026年度" in (await bot.say(STAFF, "/stats 2026")).plain_text
    await bot.emu.wait_for_message(STAFF, lambda m: m.kind == "photo", after=len(bot.emu.messages(STAFF)) - 1)
    await bot.emu.wait_until_idle(quiet=0.3)  # the chart of /stats 2026 follows its summary
    assert (await bot.say(STAFF, "/stats 明年")).plain_text == texts.COVERAGE_BAD_YEAR


async def test_stats_are_refused_to_non_staff(bot: Bot) -> None:
    await seed(bot)
    refused = await bot.say(OWNER, "/stats")
    assert refused.plain_text == texts.STAFF_ONLY
    assert [m.kind for m in bot.emu.messages(OWNER)] == ["text"]  # no summary, no chart


async def test_without_a_roster_stats_say_there_is_no_denominator_and_claim_no_target(bot: Bot) -> None:
    """Two surveyed enterprises, both with a project: once this read "100%（2/2）… 已达成"."""
    async with bot.services.db.session() as session, session.begin():
        await survey.set_campaign(session, 2026, "open")
        user = await repo.touch_user(session, OWNER, "王总")
        specialist = Specialist(name="李教授", institution="山东大学", field="电子信息", expertise="机器视觉")
        session.add(specialist)
        for n in (1, 2):
            ent = Enterprise(credit_code=code(n), name=f"企业{n}", district="历下区")
            session.add(ent)
            await session.flush()
            session.add(Submission(enterprise_id=ent.id, campaign_year=2026, version=1, current=True,
                                   submitted_by=user.id, answers={"name": ent.name, "district": "历下区"}))
            engagement = Engagement(campaign_year=2026, enterprise_id=ent.id, specialist_id=specialist.id,
                                    status="accepted")
            session.add(engagement)
            await session.flush()
            session.add(Project(engagement_id=engagement.id, enterprise_id=ent.id, specialist_id=specialist.id,
                                title="合作项目"))
    await bot.say(STAFF, "/start")
    after = len(bot.emu.messages(STAFF))
    text = (await bot.say(STAFF, "/stats")).plain_text
    assert "没有分母" in text and "100%（2/2）" not in text and "已达成" not in text
    assert "2030年目标 100%：" + texts.COVERAGE_TARGET_UNKNOWN in text
    photo = await bot.emu.wait_for_message(STAFF, lambda m: m.kind == "photo", after=after)
    assert photo.plain_text == texts.COVERAGE_CHART_COUNTS_CAPTION


async def test_a_district_that_looks_like_mathtext_does_not_break_the_chart(bot: Bot) -> None:
    await seed(bot)
    async with bot.services.db.session() as session, session.begin():
        session.add(RosterEnterprise(credit_code=code(9), name="怪区公司", district=r"区$\foo$"))
    await bot.say(STAFF, "/start")
    after = len(bot.emu.messages(STAFF))
    summary = await bot.say(STAFF, "/stats")
    assert r"区$\foo$" in summary.plain_text
    photo = await bot.emu.wait_for_message(STAFF, lambda m: m.kind == "photo", after=after)
    assert photo.photo.data.startswith(PNG_SIGNATURE)
    await bot.emu.wait_until_idle(quiet=0.3)
    assert all("出了点问题" not in m.plain_text for m in bot.emu.messages(STAFF)[after:])
