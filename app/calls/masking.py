"""DIAL-6 number masking for what agents can read: customers' numbers are shown `139****9000`.

Admins and supervisors get E.164 (or the national form the API normalized to) from their own
APIs (call records, live calls, the dialer's admin views). Agents see masked numbers in every
reply and in every event their CTI WebSocket forwards. The tenant event stream is shared by all
consumers (CTI, wallboard, webhooks), so events this domain writes carry masked numbers only;
callcontrol's events carry none (they name the call; the live hash and the CDR hold the number
for the admin APIs).

- `mask_number(number)`: the dialer's format (`app.dialer.leads.mask_number`), so a lead and
  the click-to-call of the same number look alike: national digits, the middle hidden.
- `mask_text(text)`: every phone-number-like run in a string (a bare number, a SIP URI
  `sip:+8613900139000@host`, JSON) masked; extensions (up to 6 digits) and UUIDs are left
  alone. Only unbroken digit runs are found: numbers are stored normalized (E.164 or national
  digits), so "139 0013 9000" typed by a person would not be caught (none of our events carry
  free text typed by a person).
- `for_agent(fields)`: an event's fields as an agent may see them.
- `shown(number, role)`: E.164/national for admins and supervisors, masked for the others.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.dialer.leads import mask_number as _dialer_mask
from app.tenants.models import Role

# 7 to 15 digits (E.164 has at most 15), optionally after "+", not inside a longer word (a call
# key is hex: its digit runs touch letters) nor inside a masked number.
_NUMBER = re.compile(r"(?<![\w*+])\+?\d{7,15}(?![\w*])")
_UUID = re.compile(r"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})")
# Fields that are never a customer's number: counts and durations (long talks reach 7 digits
# of ms), and what callers keyed in (DTMF, IVR input: the agent may need an account number).
_NOT_NUMBERS = re.compile(r"(_ms|Ms|Seconds|_seconds|Count|count|priority|[dD]igits?|dtmf)$")

REVEALING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


def mask_number(number: str) -> str:
    return _dialer_mask(number)


def mask_text(text: str) -> str:
    # Ids are left whole: a UUID's first group is all digits one time in forty.
    parts = _UUID.split(text)
    return "".join(
        part if i % 2 else _NUMBER.sub(lambda m: mask_number(m.group(0)), part)
        for i, part in enumerate(parts)
    )


def for_agent(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with every phone number in string values masked (nested lists/dicts too)."""
    return {k: v if _NOT_NUMBERS.search(k) else _masked(v) for k, v in fields.items()}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return for_agent(value)
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


def reveals_numbers(role: Role | str) -> bool:
    return role in REVEALING_ROLES


def shown(number: str, role: Role | str) -> str:
    return number if reveals_numbers(role) else mask_number(number)
