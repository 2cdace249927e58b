"""A call and its legs: explicit state machines, timestamps, and what a CDR keeps of them.

A `Call` is what callcontrol manages for one customer interaction (inbound, outbound or
internal). Each party is a `Leg` with its own SIP dialog. The call moves

    arriving -> ivr -> queued -> ringing -> bridged -> ended

(steps may be skipped: an internal call goes arriving -> ringing -> bridged) and never backwards
except ringing -> queued (the agent did not answer). Every transition returns an event that the
live store publishes once.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID


def now() -> datetime:
    return datetime.now(UTC)


class CallState(enum.StrEnum):
    ARRIVING = "arriving"
    IVR = "ivr"
    QUEUED = "queued"
    RINGING = "ringing"
    BRIDGED = "bridged"
    ENDED = "ended"


class LegState(enum.StrEnum):
    TRYING = "trying"
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class LegRole(enum.StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    OTHER = "other"


CALL_TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    CallState.ARRIVING: frozenset({CallState.IVR, CallState.RINGING, CallState.ENDED}),
    # IVR -> BRIDGED: a caller an agent sent into a flow comes back to them (IVR-7).
    CallState.IVR: frozenset(
        {CallState.QUEUED, CallState.RINGING, CallState.BRIDGED, CallState.ENDED}
    ),
    CallState.QUEUED: frozenset({CallState.RINGING, CallState.ENDED}),
    CallState.RINGING: frozenset({CallState.BRIDGED, CallState.QUEUED, CallState.ENDED}),
    # A bridged customer sent on by its agent: to a flow or a queue (SEAT-6, IVR-7, REC-6).
    CallState.BRIDGED: frozenset(
        {CallState.IVR, CallState.QUEUED, CallState.RINGING, CallState.ENDED}
    ),
    CallState.ENDED: frozenset(),
}

LEG_TRANSITIONS: dict[LegState, frozenset[LegState]] = {
    LegState.TRYING: frozenset({LegState.RINGING, LegState.ANSWERED, LegState.ENDED}),
    LegState.RINGING: frozenset({LegState.ANSWERED, LegState.ENDED}),
    LegState.ANSWERED: frozenset({LegState.ENDED}),
    LegState.ENDED: frozenset(),
}


class InvalidTransition(RuntimeError):
    pass


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Leg:
    role: LegRole
    sip_call_id: str
    from_uri: str
    to_uri: str
    # rtpengine's tag for this party (the from-tag or to-tag we gave it).
    media_tag: str
    state: LegState = LegState.TRYING
    started_at: datetime = field(default_factory=now)
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    sip_status: int = 0
    cause: str = ""

    def move(self, state: LegState, *, status: int | None = None, cause: str = "") -> bool:
        """Change state; False (and no change) if already there. Invalid moves raise."""
        if state is self.state:
            return False
        if state not in LEG_TRANSITIONS[self.state]:
            raise InvalidTransition(f"leg {self.role}: {self.state} -> {state}")
        self.state = state
        if status is not None:
            self.sip_status = status
        if state is LegState.ANSWERED:
            self.answered_at = now()
        elif state is LegState.ENDED:
            self.ended_at = now()
            self.cause = self.cause or cause
        return True

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": str(self.role),
            "callId": self.sip_call_id,
            "from": self.from_uri,
            "to": self.to_uri,
            "state": str(self.state),
            "startedAt": _iso(self.started_at),
            "answeredAt": _iso(self.answered_at),
            "endedAt": _iso(self.ended_at),
            "sipStatus": self.sip_status,
            "cause": self.cause,
        }


@dataclass
class Call:
    key: str
    tenant_id: UUID
    direction: str  # inbound | outbound | internal
    from_number: str = ""
    to_number: str = ""
    business_id: UUID | None = None
    trunk_id: UUID | None = None
    agent_user_id: UUID | None = None
    extension: str | None = None
    state: CallState = CallState.ARRIVING
    legs: list[Leg] = field(default_factory=list)
    arrived_at: datetime = field(default_factory=now)
    answered_at: datetime | None = None
    bridged_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: str = ""
    hangup_side: str = ""  # customer | agent | system
    dtmf: str = ""
    queue_id: UUID | None = None  # REC-4: the ACD queue it waited in (the last one)
    queued_at: datetime | None = None  # when it first entered a queue

    def leg(self, role: LegRole) -> Leg | None:
        return next((leg for leg in self.legs if leg.role is role), None)

    def move(self, state: CallState) -> dict[str, Any]:
        """Change state and return the event to publish. Invalid moves raise."""
        if state not in CALL_TRANSITIONS[self.state]:
            raise InvalidTransition(f"call {self.key}: {self.state} -> {state}")
        previous, self.state = self.state, state
        if state is CallState.BRIDGED:
            self.bridged_at = self.bridged_at or now()  # the first bridge (CDR)
        elif state is CallState.ENDED:
            self.ended_at = now()
        return self.event("call.state", previous=str(previous))

    def mark_answered(self) -> None:
        """The customer's side is connected (we answered it, or it answered us)."""
        self.answered_at = self.answered_at or now()

    def end(self, cause: str, side: str) -> dict[str, Any] | None:
        """End the call once; the first cause and side win. None if it had already ended."""
        if self.state is CallState.ENDED:
            return None
        self.hangup_cause, self.hangup_side = cause, side
        for leg in self.legs:
            if leg.state is not LegState.ENDED:
                leg.move(LegState.ENDED, cause=cause)
        return self.move(CallState.ENDED)

    def event(self, kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "tenantId": str(self.tenant_id),
            "callKey": self.key,
            "state": str(self.state),
            "direction": self.direction,
            "at": now().isoformat(),
            **extra,
        }

    # ------------------------------------------------------------------ persistence

    def to_hash(self) -> dict[str, str]:
        """The live view kept in Redis (flat strings; legs as JSON)."""
        return {
            "key": self.key,
            "tenantId": str(self.tenant_id),
            "direction": self.direction,
            "state": str(self.state),
            "from": self.from_number,
            "to": self.to_number,
            "extension": self.extension or "",
            "arrivedAt": self.arrived_at.isoformat(),
            "answeredAt": _iso(self.answered_at) or "",
            "bridgedAt": _iso(self.bridged_at) or "",
            "endedAt": _iso(self.ended_at) or "",
            "hangupCause": self.hangup_cause,
            "hangupSide": self.hangup_side,
            "dtmf": self.dtmf,
            "legs": json.dumps([leg.as_dict() for leg in self.legs]),
        }

    def cdr_values(self) -> dict[str, Any]:
        """Column values of the call's `CallRecord` row."""
        return {
            "tenant_id": self.tenant_id,
            "call_key": self.key,
            "direction": self.direction,
            "from_number": self.from_number[:64],
            "to_number": self.to_number[:64],
            "business_id": self.business_id,
            "trunk_id": self.trunk_id,
            "agent_user_id": self.agent_user_id,
            "extension": self.extension,
            "arrived_at": self.arrived_at,
            "answered_at": self.answered_at,
            "bridged_at": self.bridged_at,
            "ended_at": self.ended_at,
            "hangup_cause": self.hangup_cause[:50],
            "hangup_side": self.hangup_side[:20],
            "legs": [leg.as_dict() for leg in self.legs],
            "dtmf": self.dtmf[:200],
            "queue_id": self.queue_id,
            "queued_at": self.queued_at,
        }
