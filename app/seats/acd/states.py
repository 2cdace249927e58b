"""Agent states and the transitions between them (SEAT-2).

The table below is the single source of truth: the Lua script that changes states atomically in
Redis is generated from it (`lua_transition_table`), so Python and Redis cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    SIGNED_OUT = "signed_out"
    READY = "ready"
    NOT_READY = "not_ready"  # always with a reason code (break, lunch, "no answer", ...)
    RINGING = "ringing"  # reserved for one call, the agent's phone is ringing
    TALKING = "talking"
    HOLD = "hold"
    AFTER_CALL_WORK = "after_call_work"  # wrap-up; auto-returns to ready after the queue's timeout


S = AgentState

TRANSITIONS: dict[AgentState, frozenset[AgentState]] = {
    S.SIGNED_OUT: frozenset({S.READY, S.NOT_READY}),
    S.READY: frozenset({S.RINGING, S.NOT_READY, S.SIGNED_OUT}),
    # not_ready -> not_ready changes the reason code.
    S.NOT_READY: frozenset({S.READY, S.NOT_READY, S.SIGNED_OUT}),
    # A ringing agent answers, or the offer fails (reject, ring timeout, caller hung up). Signing
    # out while reserved would lose the call: reject it first.
    S.RINGING: frozenset({S.TALKING, S.READY, S.NOT_READY}),
    # Hang-up goes to wrap-up, or straight to ready when the queue has no wrap-up.
    S.TALKING: frozenset({S.HOLD, S.AFTER_CALL_WORK, S.READY}),
    S.HOLD: frozenset({S.TALKING, S.AFTER_CALL_WORK, S.READY}),
    S.AFTER_CALL_WORK: frozenset({S.READY, S.NOT_READY, S.SIGNED_OUT}),
}


def can_transition(src: AgentState, dst: AgentState) -> bool:
    return dst in TRANSITIONS[src]


def lua_transition_table() -> str:
    """`{signed_out={ready=true,...},...}`: the table above as a Lua literal."""
    rows = []
    for src, targets in TRANSITIONS.items():
        inner = ",".join(f"{dst.value}=true" for dst in sorted(targets))
        rows.append(f"{src.value}={{{inner}}}")
    return "{" + ",".join(rows) + "}"
