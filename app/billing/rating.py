"""BILL-1 rating arithmetic, pure: longest-prefix match, billing increments, rounding.

A rate's increments are written `initial/next` in the trade: 60/6 bills the first minute
whole, then every started 6 seconds; 6/6 bills every started 6 seconds; 1/1 per second.
An unanswered call (no talk time) costs nothing, not even the connection fee.
Cost = connection fee + price per minute * billable seconds / 60, rounded half-up to 4
places (`COST_PLACES`) once per call; invoices round the period's total to minor units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

COST_PLACES = Decimal("0.0001")
MINOR = Decimal("0.01")
MAX_PREFIX = 20


@dataclass(frozen=True)
class RateRow:
    id: UUID
    prefix: str
    price_per_minute: Decimal
    initial_increment: int
    increment: int
    connection_fee: Decimal


def digits(number: str) -> str:
    """E.164 digits without '+', separators or a leading '00': '+86 10-1234' -> '86101234'."""
    cleaned = "".join(c for c in number if c.isdigit())
    if number.strip().startswith("00") and not number.strip().startswith("+"):
        cleaned = cleaned[2:]
    return cleaned


def longest_prefix(rates: dict[str, RateRow], number: str) -> RateRow | None:
    """The rate whose prefix is the longest start of the number's digits ('' matches all)."""
    d = digits(number)
    for n in range(min(len(d), MAX_PREFIX), -1, -1):
        rate = rates.get(d[:n])
        if rate is not None:
            return rate
    return None


def talk_seconds(answered_at: datetime | None, ended_at: datetime | None) -> int:
    """Whole seconds from answer to hang-up, a started second counting as one."""
    if answered_at is None or ended_at is None or ended_at <= answered_at:
        return 0
    micros = (ended_at - answered_at) // timedelta(microseconds=1)
    return -(-micros // 1_000_000)


def billable_seconds(duration: int, initial: int, increment: int) -> int:
    if duration <= 0:
        return 0
    if duration <= initial:
        return initial
    return initial + math.ceil((duration - initial) / increment) * increment


def call_cost(rate: RateRow, duration: int) -> tuple[int, Decimal]:
    """(billable seconds, cost) of a call of `duration` talk seconds."""
    billable = billable_seconds(duration, rate.initial_increment, rate.increment)
    if billable == 0:
        return 0, Decimal(0).quantize(COST_PLACES)
    cost = rate.connection_fee + rate.price_per_minute * billable / 60
    return billable, cost.quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal) -> int:
    """Currency units to integer minor units (2-decimal currencies: CNY, USD, EUR)."""
    return int((amount / MINOR).quantize(Decimal(1), rounding=ROUND_HALF_UP))
