"""TEN-6: is a tenant open at time T, and which rule decided.

Precedence, most specific first: a special work day (调休: a normally closed day worked, with its
own hours) > a holiday (closed all day) > the weekly hours. A weekly range whose end is not after
its start runs past midnight (22:00-06:00)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CalendarError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Range:
    start: time
    end: time

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Verdict:
    open: bool
    rule: str
    local_time: datetime


@dataclass(frozen=True, slots=True)
class CalendarSpec:
    timezone: ZoneInfo
    weekly: dict[int, list[Range]]
    holidays: dict[date, str]
    special_days: dict[date, tuple[str, list[Range]]]

    @classmethod
    def from_json(
        cls,
        timezone: str,
        weekly_hours: list[dict[str, Any]],
        holidays: list[dict[str, Any]],
        special_days: list[dict[str, Any]],
    ) -> CalendarSpec:
        try:
            tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {timezone!r}") from exc
        weekly: dict[int, list[Range]] = {}
        for i, item in enumerate(weekly_hours):
            weekday = item.get("weekday")
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise CalendarError(f"weeklyHours[{i}]: weekday must be 0 (Monday) to 6 (Sunday)")
            weekly.setdefault(weekday, []).append(_range(item, f"weeklyHours[{i}]"))
        hol = {
            _date(h, f"holidays[{i}]"): str(h.get("name", "holiday"))
            for i, h in enumerate(holidays)
        }
        special = {
            _date(d, f"specialDays[{i}]"): (
                str(d.get("name", "special day")),
                [_range(d, f"specialDays[{i}]")],
            )
            for i, d in enumerate(special_days)
        }
        return cls(tz, weekly, hol, special)

    def is_open(self, at: datetime) -> Verdict:
        if at.tzinfo is None:
            raise CalendarError("the time must carry a time zone")
        local = at.astimezone(self.timezone)
        today, now = local.date(), local.time()
        if today in self.special_days:
            name, ranges = self.special_days[today]
            hit = next((r for r in ranges if _within(r, now, same_day=True)), None)
            rule = f"special day {name} {ranges[0].label()}"
            return Verdict(hit is not None, rule if hit else f"{rule} (outside hours)", local)
        # An overnight range that began yesterday still counts unless today is a holiday.
        yesterday = today - timedelta(days=1)
        for r in self._ranges_for(yesterday):
            if r.overnight and now < r.end and today not in self.holidays:
                return Verdict(True, f"weekly {WEEKDAYS[yesterday.weekday()]} {r.label()}", local)
        if today in self.holidays:
            return Verdict(False, f"holiday {self.holidays[today]}", local)
        for r in self.weekly.get(today.weekday(), []):
            if _within(r, now, same_day=True):
                return Verdict(True, f"weekly {WEEKDAYS[today.weekday()]} {r.label()}", local)
        return Verdict(False, f"outside weekly hours ({WEEKDAYS[today.weekday()]})", local)

    def _ranges_for(self, day: date) -> list[Range]:
        if day in self.special_days:
            return self.special_days[day][1]
        if day in self.holidays:
            return []
        return self.weekly.get(day.weekday(), [])


def _within(r: Range, now: time, *, same_day: bool) -> bool:
    if r.overnight:
        return now >= r.start  # the part after midnight is checked from the next day
    return r.start <= now < r.end


def _parse_time(value: Any, where: str) -> time:
    try:
        hh, mm = str(value).split(":")
        if str(value) == "24:00":
            return time(23, 59, 59, 999999)
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise CalendarError(f"{where}: {value!r} is not a time like 09:30") from exc


def _range(item: dict[str, Any], where: str) -> Range:
    start = _parse_time(item.get("start"), f"{where}.start")
    end = _parse_time(item.get("end"), f"{where}.end")
    if start == end:
        raise CalendarError(f"{where}: start and end are the same")
    return Range(start, end)


def _date(item: dict[str, Any], where: str) -> date:
    try:
        return date.fromisoformat(str(item.get("date")))
    except ValueError as exc:
        raise CalendarError(
            f"{where}.date: {item.get('date')!r} is not a date like 2026-10-01"
        ) from exc
