"""Phone number normalisation shared by lists, numbers and (later) lead imports."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_VALID = re.compile(r"\+?[0-9]{3,20}")


class InvalidNumberError(ValueError):
    pass


def normalize_number(raw: str) -> str:
    """Strip separators; keep a leading '+'. '00' international prefix becomes '+'."""
    number = _SEPARATORS.sub("", raw.strip())
    if number.startswith("00") and len(number) > 4:
        number = "+" + number[2:]
    if not _VALID.fullmatch(number):
        raise InvalidNumberError(f"not a phone number: {raw!r}")
    return number
