"""The texts' one markup, neutral emphasis, and how the Telegram channel renders it: a person's
name or a document title shows exactly as typed, whatever asterisks, tags or backslashes it holds."""

from __future__ import annotations

from bot.render import html
from core import texts
from core.campaigns import campaign_year
from core.markup import Marked, bold, fmt, join, lit, plain, spans


def test_a_template_s_emphasis_becomes_bold_and_values_are_escaped_for_telegram() -> None:
    rendered = html(texts.MEMBERS_HEADER, enterprise="<济南**智造**> & Co", code="9137\\0100")
    assert rendered == "<b>&lt;济南**智造**&gt; &amp; Co</b>（9137\\0100）\n<b>已验证人员</b>："


def test_values_never_turn_into_emphasis_and_marked_pieces_keep_theirs() -> None:
    who = fmt("**{name}**", name="张*三**")
    assert isinstance(who, Marked) and list(spans(who)) == [("张*三**", True)]
    outer = fmt("{who} 已加入 {enterprise}", who=who, enterprise="**冒充**")
    assert html(outer) == "<b>张*三**</b> 已加入 **冒充**"
    assert plain(join("\n", [bold("标题"), lit("a\\*b")])) == "标题\na\\*b"


def test_an_unclosed_emphasis_runs_to_the_end_and_still_renders_valid_html() -> None:
    assert html("**未闭合") == "<b>未闭合</b>"
    assert plain("前**后") == "前后"


def test_every_templated_text_renders_to_balanced_telegram_html() -> None:
    from bot.emulator.formatting import parse_html

    for name, value in vars(texts).items():
        values = value.values() if isinstance(value, dict) else [value]
        for text in values:
            if isinstance(text, str) and "**" in text:
                parse_html(html(text))  # raises on anything Telegram would refuse


def test_one_campaign_year_rule() -> None:
    assert [campaign_year(raw) for raw in ("2026", " 2027 ", "２０２６", "1999", "2101", "26", "二〇二六", "2026a", "")] == [
        2026, 2027, 2026, None, None, None, None, None, None]
