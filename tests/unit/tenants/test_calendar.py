"""TEN-6: the open/closed decision and the rule that made it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.tenants.calendar import CalendarError, CalendarSpec

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.feature("TEN-6")


def spec(**kw):
    base = {
        "timezone": "Asia/Shanghai",
        "weekly_hours": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
        + [{"weekday": 4, "start": "22:00", "end": "02:00"}],  # Friday night shift
        "holidays": [{"date": "2026-10-01", "name": "National Day"}],
        "special_days": [
            {"date": "2026-10-11", "name": "Make-up", "start": "10:00", "end": "16:00"}
        ],
    }
    base.update(kw)
    return CalendarSpec.from_json(**base)


@pytest.mark.parametrize(
    ("local", "open_", "rule"),
    [
        ((2026, 9, 28, 9, 0), True, "weekly Mon 09:00-18:00"),
        ((2026, 9, 28, 8, 59), False, "outside weekly hours (Mon)"),
        ((2026, 9, 28, 18, 0), False, "outside weekly hours (Mon)"),  # end is exclusive
        ((2026, 9, 27, 12, 0), False, "outside weekly hours (Sun)"),
        ((2026, 10, 1, 12, 0), False, "holiday National Day"),
        ((2026, 10, 11, 12, 0), True, "special day Make-up 10:00-16:00"),
        ((2026, 10, 11, 17, 0), False, "special day Make-up 10:00-16:00 (outside hours)"),
        ((2026, 10, 2, 23, 30), True, "weekly Fri 22:00-02:00"),
        ((2026, 10, 3, 1, 30), True, "weekly Fri 22:00-02:00"),  # Saturday morning, same shift
        ((2026, 10, 3, 2, 0), False, "outside weekly hours (Sat)"),
    ],
)
def test_open_and_rule(local, open_, rule):
    verdict = spec().is_open(datetime(*local, tzinfo=SH))
    assert (verdict.open, verdict.rule) == (open_, rule)


def test_time_is_converted_to_the_calendar_zone():
    utc = datetime(2026, 9, 28, 1, 0, tzinfo=ZoneInfo("UTC"))  # 09:00 in Shanghai
    assert spec().is_open(utc).open is True


def test_naive_times_and_bad_specs_are_refused():
    with pytest.raises(CalendarError):
        spec().is_open(datetime(2026, 9, 28, 9, 0))
    with pytest.raises(CalendarError, match="unknown time zone"):
        spec(timezone="Nowhere/Land")
    with pytest.raises(CalendarError, match="not a time"):
        spec(weekly_hours=[{"weekday": 0, "start": "9am", "end": "18:00"}])
    with pytest.raises(CalendarError, match="same"):
        spec(weekly_hours=[{"weekday": 0, "start": "09:00", "end": "09:00"}])
