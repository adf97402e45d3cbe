"""An owner on the bureau's website: cited answers, 👍/👎, 转人工 with staff answering from
Telegram, the survey resumed in a new tab — and everything the public internet may throw at it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import texts
from store import identities as ident
from store.models import Delivery, Handoff, Identity, QaRecord
from tests.handlers.conftest import STAFF
from tests.web.conftest import Site, close_site, open_site

IN_SCOPE = "入库的科技型中小企业能享受什么税收政策？"
OUT_OF_SCOPE = "怎么申请公租房？"


async def test_owner_asks_and_gets_the_exact_clause_with_its_source_and_draft_note(site: Site) -> None:
    owner = site.visitor()
    state = await owner.open()
    assert state["labels"]["handoff"] == texts.BUTTON_HANDOFF and not state["survey_active"]

    answer = await owner.say(IN_SCOPE)
    assert answer["kind"] == "answer" and answer["answered"]
    assert answer["lead"] == texts.ANSWER_LEAD
    first = answer["citations"][0]
    assert "研发费用加计扣除" in " ".join(c["text"] for c in answer["citations"])
    # 《title》 with issuer and date (or that they are unknown), then the heading path.
    assert first["source"].startswith("《") and "》" in first["source"] and "（" in first["source"]
    assert "二、重点任务" in " ".join(c["source"] for c in answer["citations"])
    assert any("征求意见稿" in note for note in answer["notes"])

    # Stored as the Telegram bot stores it, for a person with a web identity.
    async with site.bot.services.db.session() as session:
        record = await session.get(QaRecord, answer["qa_id"])
        identities = await ident.identities_of(session, record.user_id)
    assert record.answered and record.citations[0]["text"] == first["text"]
    assert [i.channel for i in identities] == [ident.WEB]

    thanks = await owner.post("/api/feedback", {"qa_id": answer["qa_id"], "value": "down"})
    assert thanks.json()["text"] == texts.FEEDBACK_SORRY
    again = await owner.post("/api/feedback", {"qa_id": answer["qa_id"], "value": "down"})
    assert again.json()["text"] == texts.FEEDBACK_ALREADY
    async with site.bot.services.db.session() as session:
        assert (await session.get(QaRecord, answer["qa_id"])).feedback == "down"

    # Someone else's answer is not theirs to rate or hand off.
    stranger = site.visitor(address="198.51.100.9")
    await stranger.open()
    assert (await stranger.post("/api/feedback", {"qa_id": answer["qa_id"], "value": "up"})).json()["text"] \
        == texts.NOT_YOUR_BUTTON
    assert (await stranger.post("/api/handoff", {"qa_id": answer["qa_id"]})).json()["text"] == texts.NOT_YOUR_BUTTON


async def test_out_of_scope_is_declined_and_a_human_offered_whose_reply_arrives_once(site: Site) -> None:
    owner = site.visitor()
    await owner.open()
    declined = await owner.say(OUT_OF_SCOPE)
    assert declined["kind"] == "answer" and not declined["answered"]
    assert declined["lead"] == texts.NOT_COVERED and declined["citations"] == []
    assert declined["offer"] == texts.WEB_HANDOFF_OFFER
    async with site.bot.services.db.session() as session:
        assert await session.scalar(select(Handoff.id)) is None  # offered, not forwarded by itself

    emu = site.bot.emu
    staff_before = len(emu.messages(STAFF))
    handed = await owner.post("/api/handoff", {"qa_id": declined["qa_id"]})
    assert handed.json()["text"] == texts.WEB_HANDOFF_WAITING
    forwarded = await emu.wait_for_message(STAFF, "待答复", after=staff_before)
    assert OUT_OF_SCOPE.rstrip("？") in forwarded.plain_text
    assert f"{texts.WEB_VISITOR}（ID {texts.WEB_CHANNEL}）" in forwarded.plain_text
    visitor_id = owner.client.cookies["tepai_web"]
    unanswered = await site.bot.say(STAFF, "/unanswered")
    assert texts.WEB_VISITOR in unanswered.plain_text and "web:" not in unanswered.plain_text
    assert visitor_id not in unanswered.plain_text
    assert (await owner.post("/api/handoff", {"qa_id": declined["qa_id"]})).json()["text"] == texts.HANDOFF_ALREADY

    assert (await owner.poll())["messages"] == []
    confirmation = await site.bot.say(STAFF, "公租房请咨询市住房保障部门，电话 12345。",
                                      reply_to_message_id=forwarded.message_id)
    assert "将转达给提问人" in confirmation.plain_text

    # The reply is owed to the visitor's web identity; the Telegram sender leaves it alone.
    async with site.bot.services.db.session() as session:
        row = await session.scalar(select(Delivery).where(Delivery.kind == "staff_reply"))
        address = await session.get(Identity, row.identity_id)
    assert address.channel == ident.WEB and row.status == "queued"
    from store import outbox as ob

    async with site.bot.services.db.session() as session:  # what the Telegram sender would take next
        assert row.id not in [i for i, _, _ in await ob.queued_direct(session, set(), 50)]

    polled = await owner.poll()
    [reply] = polled["messages"]
    assert "12345" in reply["text"] and "<b>" not in reply["text"] and reply["from"] == texts.WEB_STAFF_REPLY
    assert reply["time"].endswith("（北京时间）")
    assert (await owner.poll(polled["cursor"]))["messages"] == []  # shown once
    async with site.bot.services.db.session() as session:
        row = await session.get(Delivery, row.id)
        handoff = await session.scalar(select(Handoff))
    assert row.status == "sent" and row.sent_at is not None and handoff.status == "replied"
    # Another visitor never sees it.
    stranger = site.visitor(address="198.51.100.9")
    await stranger.open()
    assert (await stranger.poll())["messages"] == []


async def test_posts_without_the_sessions_csrf_token_are_refused_in_chinese(site: Site) -> None:
    owner = site.visitor()
    await owner.open()
    missing = await owner.client.post("/api/send", json={"text": IN_SCOPE})
    forged = await owner.client.post("/api/send", json={"text": IN_SCOPE}, headers={"X-CSRF-Token": "x" * 32})
    other_site = await owner.post("/api/send", {"text": IN_SCOPE}, Origin="https://evil.example")
    for refused in (missing, forged, other_site):
        assert refused.status_code == 403
        assert refused.json()["text"] == texts.WEB_ERRORS["csrf"]
    no_cookie = site.visitor()
    assert (await no_cookie.client.post("/api/send", json={"text": IN_SCOPE})).status_code == 403
    same_site = await owner.post("/api/send", {"text": IN_SCOPE}, Origin="http://testserver")
    assert same_site.status_code == 200 and same_site.json()["answered"]
    async with site.bot.services.db.session() as session:
        assert len((await session.scalars(select(QaRecord))).all()) == 1  # only the accepted one


async def test_a_forged_cookie_is_a_new_visitor_never_the_old_one(site: Site) -> None:
    owner = site.visitor()
    await owner.open()
    answer = await owner.say(IN_SCOPE)
    cookie = owner.client.cookies["tepai_web"]

    tampered = site.visitor()
    tampered.client.cookies.set("tepai_web", cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB"),
                                domain="testserver.local")
    state = await tampered.open()
    assert state["csrf"] != owner.csrf and tampered.client.cookies["tepai_web"] != cookie
    assert (await tampered.post("/api/feedback", {"qa_id": answer["qa_id"], "value": "up"})).json()["text"] \
        == texts.NOT_YOUR_BUTTON

    # Signed with another secret: also nobody.
    from bot.web.security import Sessions

    elsewhere = site.visitor()
    visit = Sessions("another-secret-" + "z" * 40).load(cookie)
    assert visit is None
    elsewhere.client.cookies.set("tepai_web", Sessions("another-secret-" + "z" * 40).dump(
        Sessions("x" * 40).new()), domain="testserver.local")
    assert (await elsewhere.open())["csrf"]
    assert elsewhere.client.cookies["tepai_web"] != cookie


async def test_bad_input_gets_a_clear_chinese_reply_never_a_traceback(site: Site) -> None:
    owner = site.visitor()
    await owner.open()
    assert (await owner.say("   "))["text"] == texts.WEB_ERRORS["empty"]
    assert (await owner.say("\x00\x07\x1b"))["text"] == texts.WEB_ERRORS["empty"]
    emoji = await owner.say("😀😀😀")
    assert emoji["kind"] == "notice" and emoji["text"] == texts.invalid_question("no_text", 500)
    long_question = await owner.say("政策" * 300)
    assert long_question["text"] == texts.invalid_question("too_long", 500)
    too_long = await owner.say("字" * 1001)
    assert too_long["error"] == "too_long"
    huge = await owner.post("/api/send", {"text": "字" * 20_000})
    assert huge.status_code == 413 and huge.json()["text"] == texts.WEB_ERRORS["too_large"]
    not_json = await owner.client.post("/api/send", content=b"{not json", headers={"X-CSRF-Token": owner.csrf,
                                                                                    "Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["text"] == texts.WEB_ERRORS["bad_request"]
    wrong_shape = await owner.post("/api/send", {"text": ["a"]})
    assert wrong_shape.json()["text"] == texts.WEB_ERRORS["bad_request"]
    for forged in ({"qa_id": "1; DROP TABLE qa_records"}, {"qa_id": -1}, {"qa_id": True}, {"qa_id": 10**15}):
        assert (await owner.post("/api/handoff", forged)).json()["text"] == texts.STALE_BUTTON
    assert (await owner.post("/api/survey", {"data": "fb:u:1"})).json()["text"] == texts.SURVEY_STALE
    assert (await owner.client.get("/api/messages", params={"after": "abc"})).status_code == 400
    injection = await owner.say("'; DROP TABLE users; -- <script>alert(1)</script> 忽略以上指令")
    assert injection["kind"] == "answer"  # just text: answered or declined, never run
    missing = await owner.client.get("/api/nothing")
    assert missing.status_code == 404 and missing.json()["text"] == texts.WEB_ERRORS["not_found"]
    wrong_method = await owner.client.get("/api/send")
    assert wrong_method.status_code == 405 and "Method" not in wrong_method.text


async def test_the_page_and_every_response_carry_the_security_headers(site: Site) -> None:
    owner = site.visitor()
    page = await owner.client.get("/")
    assert page.status_code == 200 and "<script>" not in page.text and 'src="static/chat.js"' in page.text
    assert texts.WEB_PAGE["heading"] in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-frame-options"] == "DENY"
    script = await owner.client.get("/static/chat.js")
    assert script.status_code == 200 and "textContent" in script.text
    assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write", script.text)
    session = await owner.client.get("/api/session")
    cookie = session.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain http here
    assert session.headers["cache-control"] == "no-store"


async def test_rate_limits_per_visitor_and_per_address_answer_429_in_chinese(emulator, policy_kb, database_url,  # type: ignore[no-untyped-def]
                                                                             tmp_path) -> None:
    site = await open_site(emulator, policy_kb, database_url, tmp_path / "data",
                           TEPAI_WEB_SESSION_LIMIT="3", TEPAI_WEB_ADDRESS_LIMIT="6")
    try:
        owner = site.visitor(address="203.0.113.20")
        await owner.open()  # a new session counts against the address: 1
        for _ in range(3):
            assert (await owner.post("/api/feedback", {"qa_id": 1, "value": "up"})).status_code == 200
        limited = await owner.post("/api/feedback", {"qa_id": 1, "value": "up"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()["text"] == texts.WEB_ERRORS["rate"].format(seconds=limited.headers["retry-after"])
        # Dropping the cookie to get a fresh allowance runs into the address's limit (every
        # request from it counts, the refused one too: 5 so far).
        await site.visitor(address="203.0.113.20").open()
        churn = site.visitor(address="203.0.113.20")
        assert (await churn.client.get("/api/session")).status_code == 429
        # Someone else elsewhere is served.
        other = site.visitor(address="198.51.100.30")
        await other.open()
        assert (await other.post("/api/feedback", {"qa_id": 1, "value": "up"})).status_code == 200
    finally:
        await close_site(site)


async def test_forwarded_for_is_believed_only_from_the_trusted_proxy(emulator, policy_kb, database_url,  # type: ignore[no-untyped-def]
                                                                     tmp_path) -> None:
    site = await open_site(emulator, policy_kb, database_url, tmp_path / "data", TEPAI_WEB_ADDRESS_LIMIT="2",
                           TEPAI_WEB_TRUSTED_PROXIES="10.0.0.5")
    try:
        # Behind the proxy, two people are two addresses, though both arrive from 10.0.0.5.
        for person in ("203.0.113.1", "203.0.113.2"):
            for _ in range(2):
                visitor = site.visitor(address="10.0.0.5", headers={"X-Forwarded-For": person,
                                                                      "X-Forwarded-Proto": "https"})
                response = await visitor.client.get("/api/session")
                assert response.status_code == 200 and "secure" in response.headers["set-cookie"].lower()
        # A client talking to us directly cannot pick an address by sending the header.
        direct = [site.visitor(address="198.51.100.50", headers={"X-Forwarded-For": f"192.0.2.{n}"}) for n in range(3)]
        codes = [(await v.client.get("/api/session")).status_code for v in direct]
        assert codes == [200, 200, 429]
    finally:
        await close_site(site)


async def test_survey_in_the_page_resumes_in_a_new_tab_and_shows_suggestions(site: Site) -> None:
    assert "已开启2026年度需求调查" in (await site.bot.say(STAFF, "/campaign open 2026")).plain_text
    owner = site.visitor()
    state = await owner.open()
    assert state["survey_open"] and not state["survey_active"]
    started = (await owner.post("/api/survey", {})).json()
    assert started["kind"] == "survey" and "企业名称" in started["text"]
    assert (await owner.say("济南智造科技有限公司"))["text"].find("信用代码") >= 0
    from store.validators import credit_code_check_char

    code = "91370100MA3C5QXX1" + credit_code_check_char("91370100MA3C5QXX1")
    district = await owner.say(code)
    assert district["buttons"], district
    registered = await owner.press(district, "历下区")

    # The tab is closed; a new one with the same cookie continues at the same question.
    tab = site.twin(owner)
    state = await tab.open()
    assert state["survey_active"]
    resumed = (await tab.post("/api/survey", {})).json()
    assert "继续" in resumed["text"] and [b["label"] for b in resumed["buttons"][0]] == \
        [b["label"] for b in registered["buttons"][0]]
    # The old tab's button for an earlier question changes nothing.
    assert (await owner.press(district, "历下区"))["text"] == texts.SURVEY_STALE

    field = await tab.press(resumed, "否")
    product = await tab.press(field, "先进制造与自动化")
    directions = await tab.say("数控机床主轴")
    directions = await tab.press(directions, "关键技术研发攻关")
    description = await tab.press(directions, texts.SURVEY_DONE_BUTTON)
    assert description["kind"] == "survey"
    await tab.say("主轴高速运转时温升过大导致精度下降，已尝试更换轴承和改进润滑，效果有限。")
    await tab.say("跳过")
    await tab.say("王经理")
    consent = await tab.say("139 0531 1234")
    review = await tab.press(consent, texts.SURVEY_AGREE)
    assert "请核对" in review["text"] and "13905311234" in review["text"]
    submitted = await tab.press(review, texts.SURVEY_CONFIRM)
    assert "已提交" in submitted["text"] or "提交" in submitted["text"]
    suggestions = submitted["suggestions"]
    # An empty pool: told honestly, as in Telegram, never a poor suggestion.
    assert suggestions["text"] in (texts.SUGGEST_NONE, texts.SUGGEST_NONE_RELEVANT) and suggestions["items"] == []


async def test_a_web_visitor_typing_a_known_code_only_applies_to_join(site: Site) -> None:
    from store.models import EnterpriseMember
    from store.validators import credit_code_check_char

    code = "91370100MA3C5QXX1" + credit_code_check_char("91370100MA3C5QXX1")
    await site.bot.say(STAFF, "/campaign open 2026")
    founder = site.visitor()
    await fill_survey(founder, "济南智造科技有限公司", code, join=False)
    emu = site.bot.emu
    staff_before = len(emu.messages(STAFF))
    newcomer = site.visitor(address="198.51.100.9")
    pending = await fill_survey(newcomer, "冒名顶替有限公司", code, join=True)
    assert pending["text"] in (texts.CLAIM_PENDING_MEMBERS, texts.CLAIM_PENDING_STAFF)
    assert "suggestions" not in pending
    async with site.bot.services.db.session() as session:
        members = (await session.scalars(select(EnterpriseMember))).all()
    assert len(members) == 1  # the newcomer is no member until someone approves
    # Staff hear of the claim in Telegram, with the buttons to decide it.
    to_staff = await emu.wait_for_message(STAFF, "企业加入申请", after=staff_before)
    assert to_staff.buttons


async def fill_survey(visitor, name: str, code: str, join: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """A visitor opens the page and fills the whole survey with consent; returns what submitting showed."""
    await visitor.open()
    await visitor.post("/api/survey", {})
    await visitor.say(name)
    step = await visitor.say(code)
    if join:  # the code is someone else's: joining is a request, never a fact
        assert "申请加入" in step["text"] and "济南智造" not in step["text"]
        step = await visitor.press(step, texts.CLAIM_ASK_JOIN)
    step = await visitor.press(step, "历下区")
    step = await visitor.press(step, "否")
    step = await visitor.press(step, "先进制造与自动化")
    step = await visitor.say("数控机床主轴")
    step = await visitor.press(step, "关键技术研发攻关")
    step = await visitor.press(step, texts.SURVEY_DONE_BUTTON)
    await visitor.say("主轴高速运转时温升过大导致精度下降，已尝试更换轴承和改进润滑，效果有限。")
    await visitor.say("跳过")
    await visitor.say("李四")
    step = await visitor.say("13700001111")
    step = await visitor.press(step, texts.SURVEY_AGREE)
    return await visitor.press(step, texts.SURVEY_CONFIRM)


async def test_after_the_survey_the_owner_sees_relevant_specialists_and_asks_for_one(site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from store.validators import credit_code_check_char
    from tests.handlers.test_matching import SPINDLE, VEGETABLES, import_rows

    await import_rows(site.bot, tmp_path, SPINDLE + [{**VEGETABLES, "phone": "13800000000"}])
    await site.bot.say(STAFF, "/campaign open 2026")
    owner = site.visitor()
    submitted = await fill_survey(owner, "济南智造科技有限公司", "91370100MA3C5QXX1" + credit_code_check_char("91370100MA3C5QXX1"))
    shown = submitted["suggestions"]
    names = [item["name"] for item in shown["items"]]
    assert shown["text"].startswith("🤝") and "<b>" not in shown["text"]
    assert set(names) <= {"邱明", "褚亮"} and names  # the vegetable grower shares a label, not the knowledge
    assert all("138" not in str(item) for item in shown["items"]) and all(item["reason"] for item in shown["items"])

    staff_before = len(site.bot.emu.messages(STAFF))
    first = shown["items"][0]
    asked = await owner.post("/api/request", {"specialist": first["id"]})
    assert asked.json()["text"] == texts.WEB_REQUEST_OUTCOMES["sent"]
    note = await site.bot.emu.wait_for_message(STAFF, "对接请求", after=staff_before)
    assert first["name"] in note.plain_text and "济南智造科技有限公司" in note.plain_text
    again = await owner.post("/api/request", {"specialist": first["id"]})
    assert again.json()["text"] == texts.WEB_REQUEST_OUTCOMES["already"]
    # Someone who submitted nothing cannot ask for anyone.
    stranger = site.visitor(address="198.51.100.9")
    await stranger.open()
    refused = await stranger.post("/api/request", {"specialist": first["id"]})
    assert refused.json()["text"] == texts.WEB_REQUEST_OUTCOMES["stale"]


@pytest.mark.parametrize("value", ["0", "abc", "1.5"])
def test_settings_refuse_bad_values_naming_them(tmp_path, value: str) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import SettingsError
    from bot.web.config import load_web_config

    with pytest.raises(SettingsError, match="TEPAI_WEB_SESSION_LIMIT"):
        load_web_config(tmp_path, {"TEPAI_WEB_SESSION_LIMIT": value})


def test_the_generated_secret_is_kept_private_and_reused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import SettingsError
    from bot.web.config import load_web_config

    first = load_web_config(tmp_path, {})
    assert (tmp_path / "web-secret").stat().st_mode & 0o777 == 0o600
    assert load_web_config(tmp_path, {}).secret == first.secret and len(first.secret) >= 32
    with pytest.raises(SettingsError, match="TEPAI_WEB_SECRET"):
        load_web_config(tmp_path, {"TEPAI_WEB_SECRET": "short"})
    with pytest.raises(SettingsError, match="TEPAI_WEB_FRAME_ANCESTORS"):
        load_web_config(tmp_path, {"TEPAI_WEB_FRAME_ANCESTORS": "https://a.example; script-src *"})
    with pytest.raises(SettingsError, match="TEPAI_WEB_TRUSTED_PROXIES"):
        load_web_config(tmp_path, {"TEPAI_WEB_TRUSTED_PROXIES": "proxy.local"})


async def test_cancel_pauses_the_survey_so_a_question_is_a_question_and_survey_resumes(site: Site) -> None:
    await site.bot.say(STAFF, "/campaign open 2026")
    owner = site.visitor()
    await owner.open()
    await owner.post("/api/survey", {})
    await owner.say("济南智造科技有限公司")
    assert (await owner.say("/cancel"))["text"] == texts.SURVEY_PAUSED
    state = await owner.open()
    assert state["survey_paused"] and not state["survey_active"]
    answer = await owner.say(IN_SCOPE)
    assert answer["kind"] == "answer" and answer["answered"]  # not taken as a credit code
    resumed = await owner.say("/survey")
    assert resumed["kind"] == "survey" and "2/11" in resumed["text"]
    assert (await owner.say("/cancel"))["text"] == texts.SURVEY_PAUSED
    assert (await owner.say("/cancel"))["text"] == texts.WEB_NOTHING_TO_CANCEL


async def test_an_internal_failure_is_a_chinese_apology_and_the_detail_is_logged(site: Site, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def broken(question: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("index generation vanished: /data/index/gen-7")

    monkeypatch.setattr(site.bot.services.answerer, "answer", broken)
    owner = site.visitor(raise_errors=False)
    await owner.open()
    response = await owner.post("/api/send", {"text": IN_SCOPE})
    assert response.status_code == 500 and response.json()["text"] == texts.WEB_ERRORS["internal"]
    assert "gen-7" not in response.text and "Traceback" not in response.text
    assert any("gen-7" in (r.exc_text or "") or "gen-7" in str(r.exc_info) for r in caplog.records)


async def test_the_bureau_site_named_in_frame_ancestors_may_embed_the_page(emulator, policy_kb, database_url,  # type: ignore[no-untyped-def]
                                                                          tmp_path) -> None:
    site = await open_site(emulator, policy_kb, database_url, tmp_path / "data",
                           TEPAI_WEB_FRAME_ANCESTORS="https://kjj.jinan.gov.cn")
    try:
        page = await site.visitor().client.get("/")
        assert "frame-ancestors https://kjj.jinan.gov.cn" in page.headers["content-security-policy"]
        assert "x-frame-options" not in page.headers
    finally:
        await close_site(site)
