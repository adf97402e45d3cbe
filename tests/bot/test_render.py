from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.emulator import parse_formatted
from bot.render import TELEGRAM_LIMIT, answer_html, esc, split_message
from knowledge.answers import Answer, Citation


def test_document_and_user_text_is_escaped() -> None:
    citation = Citation(doc="<b>方案</b> & 细则", section="一、<i>目标</i>", text="a < b && c > d", score=0.9, draft=True)
    html = answer_html(Answer("q", True, [citation], 0.9, 0.9))
    assert "&lt;b&gt;方案&lt;/b&gt; &amp; 细则" in html and "a &lt; b &amp;&amp; c &gt; d" in html
    plain, _ = parse_formatted(html, "HTML")  # Telegram would accept it
    assert "a < b && c > d" in plain and "征求意见稿" in plain


def test_a_long_reply_is_split_at_sentence_ends_within_the_limit() -> None:
    sentence = "对特派员在企业中转化的科技成果给予财政补助。"
    text = "<b>答复</b>\n" + "<blockquote>" + sentence * 600 + "</blockquote>"
    pieces = split_message(text)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= TELEGRAM_LIMIT
        parse_formatted(piece, "HTML")  # every piece parses on its own (tags closed and reopened)
    body = re.sub(r"</?[a-z]+>", "", "".join(pieces))
    assert body.replace("\n", "") == re.sub(r"</?[a-z]+>", "", text).replace("\n", "")
    assert all(re.sub(r"</?[a-z]+>", "", p).rstrip().endswith("。") for p in pieces[:-1])


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("特派员补助。；，<>&\"' ab\n😀")), min_size=0, max_size=9000))
def test_any_escaped_text_splits_into_valid_telegram_messages(raw: str) -> None:
    text = esc(raw)
    pieces = split_message(text)
    assert all(len(p) <= TELEGRAM_LIMIT for p in pieces)
    for piece in pieces:
        parse_formatted(piece, "HTML")
    if raw.strip():
        joined = "".join(parse_formatted(p, "HTML")[0] for p in pieces)
        assert joined.replace("\n", "").replace(" ", "") == raw.replace("\n", "").replace(" ", "")
