"""CRM-4: how articles are indexed and queries matched, Chinese (no spaces) and English."""

from __future__ import annotations

import pytest

from app.crm import search_text as st

pytestmark = pytest.mark.feature("CRM-4")


def test_chinese_runs_give_characters_and_pairs_english_gives_words() -> None:
    tokens = st.index_tokens("如何申请退款", "Refund policy")
    assert tokens.split() == sorted(
        {"如", "何", "申", "请", "退", "款", "如何", "何申", "申请", "请退", "退款"}
        | {"refund", "policy"}
    )


def test_a_two_character_word_is_one_lookup_and_longer_words_all_their_pairs() -> None:
    assert st.term_tsquery("退款") == "'退款'"
    assert st.term_tsquery("款") == "'款'"
    assert st.term_tsquery("物流查询") == "'物流' & '流查' & '查询'"
    assert st.term_tsquery("Refund") == "'refund':*"
    assert st.term_tsquery("VIP会员") == "'vip':* & '会员'"


def test_query_terms_split_on_spaces_lowercased_without_punctuation_only_terms() -> None:
    assert st.query_terms("  退款  Refund refund ... ") == ["退款", "refund"]
    assert len(st.query_terms(" ".join(f"w{i}" for i in range(20)))) == st.MAX_TERMS


def test_like_patterns_escape_wildcards() -> None:
    assert st.like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_quotes_cannot_break_out_of_a_lexeme() -> None:
    # Only letters and digits become tokens: punctuation and quotes are separators.
    assert st.term_tsquery("it's") == "'it':* & 's':*"


def test_excerpt_is_cut_around_the_first_term() -> None:
    body = "前言" * 100 + "客户要求退款时，先核对订单号。" + "附录" * 100  # noqa: RUF001
    piece = st.excerpt(body, ["退款"])
    assert "退款" in piece and piece.startswith("…") and piece.endswith("…")
    assert st.excerpt("short", []) == "short"
