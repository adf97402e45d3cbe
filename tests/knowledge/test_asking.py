"""The part of a question that asks, told apart from the owner's story before it."""

from __future__ import annotations

import pytest

from knowledge.asking import MIN_ASK, ask_segment


@pytest.mark.parametrize("question, ask", [
    # A story, then the question: the question.
    ("我们是做工业软件的，成立三年，去年营收两千万出头，今年准备报高企。想问一下，研发人员的占比最低要多少？",
     "研发人员的占比最低要多少？"),
    # The last part with a cue, even when a remark follows it.
    ("合同里写了验收后付款，验收都过了半年还不给钱，这合法吗？真是头疼。", "验收都过了半年还不给钱，这合法吗？"),
    # A yes-no question that ends in 不 (犯法不, 行不) asks too.
    ("公司准备给客户返点，走账上写清楚，犯法不", "公司准备给客户返点，走账上写清楚，犯法不"),
    # One part: the whole question.
    ("高企资格有效期几年", "高企资格有效期几年"),
])
def test_the_ask_is_the_last_part_that_asks(question: str, ask: str) -> None:
    assert ask_segment(question) == ask


def test_a_short_ask_takes_the_part_before_it() -> None:
    # "多久？" alone says nothing of what is asked about.
    question = "我们在省里的平台投诉了拖欠的货款，多久？"
    ask = ask_segment(question)
    assert ask.endswith("多久？") and "拖欠的货款" in ask and len(ask) >= MIN_ASK


def test_without_a_cue_the_last_part_is_the_ask() -> None:
    assert ask_segment("我们去年营收三千万。研发投入占比百分之六。科技人员占比百分之十二") == "研发投入占比百分之六。科技人员占比百分之十二"


def test_alone_the_asking_part_says_what_kind_of_answer_is_wanted() -> None:
    question = "想给几个技术骨干发点股权，国家鼓励吗？"
    assert ask_segment(question, min_chars=0) == "国家鼓励吗？"
    assert "几个" in ask_segment(question)  # for the words to find, the short ask keeps its context
