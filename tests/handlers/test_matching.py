"""After the survey an owner sees their top 3 specialists and asks for one; staff see the top 10.
Matching rules hold on every path: the button requests the specialist it names, declined and
recused pairs are never suggested (staff see them marked), nothing below the relevance floor
is suggested, and /assign honours the specialist an enterprise asked for."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from core import texts
from store.models import BlockedPair, Enterprise, MatchRequest
from store.specialists import import_file, sync_index
from tests.handlers.conftest import OWNER, STAFF, Bot
from tests.handlers.test_survey import CODE, choose, fill_until_review, open_campaign

POOL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "specialists_dev.jsonl"
# Two experts for the survey's demand (spindle temperature rise on CNC machine tools), so the
# owner has three relevant specialists beside 谢军's gears.
SPINDLE = [
    {"id": "X1", "name": "邱明", "institution": "济南大学机械工程学院", "title": "教授", "field": "先进制造与自动化",
     "expertise": "机床主轴热变形控制、精密轴承润滑"},
    {"id": "Y1", "name": "褚亮", "institution": "山东省科学院", "title": "研究员", "field": "先进制造与自动化",
     "expertise": "数控机床精度补偿、主轴温升测量"},
]
VEGETABLES = {"id": "V1", "name": "宋涛", "institution": "山东省农业科学院蔬菜研究所", "title": "研究员",
              "field": "先进制造与自动化", "expertise": "设施蔬菜栽培、水肥一体化"}  # a shared label, nothing more


async def import_rows(bot: Bot, tmp_path: Path, rows: list[dict]) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    async with bot.services.db.session() as session, session.begin():
        _, touched = await import_file(session, source)
        sync_index(bot.services.matcher, touched)


async def submit_survey(bot: Bot):  # type: ignore[no-untyped-def]
    """The owner fills and confirms the survey; returns the suggestions message."""
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    after = len(bot.emu.messages(OWNER))
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    return await bot.emu.wait_for_message(OWNER, _suggestions, after=after)


async def resubmit_survey(bot: Bot):  # type: ignore[no-untyped-def]
    await bot.say(OWNER, "/survey")
    after = len(bot.emu.messages(OWNER))
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    return await bot.emu.wait_for_message(OWNER, _suggestions, after=after)


def _suggestions(message) -> bool:  # type: ignore[no-untyped-def]
    return "推荐以下科技特派员" in message.plain_text or message.plain_text in (texts.SUGGEST_NONE, texts.SUGGEST_NONE_RELEVANT)


async def load_pool(bot: Bot, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in POOL.read_text(encoding="utf-8").splitlines() if line.strip()] + SPINDLE
    rows[19]["phone"] = "13700000000"  # 谢军, gears: a likely match for a machine-tool demand
    source = tmp_path / "pool.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    async with bot.services.db.session() as session, session.begin():
        _, touched = await import_file(session, source)
        sync_index(bot.services.matcher, touched)


async def test_owner_sees_at_most_three_relevant_specialists_without_phones_and_requests_one(bot: Bot, tmp_path: Path) -> None:
    await load_pool(bot, tmp_path)
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    after = len(bot.emu.messages(OWNER))
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    suggestions = await bot.emu.wait_for_message(OWNER, "推荐以下科技特派员", after=after)
    shown = suggestions.plain_text.count("专长：")
    # The two spindle experts clear the relevance floor; a third (gears) only if the encoder puts it there.
    assert 2 <= shown <= 3 and "推荐理由" in suggestions.plain_text and len(suggestions.buttons) == shown
    assert {"请求对接：邱明", "请求对接：褚亮"} <= {row[0] for row in suggestions.buttons}
    assert "13700000000" not in suggestions.plain_text

    staff_before = len(bot.emu.messages(STAFF))
    first = suggestions.buttons[0][0].removeprefix("请求对接：")
    assert await bot.press(OWNER, suggestions, suggestions.buttons[0][0]) == texts.REQUEST_SENT
    note = await bot.emu.wait_for_message(STAFF, "对接请求", after=staff_before)
    assert "济南智造科技有限公司" in note.plain_text and first in note.plain_text
    assert await bot.press(OWNER, suggestions, suggestions.buttons[0][0]) == texts.REQUEST_ALREADY

    top = await bot.say(STAFF, f"/match {CODE}")
    assert "前 10 位推荐特派员" in top.plain_text and top.plain_text.count("专长：") == 10
    assert (await bot.say(OWNER, f"/match {CODE}")).plain_text == texts.STAFF_ONLY
    assert "校验码" in (await bot.say(STAFF, "/match 91370100MA3C5QXX10")).plain_text


async def test_the_request_button_asks_for_the_specialist_it_names_whatever_the_import_ids(bot: Bot, tmp_path: Path) -> None:
    # Imported ids that look like internal numbers: 褚亮 is S006 but internal #1, 邱明 is S001 but #2.
    await import_rows(bot, tmp_path, [{**SPINDLE[1], "id": "S006"}, {**SPINDLE[0], "id": "S001"}])
    suggestions = await submit_survey(bot)
    assert {"请求对接：邱明", "请求对接：褚亮"} <= {label for label, _ in suggestions.buttons}

    staff_before = len(bot.emu.messages(STAFF))
    assert await bot.press(OWNER, suggestions, "请求对接：邱明") == texts.REQUEST_SENT
    note = await bot.emu.wait_for_message(STAFF, "对接请求", after=staff_before)
    assert "邱明" in note.plain_text and "褚亮" not in note.plain_text
    staff_before = len(bot.emu.messages(STAFF))
    assert await bot.press(OWNER, suggestions, "请求对接：褚亮") == texts.REQUEST_SENT  # not "已失效"
    assert "褚亮" in (await bot.emu.wait_for_message(STAFF, "对接请求", after=staff_before)).plain_text
    async with bot.services.db.session() as session:
        keys = (await session.scalars(select(MatchRequest.specialist_key).order_by(MatchRequest.id))).all()
    assert list(keys) == ["S001", "S006"]

    # Staff name specialists by their import id or by #number; an import id is never read as a number.
    assert "邱明" in (await bot.say(STAFF, f"/conflict {CODE} S001")).plain_text
    assert "没有找到特派员" in (await bot.say(STAFF, f"/conflict {CODE} S002")).plain_text  # #2 is 邱明, not "S002"
    assert "褚亮" in (await bot.say(STAFF, f"/conflict {CODE} #1")).plain_text


async def test_declined_and_recused_specialists_are_never_suggested_and_staff_see_them_marked(bot: Bot, tmp_path: Path) -> None:
    await import_rows(bot, tmp_path, SPINDLE + [VEGETABLES])
    first = await submit_survey(bot)
    assert "邱明" in first.plain_text and "褚亮" in first.plain_text
    # The vegetable grower shares the field label but knows nothing of spindles: below the floor.
    assert "宋涛" not in first.plain_text

    assert "利益冲突" in (await bot.say(STAFF, f"/conflict {CODE} X1")).plain_text
    async with bot.services.db.session() as session, session.begin():
        enterprise = await session.scalar(select(Enterprise).where(Enterprise.credit_code == CODE))
        # 褚亮 declined an earlier invitation from this enterprise.
        session.add(BlockedPair(enterprise_id=enterprise.id, specialist_id=2, reason="declined"))

    again = await resubmit_survey(bot)
    assert "邱明" not in again.plain_text and "褚亮" not in again.plain_text and "宋涛" not in again.plain_text
    assert again.plain_text == texts.SUGGEST_NONE_RELEVANT
    # A button from before the conflict no longer requests the recused specialist.
    assert await bot.press(OWNER, first, "请求对接：邱明") == texts.REQUEST_BLOCKED

    listing = (await bot.say(STAFF, f"/match {CODE}")).plain_text
    entries = {name: next(part for part in listing.split("\n\n") if name in part) for name in ("邱明", "褚亮", "宋涛")}
    assert "已回避" in entries["邱明"] and "已婉拒" in entries["褚亮"]
    assert texts.STAFF_MATCH_BELOW_FLOOR in entries["宋涛"] and "已婉拒" not in entries["宋涛"]

    # /assign proposes none of them: a demand with no usable specialist goes to manual review.
    proposal = await bot.say(STAFF, "/assign")
    assert "匹配 0 个" in proposal.plain_text and "需人工处理 1 个" in proposal.plain_text


async def test_an_owner_whose_demand_nobody_in_the_pool_knows_is_told_so(bot: Bot, tmp_path: Path) -> None:
    await import_rows(bot, tmp_path, [VEGETABLES])
    suggestions = await submit_survey(bot)
    assert suggestions.plain_text == texts.SUGGEST_NONE_RELEVANT and not suggestions.buttons
    listing = (await bot.say(STAFF, f"/match {CODE}")).plain_text
    assert "宋涛" in listing and texts.STAFF_MATCH_BELOW_FLOOR in listing
