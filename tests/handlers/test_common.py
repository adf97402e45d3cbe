from __future__ import annotations

from handlers.common import well_formed_callback


def test_a_proposal_digest_that_happens_to_be_all_digits_is_still_a_button_the_bot_made() -> None:
    # 10 hex characters are all decimal digits about once in a hundred proposals.
    assert well_formed_callback("as:ok:2026:9999999999")
    assert well_formed_callback("as:ok:2026:3fa9c01b7e")


def test_forged_shapes_are_refused() -> None:
    for data in ("fb:u", "mq:²", "mq:12345678901234567890123", "sp:ok:" + "9" * 12, "", "x" * 70):
        assert well_formed_callback(data) is (data == "fb:u"), data  # fb:u has the shape; its handler refuses it
