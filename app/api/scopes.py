"""API-1: OAuth scopes and the permissions each one opens.

A client token holds scopes, never a role: the guard asks `client_may` instead of the role
table. A `:read` scope opens safe methods only (GET, HEAD); `leads:write` opens the dialer's
write permission on lead-list paths only, not on campaigns themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.tenants.permissions import Perm

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Grant:
    perm: Perm
    read_only: bool = False
    path: re.Pattern[str] | None = None  # when set, only paths it matches


_LEAD_PATHS = re.compile(r"^/api/v1/dialer/campaigns/[^/]+/(lists|leads)(/|$)")

SCOPES: dict[str, tuple[Grant, ...]] = {
    "calls:read": (Grant(Perm.CALLS_READ, read_only=True),),
    "calls:write": (Grant(Perm.CALLS_CONTROL),),
    "recordings:read": (Grant(Perm.RECORDINGS_LISTEN, read_only=True),),
    "agents:read": (
        Grant(Perm.ACD_READ, read_only=True),
        Grant(Perm.WALLBOARD, read_only=True),
    ),
    "webhooks:manage": (Grant(Perm.WEBHOOKS_MANAGE),),
    "leads:write": (
        Grant(Perm.DIALER_READ, path=_LEAD_PATHS),
        Grant(Perm.DIALER_WRITE, path=_LEAD_PATHS),
    ),
}
SCOPE_NAMES: tuple[str, ...] = tuple(SCOPES)


def client_may(
    scopes: tuple[str, ...] | frozenset[str], perm: Perm, method: str, path: str
) -> bool:
    for scope in scopes:
        for grant in SCOPES.get(scope, ()):
            if grant.perm is not perm:
                continue
            if grant.read_only and method.upper() not in SAFE_METHODS:
                continue
            if grant.path is not None and not grant.path.match(path):
                continue
            return True
    return False
