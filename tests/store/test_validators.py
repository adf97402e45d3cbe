"""Survey validators: credit codes (GB 32100-2015), mobile numbers, names and free text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import validators as v
from store.validators import (
    CREDIT_CODE_CHARSET,
    ValidationError,
    bounded_text,
    credit_code_check_char,
    enterprise_name,
    mobile_phone,
    optional_text,
    registry_number,
    unified_credit_code,
)

# Published codes; each one's 18th character agrees with credit_code_check_char, which a
# wrong algorithm would match only by a 1-in-31 accident per code.
REAL_CODES = {
    "91350100M000100Y43": "example code with a letter in the 主体标识码",
    "914403001922038216": "华为技术有限公司",
    "9144030071526726XG": "腾讯科技（深圳）有限公司",
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "91110000710925462X": "中国石油天然气股份有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91110000802100433B": "百度在线网络技术（北京）有限公司",
}

CATEGORIES = {"1": "1239", "5": "1239", "9": "123", "Y": "1"}
charset_char = st.sampled_from(CREDIT_CODE_CHARSET)


@st.composite
def valid_first17(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(CATEGORIES)))
    category = draw(st.sampled_from(CATEGORIES[authority]))
    region = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
    subject = "".join(draw(st.lists(charset_char, min_size=9, max_size=9)))
    return authority + category + region + subject


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def error_of(func, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        func(*args, **kwargs)
    assert caught.value.message == str(caught.value)
    return caught.value.message


# --------------------------------------------------------------------------- credit code: examples


def test_check_weights_are_powers_of_three_mod_31() -> None:
    assert list(v._CHECK_WEIGHTS) == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert len(CREDIT_CODE_CHARSET) == 31 and not set("IOZSV") & set(CREDIT_CODE_CHARSET)


@pytest.mark.parametrize("code", sorted(REAL_CODES))
def test_published_codes_are_accepted_and_their_check_char_is_reproduced(code: str) -> None:
    assert credit_code_check_char(code[:17]) == code[17]
    assert unified_credit_code(code) == code


@pytest.mark.parametrize("typed", [
    " 91350100m000100y43 ",
    "9135 0100 M000 100Y 43",
    "91350100-M000100Y4-3",
    "９１３５０１００Ｍ０００１００Ｙ４３",
    "９１３５０１００ｍ０００１００ｙ４３\n",
    "91350100M000100Y43\u3000",
])
def test_credit_code_is_normalised_before_checking(typed: str) -> None:
    assert unified_credit_code(typed) == "91350100M000100Y43"


def test_wrong_check_char_names_the_expected_one() -> None:
    # 911100001000095021 looks plausible but its check character must be D.
    assert credit_code_check_char("91110000100009502") == "D"
    message = error_of(unified_credit_code, "911100001000095021")
    assert "信用代码第18位校验码应为 D" in message and "您输入的是 1" in message
    assert unified_credit_code("91110000100009502D") == "91110000100009502D"


def test_a_typo_inside_a_real_code_is_reported_through_the_check_char() -> None:
    message = error_of(unified_credit_code, "914403001922038226")  # 华为 with one digit mistyped
    assert f"应为 {credit_code_check_char('91440300192203822')}" in message
    assert "逐位核对" in message


@pytest.mark.parametrize(("typed", "count"), [("91350100M000100Y4", 17), ("91350100M000100Y433", 19), ("9", 1)])
def test_wrong_length_states_the_count_and_the_18_needed(typed: str, count: int) -> None:
    message = error_of(unified_credit_code, typed)
    assert "应为 18 位" in message and f"您输入了 {count} 位" in message


def test_length_counts_without_separators_and_says_so() -> None:
    message = error_of(unified_credit_code, "9135-0100-M000-100Y")
    assert "您输入了 16 位（不计空格和短横线）" in message


def test_old_fifteen_digit_registration_number_is_explained() -> None:
    message = error_of(unified_credit_code, "110108012345678")
    assert "您输入了 15 位" in message and "旧版工商注册号" in message


def test_letter_o_is_named_and_the_unused_letters_are_listed() -> None:
    message = error_of(unified_credit_code, "91350100M000100Y4O")
    assert "「O」" in message and "I、O、Z、S、V" in message and "数字 0" in message


def test_lowercase_unused_letter_is_reported_uppercased() -> None:
    message = error_of(unified_credit_code, "9135010OM000100Y43".lower())
    assert "「O」" in message


def test_chinese_text_instead_of_a_code_names_the_characters() -> None:
    message = error_of(unified_credit_code, "不知道")
    assert "「不」、「知」、「道」" in message


def test_empty_credit_code_asks_for_one() -> None:
    assert "18 位统一社会信用代码" in error_of(unified_credit_code, "   ")
    assert "18 位统一社会信用代码" in error_of(unified_credit_code, None)


@pytest.mark.parametrize("first", ["0", "B", "C", "X"])
def test_bad_registration_authority_in_position_1(first: str) -> None:
    first17 = first + "1350100M000100Y4"
    message = error_of(unified_credit_code, first17 + credit_code_check_char(first17))
    assert "第 1 位" in message and f"「{first}」" in message and "1–9" in message


@pytest.mark.parametrize("first", list("12345678ANY"))
def test_other_registration_authorities_in_circulation_are_accepted(first: str) -> None:
    first17 = first + "1110000MA0000001"
    assert unified_credit_code(first17 + credit_code_check_char(first17)) == first17 + credit_code_check_char(first17)


def test_position_2_is_lenient() -> None:
    first17 = "9Y350100M000100Y4"
    assert unified_credit_code(first17 + credit_code_check_char(first17)).startswith("9Y")


def test_region_code_must_be_six_digits() -> None:
    first17 = "913501A0M000100Y4"
    message = error_of(unified_credit_code, first17 + credit_code_check_char(first17))
    assert "第 3–8 位" in message and "「3501A0」" in message and "6 位数字" in message


def test_gb_11714_check_char_in_position_17_is_not_enforced() -> None:
    # Same 主体标识码 with a different last character: only the 18th character is checked.
    for last in "0AY":
        first17 = "91350100M000100" + "Y" + last
        code = first17 + credit_code_check_char(first17)
        assert unified_credit_code(code) == code


@pytest.mark.parametrize("bad", ["9135010", "91350100M000100Y4O", "91350100m000100y4", "91350100M000100Y433"])
def test_check_char_function_rejects_anything_but_17_charset_characters(bad: str) -> None:
    with pytest.raises(ValueError):
        credit_code_check_char(bad)


# --------------------------------------------------------------------------- credit code: properties


@settings(max_examples=200, deadline=None)
@given(valid_first17(), st.sampled_from(["lower", "full", "pad", "split"]))
def test_any_structured_prefix_plus_its_check_char_is_accepted_in_any_spelling(first17: str, spelling: str) -> None:
    code = first17 + credit_code_check_char(first17)
    assert unified_credit_code(code) == code
    typed = {
        "lower": code.lower(),
        "full": full_width(code.lower()),
        "pad": f"  \t{code}\u3000\n",
        "split": f"{code[:6]} {code[6:12]}-{code[12:]}",
    }[spelling]
    assert unified_credit_code(typed) == code


@settings(max_examples=200, deadline=None)
@given(valid_first17())
def test_every_single_character_substitution_is_rejected(first17: str) -> None:
    code = first17 + credit_code_check_char(first17)
    for position in range(18):
        for replacement in CREDIT_CODE_CHARSET:
            if replacement == code[position]:
                continue
            mutated = code[:position] + replacement + code[position + 1:]
            with pytest.raises(ValidationError):
                unified_credit_code(mutated)


@settings(max_examples=200, deadline=None)
@given(valid_first17(), charset_char)
def test_a_wrong_check_char_message_names_the_right_one(first17: str, typed_check: str) -> None:
    expected = credit_code_check_char(first17)
    if typed_check == expected:
        assert unified_credit_code(first17 + typed_check) == first17 + expected
    else:
        assert f"信用代码第18位校验码应为 {expected}" in error_of(unified_credit_code, first17 + typed_check)


# --------------------------------------------------------------------------- mobile phone


@pytest.mark.parametrize("typed", [
    "13800138000", " 138 0013 8000 ", "138-0013-8000", "+86 138 0013 8000", "+86-13800138000",
    "8613800138000", "0086 13800138000", "(+86) 138 0013 8000", "１３８００１３８０００", "＋８６　１３８００１３８０００",
])
def test_mobile_numbers_in_common_spellings(typed: str) -> None:
    assert mobile_phone(typed) == "13800138000"


def test_mobile_with_letters_names_them() -> None:
    message = error_of(mobile_phone, "138oo138000")
    assert "只能包含数字" in message and "「o」" in message


@pytest.mark.parametrize(("typed", "count"), [("1380013800", 10), ("138001380001", 12), ("+86 1380013800", 10)])
def test_mobile_wrong_length_states_the_count(typed: str, count: int) -> None:
    message = error_of(mobile_phone, typed)
    assert "应为 11 位" in message and f"您输入了 {count} 位" in message


def test_mobile_length_after_prefix_says_the_prefix_was_not_counted() -> None:
    assert "（不含 +86 国际区号）" in error_of(mobile_phone, "+86 1380013800")


@pytest.mark.parametrize("typed", ["12800138000", "10012345678", "23800138000", "91350100123"])
def test_mobile_wrong_prefix(typed: str) -> None:
    message = error_of(mobile_phone, typed)
    assert "以 1 开头、第 2 位为 3–9" in message and typed in message


def test_landline_gets_a_hint() -> None:
    assert "固定电话" in error_of(mobile_phone, "010-12345678")
    assert "固定电话" in error_of(mobile_phone, "0531-88886666")


def test_foreign_country_code_is_refused() -> None:
    assert "中国大陆手机号" in error_of(mobile_phone, "+852 9123 4567")


def test_empty_mobile() -> None:
    assert "11 位手机号" in error_of(mobile_phone, "")


mobile = st.builds(lambda second, rest: "1" + second + rest,
                   st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))


@settings(max_examples=200, deadline=None)
@given(mobile, st.sampled_from(["", "+86", "86", "0086", "+86 ", "0086-", "＋８６"]),
       st.lists(st.tuples(st.integers(0, 11), st.sampled_from([" ", "-", "  ", "\u3000"])), max_size=4),
       st.booleans())
def test_any_valid_mobile_round_trips_whatever_the_prefix_and_spacing(
        number: str, prefix: str, separators: list[tuple[int, str]], fullwidth: bool) -> None:
    typed = number
    for position, separator in sorted(separators, reverse=True):
        typed = typed[:position] + separator + typed[position:]
    typed = prefix + (full_width(typed) if fullwidth else typed)
    assert mobile_phone(f" {typed} ") == number


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=10, max_size=10) | st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_ten_or_twelve_digit_string_is_rejected_mentioning_11(digits: str) -> None:
    assert "11 位" in error_of(mobile_phone, digits)


# --------------------------------------------------------------------------- enterprise name


def test_name_is_stripped_and_spaces_between_chinese_characters_removed() -> None:
    assert enterprise_name("  济南 某某 科技\n有限公司  ") == "济南某某科技有限公司"


def test_name_brackets_become_full_width_and_letters_half_width() -> None:
    assert enterprise_name("华为技术(深圳)有限公司") == "华为技术（深圳）有限公司"
    assert enterprise_name("华为技术 （深圳） 有限公司") == "华为技术（深圳）有限公司"
    assert enterprise_name("ＡＢＣ　科技有限公司") == "ABC 科技有限公司"


def test_latin_name_keeps_single_spaces() -> None:
    assert enterprise_name("Shandong   Example  Tech Co., Ltd.") == "Shandong Example Tech Co., Ltd."


@pytest.mark.parametrize("typed", ["🚀🚀🚀", "😀 👍", "？？！", "……——", "12345"])
def test_name_without_chinese_or_letters_is_rejected(typed: str) -> None:
    assert "需要包含汉字或字母" in error_of(enterprise_name, typed)


def test_name_with_emoji_and_text_is_kept() -> None:
    assert enterprise_name("星火🚀科技") == "星火🚀科技"


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\u202e"])
def test_name_with_control_characters_is_rejected(bad: str) -> None:
    message = error_of(enterprise_name, f"某某{bad}科技有限公司")
    assert "控制字符" in message and f"U+{ord(bad):04X}" in message


def test_name_length_boundaries() -> None:
    assert enterprise_name("华为") == "华为"
    assert enterprise_name("企" * 60) == "企" * 60
    short = error_of(enterprise_name, "华")
    assert "至少 2 个字" in short and "现在 1 个字" in short
    long = error_of(enterprise_name, "企" * 61)
    assert "最多 60 个字" in long and "现在 61 个字" in long


def test_empty_name_states_the_limits() -> None:
    assert "2–60 个字" in error_of(enterprise_name, " \n ")


# --------------------------------------------------------------------------- free text


def test_description_too_short_message_matches_the_survey_wording() -> None:
    assert error_of(bounded_text, "想找人帮忙做检测", field="需求描述", min_len=20, max_len=1000) == (
        "需求描述至少 20 字（现在 8 字），请再具体一些：遇到什么问题、已经尝试过什么。")


def test_description_too_long_message_matches_the_survey_wording() -> None:
    assert error_of(bounded_text, "字" * 1234, field="需求描述", min_len=20, max_len=1000) == (
        "需求描述最多 1000 字（现在 1234 字），请精简。")


def test_description_length_boundaries() -> None:
    for count in (20, 1000):
        assert bounded_text("字" * count, field="需求描述", min_len=20, max_len=1000) == "字" * count
    assert "现在 19 字" in error_of(bounded_text, "字" * 19, field="需求描述", min_len=20, max_len=1000)
    assert "现在 1001 字" in error_of(bounded_text, "字" * 1001, field="需求描述", min_len=20, max_len=1000)


def test_other_fields_get_a_generic_hint_and_a_custom_one_wins() -> None:
    assert error_of(bounded_text, "A", field="主导产品", min_len=2, max_len=200) == (
        "主导产品至少 2 字（现在 1 字），请补充完整。")
    assert error_of(bounded_text, "A", field="主导产品", min_len=2, max_len=200, hint="写出产品名称") == (
        "主导产品至少 2 字（现在 1 字），请再具体一些：写出产品名称。")


def test_text_control_characters_are_dropped_and_newlines_kept() -> None:
    typed = "  第一行\x00\x07  有    多个   空格\r\n第二行\t\t结束\u200b\n\n\n\n第三段  "
    assert bounded_text(typed, field="需求描述", min_len=1, max_len=100) == "第一行 有 多个 空格\n第二行 结束\n\n第三段"


def test_padding_does_not_count_towards_the_minimum() -> None:
    message = error_of(bounded_text, "  短  \n\n  ", field="需求描述", min_len=20, max_len=1000)
    assert "现在 1 字" in message


def test_full_width_punctuation_in_free_text_is_preserved() -> None:
    typed = "我们的问题：检测设备不足，怎么办？"
    assert bounded_text(typed, field="需求描述", min_len=2, max_len=100) == typed


def test_bad_bounds_are_a_programming_error() -> None:
    with pytest.raises(ValueError) as caught:
        bounded_text("abc", field="x", min_len=5, max_len=2)
    assert not isinstance(caught.value, ValidationError)


@pytest.mark.parametrize("typed", ["", "   ", "无", "跳过", "-", "－", "无。", "没有", None, "\x00"])
def test_optional_text_skips(typed: str | None) -> None:
    assert optional_text(typed, field="期望的特派员", max_len=200) is None


def test_optional_text_keeps_an_answer_and_limits_it() -> None:
    assert optional_text("  高校  教授 ", field="期望的特派员", max_len=200) == "高校 教授"
    assert optional_text("A", field="期望的特派员", max_len=200) == "A"
    assert error_of(optional_text, "字" * 201, field="期望的特派员", max_len=200) == (
        "期望的特派员最多 200 字（现在 201 字），请精简。")


# --------------------------------------------------------------------------- registry number


@pytest.mark.parametrize("typed", ["", "  ", "无", "跳过", None])
def test_registry_number_is_optional(typed: str | None) -> None:
    assert registry_number(typed) is None


@pytest.mark.parametrize(("typed", "expected"), [
    ("202437010500001234", "202437010500001234"),
    (" 2024 3701 0500 0012 34 ", "202437010500001234"),
    ("２０２４３７０１０５０００ｓ１２３４", "2024370105000S1234"),
    ("2024-3701-05-00001234", "2024-3701-05-00001234"),
    ("2024－3701－0500001234", "2024-3701-0500001234"),
    ("1234567890", "1234567890"),
    ("1" * 30, "1" * 30),
])
def test_registry_number_is_normalised(typed: str, expected: str) -> None:
    assert registry_number(typed) == expected


@pytest.mark.parametrize(("typed", "count"), [("123456789", 9), ("1" * 31, 31)])
def test_registry_number_length_is_stated(typed: str, count: int) -> None:
    message = error_of(registry_number, typed)
    assert "10–30 位" in message and f"现在 {count} 位" in message and "“无”" in message


def test_registry_number_with_other_characters_names_them() -> None:
    message = error_of(registry_number, "编号2024370105000012")
    assert "「编」、「号」" in message and "字母、数字和短横线" in message


def test_registry_number_needs_digits() -> None:
    assert "应包含数字" in error_of(registry_number, "ABCDEFGHIJK")


# --------------------------------------------------------------------------- module surface


def test_exports() -> None:
    assert set(v.__all__) == {
        "CREDIT_CODE_CHARSET", "ValidationError", "bounded_text", "credit_code_check_char", "enterprise_name",
        "mobile_phone", "optional_text", "registry_number", "unified_credit_code", "unreadable_reason",
    }
    assert all(callable(getattr(v, name)) for name in v.__all__ if name != "CREDIT_CODE_CHARSET")
    assert issubclass(ValidationError, ValueError) and ValidationError("请重试").message == "请重试"
