"""Reading lead files: line numbers (quoted newlines, broken rows), mapping, encodings (DIAL-1)."""

from __future__ import annotations

import pytest

from app.dialer.imports import ColumnMapping, ImportError_, RowError, RowMapper, read_csv

pytestmark = pytest.mark.feature("DIAL-1")


def _rows(text: str) -> list[tuple[int, list[str] | None, str]]:
    return list(read_csv(text.encode()).rows)


def test_line_numbers_follow_the_file_not_the_records():
    rows = _rows('P,N\n1,"two\nlines"\n\n2,x\n3,"bad"q\n4,y\n')
    assert [(line, cells) for line, cells, _ in rows] == [
        (2, ["1", "two\nlines"]), (5, ["2", "x"]), (6, None), (7, ["4", "y"]),
    ]  # fmt: skip
    assert "unreadable row" in rows[2][2]


def test_delimiter_and_bom_and_gb18030():
    source = read_csv("\ufeff电话;姓名\n13800138000;张三\n".encode("gb18030"))
    assert source.header == ["电话", "姓名"]
    assert list(source.rows) == [(2, ["13800138000", "张三"], "")]


def test_mapper_rejects_unknown_columns_with_the_file_columns():
    with pytest.raises(ImportError_, match=r"Mobile.*Phone, Name"):
        RowMapper(["Phone", "Name"], ColumnMapping("Mobile"), "Asia/Shanghai")


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["", "x", "y"], "missing_phone"),
        (["12345", "x", "y"], "invalid_number:bad_number"),
        (["13800138000", "x"], "bad_columns"),
        (["13800138000", "x", "Mars/Base"], "bad_timezone"),
    ],
)
def test_bad_rows_get_a_reason(cells, reason):
    mapper = RowMapper(["P", "N", "Z"], ColumnMapping("P", "N", "Z"), "Asia/Shanghai")
    result = mapper.map(7, cells)
    assert isinstance(result, RowError) and result.line == 7 and result.reason == reason


def test_good_rows_are_e164_with_zone_and_fields():
    mapper = RowMapper(
        ["P", "N", "City"], ColumnMapping("P", "N", None, {"city": "City"}), "Asia/Shanghai"
    )
    assert mapper.map(2, ["138 0013 8000", " Ann ", "Wuhan"]) == (
        2, "+8613800138000", "Ann", "Asia/Shanghai", '{"city": "Wuhan"}',
    )  # fmt: skip
    assert mapper.map(3, ["+44 20 7946 0958", "B", ""])[3] == "Europe/London"  # type: ignore[index]
    assert mapper.map(4, ["+1 415 555 0100", "C", ""])[3] == "Asia/Shanghai"  # type: ignore[index]
