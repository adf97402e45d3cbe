"""People, not Telegram ids: staff rights granted to a person before they ever wrote hold
from their first message, and are gone for them when removed."""

from __future__ import annotations

from sqlalchemy import select

from core import texts
from store import identities as ident
from store import repositories as repo
from store.models import Identity, StaffGrant
from tests.handlers.conftest import OWNER, STAFF, Bot

COLLEAGUE = 950  # a new colleague at the bureau, named by the operator before writing to the bot


async def grant(bot: Bot, telegram_id: int, note: str) -> int:
    """What `tepai staff add ID --note N` does."""
    async with bot.services.db.session() as session, session.begin():
        person = await ident.person_for(session, ident.TELEGRAM, telegram_id)
        await repo.add_staff(session, person.id, note)
        return person.id


async def test_a_colleague_granted_before_writing_answers_hand_offs_until_removed(bot: Bot) -> None:
    granted = await grant(bot, COLLEAGUE, "成果转化处 小王")
    bot.emu.add_user(COLLEAGUE)
    await bot.say(STAFF, "/start")
    # Their first message: a staff command, and it is theirs to use.
    assert (await bot.say(COLLEAGUE, "/unanswered")).plain_text == texts.UNANSWERED_EMPTY

    # An owner's question nobody's documents cover reaches the new colleague too…
    colleague_before = len(bot.emu.messages(COLLEAGUE))
    await bot.say(OWNER, "怎么申请公租房？")
    forwarded = await bot.emu.wait_for_message(COLLEAGUE, "公租房", after=colleague_before)
    # …and their reply reaches the owner.
    owner_before = len(bot.emu.messages(OWNER))
    confirmation = await bot.say(COLLEAGUE, "请咨询住房保障部门。", reply_to_message_id=forwarded.message_id)
    assert "将转达给提问人" in confirmation.plain_text
    assert "住房保障部门" in (await bot.emu.wait_for_message(OWNER, "科技局工作人员答复", after=owner_before)).plain_text

    async with bot.services.db.session() as session:
        # One person: the one staff named, now heard from; the grant is still theirs.
        rows = (await session.scalars(select(Identity).where(Identity.external_id == str(COLLEAGUE)))).all()
        assert [(i.user_id, i.channel) for i in rows] == [(granted, ident.TELEGRAM)] and rows[0].last_seen is not None
        assert [g.user_id for g in (await session.scalars(select(StaffGrant))).all()] == [granted]
        owner = await repo.get_user(session, OWNER)
        handoff = (await repo.list_handoffs(session, status="replied"))[0]
        assert handoff.user_id == owner.id and handoff.reply_text == "请咨询住房保障部门。"

    async with bot.services.db.session() as session, session.begin():
        assert await repo.remove_staff(session, granted)
    assert (await bot.say(COLLEAGUE, "/unanswered")).plain_text == texts.STAFF_ONLY
