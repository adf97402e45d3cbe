"""After the survey an owner sees their top 3 specialists and asks for one; staff see the top 10."""

from __future__ import annotations

import json
from pathlib import Path

from bot import texts
from store.specialists import import_file, sync_index
from tests.handlers.conftest import OWNER, STAFF, Bot
from tests.handlers.test_survey import CODE, choose, fill_until_review, open_campaign

POOL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "specialists_dev.jsonl"


async def load_pool(bot: Bot, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in POOL.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows[19]["phone"] = "13700000000"  # 谢军, gears: the likely top match for a machine-tool demand
    source = tmp_path / "pool.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    async with bot.services.db.session() as session, session.begin():
        _, touched = await import_file(session, source)
        sync_index(bot.services.matcher, touched)


async def test_owner_sees_three_specialists_without_phones_and_requests_one(bot: Bot, tmp_path: Path) -> None:
    await load_pool(bot, tmp_path)
    await open_campaign(bot)
    await bot.say(OWNER, "/survey")
    await fill_until_review(bot)
    after = len(bot.emu.messages(OWNER))
    await choose(bot, OWNER, texts.SURVEY_CONFIRM)
    suggestions = await bot.emu.wait_for_message(OWNER, "推荐以下科技特派员", after=after)
    assert suggestions.plain_text.count("专长：") == 3 and "推荐理由" in suggestions.plain_text
    assert "13700000000" not in suggestions.plain_text and len(suggestions.buttons) == 3

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
