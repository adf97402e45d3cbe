"""Only a verified member acts for an enterprise: the places beyond the survey where a person
could be linked to an enterprise by its public code (contact exchange, match requests, nominations)."""

from __future__ import annotations

from pathlib import Path

from core import texts
from tests.handlers.conftest import OTHER, OWNER, STAFF, Bot
from tests.handlers.test_engagements import POOL, X, Y, invitation, setup
from tests.handlers.test_survey import choose, fill_until_review


async def test_a_pending_claimant_gets_no_contact_exchange_no_requests_and_cannot_nominate(bot: Bot, tmp_path: Path) -> None:
    await setup(bot, tmp_path)  # the owner submitted and saw suggestions
    suggestions = bot.emu.last_message(OWNER)
    owner_before = len(bot.emu.messages(OWNER))
    await bot.say(OTHER, "/survey")
    await fill_until_review(bot, OTHER, name="冒名顶替有限公司", join=True, phone="13700001111")
    assert (await choose(bot, OTHER, texts.SURVEY_CONFIRM)).plain_text == texts.CLAIM_PENDING_MEMBERS
    await bot.emu.wait_for_message(OWNER, "申请以", after=owner_before)

    # The owner's request buttons, pressed by the claimant, ask for nothing in the enterprise's name.
    forged = bot.emu.user_presses_button(OTHER, suggestions.message_id, suggestions.buttons[0][1], force=True)
    assert (await bot.emu.wait_for_callback_answer(forged["callback_query"]["id"])).text == texts.STALE_BUTTON
    assert (await bot.say(OTHER, "/nominate")).plain_text == texts.NOM_NEEDS_ENTERPRISE

    counts = {u: len(bot.emu.messages(u)) for u in (X, Y, OWNER, OTHER)}
    proposal = await bot.say(STAFF, "/assign")
    await bot.press(STAFF, proposal, texts.ASSIGN_APPROVE_BUTTON)
    for user in (X, Y):
        try:
            first, addressed = await invitation(bot, user, counts[user]), user
            break
        except TimeoutError:
            continue
    await bot.press(addressed, first, texts.PROPOSAL_ACCEPT)
    # The specialist gets the owner's contact (the claimant's answers never became the record)…
    to_specialist = await bot.emu.wait_for_message(addressed, "已接受")
    assert "13905311234" in to_specialist.plain_text and "13700001111" not in to_specialist.plain_text
    # …and the specialist's phone goes to the owner only.
    phone = next(r["phone"] for r in POOL if r["telegram_id"] == addressed)
    assert phone in (await bot.emu.wait_for_message(OWNER, "已接受与贵企业对接", after=counts[OWNER])).plain_text
    assert all(phone not in m.plain_text for m in bot.emu.messages(OTHER))
