"""REC-2: the Range header parser behind audio seeking (RFC 9110 14.1.2), without a server."""

from __future__ import annotations

import pytest

from app.recordings.services import RangeNotSatisfiableError, parse_range

pytestmark = pytest.mark.feature("REC-2")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-0", (0, 0)),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-5000", (0, 999)),  # a suffix longer than the file: all of it
        ("bytes=900-5000", (900, 999)),  # past the end: clamped
        (" Bytes = 5-6", (5, 6)),
        ("bytes=0-1,5-6", None),  # multi-range: the whole file (RFC 9110 14.2 allows it)
        ("items=0-5", None),
        ("bytes=abc", None),
        ("bytes=-", None),
    ],
)
def test_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=5-4", "bytes=-0"])
def test_unsatisfiable(header: str) -> None:
    with pytest.raises(RangeNotSatisfiableError):
        parse_range(header, 1000)


def test_an_empty_file_satisfies_no_range() -> None:
    with pytest.raises(RangeNotSatisfiableError):
        parse_range("bytes=0-", 0)
