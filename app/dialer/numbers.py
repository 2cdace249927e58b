"""Phone numbers as people type them -> E.164, with what kind of line it is (DIAL-1).

Lead lists arrive from spreadsheets and CRMs in every shape: `138 0013 8000`, `+86-138-0013-8000`,
`0086 13800138000`, `(010) 6552-9988`, full-width digits (U+FF10-U+FF19), `tel:+1 415 555 0100`.
`normalize()` turns one of them into an E.164 string (ITU-T E.164; `+` then at most 15 digits)
plus its kind, or raises `NumberError` with a reason a tenant admin can act on.

Mainland China (country code 86) is checked closely, because it is where our customers dial:
- mobile: 11 digits `1[3-9]x xxxx xxxx`; the carrier is a cheap hint from the 3-digit prefix
  (numbers move between carriers since 2019 portability, so it is only a hint);
- fixed line: trunk prefix `0`, area code (`10` Beijing, `2x` big cities, else 3 digits), and a
  7 or 8 digit local number that starts with 2-9. Without its area code a fixed number cannot be
  dialled from a trunk in another city, so it is an error, not a guess;
- `400`/`800` national service numbers (10 digits);
- with `+86`, `0086` or a bare `86` prefix; `+86 (0)10 ...` keeps working (the `0` is the
  national trunk prefix, dropped in international form).
Other countries need their country code (`+` or `00`): we check the code is assigned and the
length fits E.164; NANP numbers (`+1`) get their 10-digit shape checked too. No full numbering
plan per country: that is what libphonenumber is for, should we ever need it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class NumberKind(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"  # landline
    SERVICE = "service"  # China 400 / 800
    INTERNATIONAL = "international"  # another country; kind within it not known


class NumberError(ValueError):
    """A number that cannot be dialled; `reason` is a stable code, str() a sentence."""

    def __init__(self, raw: str, reason: str, message: str) -> None:
        super().__init__(f"{raw!r}: {message}")
        self.raw = raw
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    e164: str  # "+8613800138000"
    kind: NumberKind
    country_code: str  # "86"
    national: str  # digits after the country code, without trunk prefix: "13800138000"
    region: str | None = None  # city for Chinese fixed lines with a well-known area code
    carrier: str | None = None  # hint for Chinese mobiles, from the prefix


# ITU-T E.164 assigned country codes of one and two digits; every other code has three digits.
_CC1 = {"1", "7"}
_CC2 = {
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
    "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
}  # fmt: skip
# Three-digit codes never start with these first two digits (those ranges are two-digit codes
# or spare); a cheap plausibility check rather than the whole ITU list.
_CC3_SPARE_PREFIXES = {"28", "80", "83", "87", "89", "99"}
_CC3_ALLOWED = {"800", "808", "870", "878", "881", "882", "883", "888", "979"}

_AREA_CITIES = {
    "10": "Beijing", "20": "Guangzhou", "21": "Shanghai", "22": "Tianjin", "23": "Chongqing",
    "24": "Shenyang", "25": "Nanjing", "27": "Wuhan", "28": "Chengdu", "29": "Xi'an",
    "311": "Shijiazhuang", "351": "Taiyuan", "371": "Zhengzhou", "431": "Changchun",
    "451": "Harbin", "471": "Hohhot", "512": "Suzhou", "531": "Jinan", "532": "Qingdao",
    "551": "Hefei", "571": "Hangzhou", "574": "Ningbo", "591": "Fuzhou", "592": "Xiamen",
    "731": "Changsha", "755": "Shenzhen", "757": "Foshan", "760": "Zhongshan",
    "769": "Dongguan", "771": "Nanning", "791": "Nanchang", "851": "Guiyang",
    "871": "Kunming", "891": "Lhasa", "898": "Haikou", "931": "Lanzhou", "951": "Yinchuan",
    "971": "Xining", "991": "Urumqi",
}  # fmt: skip

_CARRIERS = {
    "China Mobile": "134 135 136 137 138 139 147 148 150 151 152 157 158 159 172 178 182 183 "
    "184 187 188 195 197 198",
    "China Unicom": "130 131 132 145 146 155 156 166 167 171 175 176 185 186 196",
    "China Telecom": "133 149 153 173 174 177 180 181 189 190 191 193 199",
    "China Broadnet": "192",
}
_CARRIER_BY_PREFIX = {p: name for name, prefixes in _CARRIERS.items() for p in prefixes.split()}

# Separators people put in numbers. Anything else (letters, '#', ',') is an error: a number
# with an extension or a pause cannot be dialled by the predictive dialer.
_SEPARATORS = re.compile(r"[\s\-./()\[\]\u00a0\u2010-\u2015\u3000]")
_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalize(raw: str, *, default_country: str = "86") -> PhoneNumber:
    """`raw` as typed -> `PhoneNumber`. Numbers without a country prefix are taken as being in
    `default_country` (only "86" has a national plan here; others need a prefix)."""
    digits, international = _clean(raw)
    if international:
        return _international(raw, digits)
    if default_country == "86":
        if digits.startswith("86") and len(digits) == 13 and _MOBILE.fullmatch(digits[2:]):
            return _china(raw, digits[2:])  # "86 138..." written without + or 00
        return _china(raw, digits)
    return _international(raw, default_country + digits.removeprefix("0"))


def _clean(raw: str) -> tuple[str, bool]:
    """(digits, had an international prefix). NFKC maps full-width digits and plus to ASCII."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text = text.removeprefix("tel:")
    text = _SEPARATORS.sub("", text)
    if not text:
        raise NumberError(raw, "empty", "no number given")
    international = text.startswith("+")
    body = text[1:] if international else text
    if not body.isascii() or not body.isdigit():
        bad = next(c for c in body if not (c.isascii() and c.isdigit()))
        raise NumberError(raw, "bad_character", f"unexpected character {bad!r} in the number")
    if not international and body.startswith("00"):
        international, body = True, body[2:]  # "00" is the international prefix from China
    return body, international


def _international(raw: str, digits: str) -> PhoneNumber:
    cc = _country_code(raw, digits)
    national = digits[len(cc) :]
    if cc == "86":
        return _china(raw, national.removeprefix("0"), national=True)
    if national.startswith("0") and cc not in {"39"}:  # Italy keeps its 0 (ITU note)
        national = national[1:]  # "+44 (0)20 ..." style
    total = len(cc) + len(national)
    if not 8 <= total <= 15:
        raise NumberError(raw, "bad_length", f"{total} digits: E.164 numbers have 8 to 15")
    if cc == "1" and not re.fullmatch(r"[2-9]\d{2}[2-9]\d{6}", national):
        raise NumberError(raw, "bad_length", "North American numbers are +1 then 10 digits")
    return PhoneNumber(f"+{cc}{national}", NumberKind.INTERNATIONAL, cc, national)


def _country_code(raw: str, digits: str) -> str:
    if not digits or digits[0] == "0":
        raise NumberError(raw, "bad_country_code", "no country code after the '+' or '00'")
    if digits[:1] in _CC1:
        return digits[:1]
    if digits[:2] in _CC2:
        return digits[:2]
    cc = digits[:3]
    if digits[:2] in _CC3_SPARE_PREFIXES and cc not in _CC3_ALLOWED:
        raise NumberError(raw, "bad_country_code", f"+{cc} is not an assigned country code")
    return cc


def _china(raw: str, digits: str, *, national: bool = False) -> PhoneNumber:
    """Mainland China national digits (with trunk '0' unless `national`)."""
    if _MOBILE.fullmatch(digits):
        carrier = _CARRIER_BY_PREFIX.get(digits[:3])
        return _cn(digits, NumberKind.MOBILE, carrier=carrier)
    if re.fullmatch(r"(400|800)\d{7}", digits):
        return _cn(digits, NumberKind.SERVICE)
    if re.match(r"1[3-9]", digits):
        raise NumberError(raw, "bad_length", f"mobile numbers have 11 digits, not {len(digits)}")
    if not national and digits.startswith("1"):
        raise NumberError(raw, "bad_number", "neither a mobile (1[3-9] + 9 digits) nor 0+area code")
    if not national:
        if not digits.startswith("0"):
            raise NumberError(
                raw, "missing_area_code", "a fixed-line number needs its area code (e.g. 010)"
            )
        digits = digits[1:]
    return _china_fixed(raw, digits)


def _china_fixed(raw: str, digits: str) -> PhoneNumber:
    area_len = 2 if digits[:1] == "1" or digits[:1] == "2" else 3
    area, local = digits[:area_len], digits[area_len:]
    if area_len == 2 and area != "10" and area[0] == "1":
        raise NumberError(raw, "bad_area_code", f"0{area} is not an area code")
    if area[0] == "0":
        raise NumberError(raw, "bad_area_code", "area codes do not start with 00")
    allowed = (8,) if area_len == 2 else (7, 8)
    if len(local) not in allowed or local[0] in "01":
        expect = " or ".join(str(n) for n in allowed)
        raise NumberError(
            raw, "bad_length", f"after area code 0{area} expected {expect} digits starting 2-9"
        )
    return _cn(digits, NumberKind.FIXED, region=_AREA_CITIES.get(area))


def _cn(
    national: str, kind: NumberKind, *, region: str | None = None, carrier: str | None = None
) -> PhoneNumber:
    return PhoneNumber(f"+86{national}", kind, "86", national, region=region, carrier=carrier)
