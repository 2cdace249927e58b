"""Lead numbers as people type them become E.164 with a kind, or a clear error (DIAL-1)."""

from __future__ import annotations

import pytest

from app.dialer.numbers import NumberError, NumberKind, normalize

pytestmark = pytest.mark.feature("DIAL-1")


def _full_width(ascii_text: str) -> str:
    """What a Chinese IME in full-width mode types: U+FF01..U+FF5E for ASCII 0x21..0x7E."""
    return "".join(chr(ord(c) + 0xFEE0) for c in ascii_text)


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "+8613800138000",
        "0086 13800138000",
        "008613800138000",
        "8613800138000",
        "86 138 0013 8000",
        "(+86) 138.0013.8000",
        _full_width("13800138000"),  # full-width digits from a Chinese IME
        _full_width("+86") + "\u3000" + _full_width("138-0013-8000"),  # ideographic space
        "tel:+86-138-0013-8000",
        " 138\u00a00013\u00a08000 ",
    ],
)
def test_mainland_mobile_in_every_common_format(raw: str) -> None:
    number = normalize(raw)
    assert number.e164 == "+8613800138000"
    assert number.kind is NumberKind.MOBILE
    assert number.carrier == "China Mobile"


@pytest.mark.parametrize(
    ("raw", "e164", "region"),
    [
        ("010-6552-9988", "+861065529988", "Beijing"),
        ("(010) 65529988", "+861065529988", "Beijing"),
        ("+86 10 6552 9988", "+861065529988", "Beijing"),
        ("+86 (0)10 6552 9988", "+861065529988", "Beijing"),
        ("0086-10-65529988", "+861065529988", "Beijing"),
        ("021-5466 1234", "+862154661234", "Shanghai"),
        ("020 8888 6666", "+862088886666", "Guangzhou"),
        ("0755-2660-1234", "+8675526601234", "Shenzhen"),
        ("0571 8702 1234", "+8657187021234", "Hangzhou"),
        ("0912-321 4567", "+869123214567", None),  # 3-digit area, 7-digit local, no city hint
        (_full_width("021-54661234"), "+862154661234", "Shanghai"),
    ],
)
def test_mainland_fixed_lines_with_area_codes(raw: str, e164: str, region: str | None) -> None:
    number = normalize(raw)
    assert (number.e164, number.kind, number.region) == (e164, NumberKind.FIXED, region)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [("400-810-8888", "+864008108888"), ("800 820 8820", "+868008208820"),
     ("+86 400 810 8888", "+864008108888")],
)  # fmt: skip
def test_400_and_800_service_numbers(raw: str, e164: str) -> None:
    number = normalize(raw)
    assert (number.e164, number.kind) == (e164, NumberKind.SERVICE)


@pytest.mark.parametrize(
    ("raw", "e164", "cc"),
    [
        ("+1 (415) 555-0100", "+14155550100", "1"),
        ("001 415 555 0100", "+14155550100", "1"),
        ("+44 (0)20 7946 0958", "+442079460958", "44"),
        ("+852 2123 4567", "+85221234567", "852"),  # Hong Kong: its own country code
        ("+886 2 2345 6789", "+886223456789", "886"),
        ("+49 30 901820", "+4930901820", "49"),
        ("+81 3-1234-5678", "+81312345678", "81"),
        ("+39 06 1234 5678", "+390612345678", "39"),  # Italy keeps its leading 0
    ],
)
def test_other_countries_need_their_code_and_become_e164(raw: str, e164: str, cc: str) -> None:
    number = normalize(raw)
    assert (number.e164, number.kind, number.country_code) == (
        e164,
        NumberKind.INTERNATIONAL,
        cc,
    )


def test_a_default_country_other_than_china_reads_national_numbers() -> None:
    assert normalize("020 7946 0958", default_country="44").e164 == "+442079460958"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("138001380001", "bad_length"),  # 12 digits
        ("1380013800", "bad_length"),  # 10 digits
        ("65529988", "missing_area_code"),  # a Beijing local number without 010
        ("010-6552-998", "bad_length"),  # Beijing locals have 8 digits
        ("021-0466-1234", "bad_length"),  # local numbers start 2-9
        ("0755-266", "bad_length"),
        ("12345", "bad_number"),
        ("138-0013-800O", "bad_character"),  # letter O typed for zero
        ("13800138000 ext 12", "bad_character"),
        ("+1 415 555 010", "bad_length"),
        ("+1 015 555 0100", "bad_length"),  # NANP area codes start 2-9
        ("+0 123456789", "bad_country_code"),
        ("+99 1234567", "bad_country_code"),
        ("+44 1", "bad_length"),
        ("+49 1234 5678 9012 345", "bad_length"),  # 16 digits
    ],
)
def test_bad_numbers_give_a_reason_and_a_readable_message(raw: str, reason: str) -> None:
    with pytest.raises(NumberError) as caught:
        normalize(raw)
    assert caught.value.reason == reason
    assert repr(raw) in str(caught.value)


def test_carrier_hints_for_the_three_big_mobile_networks() -> None:
    assert normalize("18612345678").carrier == "China Unicom"
    assert normalize("18912345678").carrier == "China Telecom"
    assert normalize("13912345678").carrier == "China Mobile"
