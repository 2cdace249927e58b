"""Queue configuration, calls and the routing decisions the ACD hands back to callcontrol."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.seats.acd.states import AgentState


class Strategy(StrEnum):
    """How the ACD picks among several ready agents (SEAT-3).

    Waiting calls are always ordered by priority then arrival, whatever the strategy.
    """

    PRIORITY = "priority"  # agent tiers: lowest member priority first, tie -> longest idle
    ROUND_ROBIN = "round_robin"  # next member after the one offered last
    LONGEST_IDLE = "longest_idle"
    FEWEST_CALLS = "fewest_calls"  # calls taken since sign-in, tie -> longest idle
    SKILLS = "skills"  # highest summed level on the required skills, tie -> longest idle
    STICKY = "sticky"  # the agent who last served this caller, if ready; else the fallback


class OverflowKind(StrEnum):
    NONE = "none"  # keep waiting
    QUEUE = "queue"  # move into another queue of the same business (the ACD does it atomically)
    VOICEMAIL = "voicemail"
    EXTERNAL = "external"  # an external number, e.g. a manager's mobile (SEAT-4)


class NoAnswer(StrEnum):
    """Where an agent goes after a rejected or unanswered offer."""

    NOT_READY = "not_ready"  # reason "no answer"
    READY = "ready"


@dataclass(frozen=True, slots=True)
class Overflow:
    kind: OverflowKind = OverflowKind.NONE
    target: str = ""  # queue id, voicemail box or E.164 number


@dataclass(frozen=True, slots=True)
class QueueConfig:
    queue_id: str
    business_id: str  # TEN-5: only agents of this business are ever offered
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout: float = 20.0  # seconds an agent rings before the next one (SEAT-4)
    max_wait: float = 0.0  # seconds before overflow; 0 = wait forever (SEAT-5)
    overflow: Overflow = field(default_factory=Overflow)
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> minimum level
    wrap_up: bool = True  # enter after-call work after each call
    acw_timeout: float = 30.0  # seconds of after-call work before auto-ready; 0 = manual
    no_answer: NoAnswer = NoAnswer.NOT_READY
    vip_boost: int = 2  # priority levels added for VIP / white-listed callers
    transfer_boost: int = 1  # priority levels added for calls transferred into the queue
    # Seconds of waiting worth one priority level: a call that has waited this long beyond a
    # newer call of one level higher is served first, so long waiters age upward.
    priority_step: float = 120.0
    sticky_fallback: Strategy = Strategy.LONGEST_IDLE
    sticky_days: int = 30
    default_handle_time: float = 180.0  # expected-wait estimate until real calls are measured

    def __post_init__(self) -> None:
        if not self.queue_id or ":" in self.queue_id:
            raise ValueError("a queue id is non-empty and has no ':'")
        if self.ring_timeout <= 0:
            raise ValueError("ring_timeout must be positive")
        if min(self.max_wait, self.acw_timeout, self.priority_step) < 0:
            raise ValueError("max_wait, acw_timeout and priority_step cannot be negative")
        if self.sticky_fallback is Strategy.STICKY:
            raise ValueError("the sticky fallback must be another strategy")
        if self.overflow.kind is not OverflowKind.NONE and not self.overflow.target:
            raise ValueError(f"overflow to {self.overflow.kind} needs a target")
        if self.overflow.kind is OverflowKind.QUEUE and self.overflow.target == self.queue_id:
            raise ValueError("a queue cannot overflow into itself")

    def to_redis(self) -> dict[str, Any]:
        return {
            "queue": self.queue_id,
            "business": self.business_id,
            "strategy": self.strategy.value,
            "ring_timeout_ms": _ms(self.ring_timeout),
            "max_wait_ms": _ms(self.max_wait),
            "overflow_kind": self.overflow.kind.value,
            "overflow_target": self.overflow.target,
            "skills": dict(self.skills),
            "wrap_up": self.wrap_up,
            "acw_timeout_ms": _ms(self.acw_timeout),
            "no_answer": self.no_answer.value,
            "vip_boost": self.vip_boost,
            "transfer_boost": self.transfer_boost,
            "priority_step_ms": _ms(self.priority_step),
            "sticky_fallback": self.sticky_fallback.value,
            "sticky_ttl_s": self.sticky_days * 86400,
            "default_aht_ms": _ms(self.default_handle_time),
        }


@dataclass(frozen=True, slots=True)
class Call:
    """A customer call asking the ACD for an agent."""

    call_id: str
    queue_id: str
    caller: str = ""  # the caller's number: sticky agent key
    priority: int = 0  # base priority from the IVR; higher is served first
    vip: bool = False  # VIP or white-listed caller (TEN caller lists)
    transferred: bool = False  # transferred into this queue by an agent or another queue
    node: str = ""  # the callcontrol node holding the call's legs
    skills: Mapping[str, int] = field(default_factory=dict)  # extra requirements, e.g. English

    def to_redis(self) -> dict[str, Any]:
        return {
            "call": self.call_id,
            "queue": self.queue_id,
            "caller": self.caller,
            "priority": self.priority,
            "vip": self.vip,
            "transferred": self.transferred,
            "node": self.node,
            "skills": dict(self.skills),
        }


@dataclass(frozen=True, slots=True)
class Offered:
    """An agent is reserved (state ringing) for the call: ring them for `ring_timeout` s."""

    call_id: str
    agent_id: str
    queue_id: str
    ring_timeout: float
    node: str


@dataclass(frozen=True, slots=True)
class Queued:
    """No agent is free: play music, and announce position and expected wait (SEAT-5)."""

    call_id: str
    queue_id: str
    position: int
    expected_wait: float


@dataclass(frozen=True, slots=True)
class Overflowed:
    """The call leaves the ACD for voicemail or an external number (SEAT-4/5)."""

    call_id: str
    queue_id: str
    kind: OverflowKind
    target: str
    reason: str  # "max_wait" | "no_agents"
    node: str


Decision = Offered | Queued | Overflowed


def decision_from_redis(raw: Mapping[str, Any]) -> Decision:
    kind = raw["kind"]
    if kind == "offered":
        return Offered(
            raw["call"],
            raw["agent"],
            raw["queue"],
            raw["ring_timeout_ms"] / 1000,
            raw.get("node", ""),
        )
    if kind == "queued":
        return Queued(
            raw["call"], raw["queue"], int(raw["position"]), raw["expected_wait_ms"] / 1000
        )
    if kind == "overflowed":
        return Overflowed(
            raw["call"],
            raw["queue"],
            OverflowKind(raw["target_kind"]),
            raw["target"],
            raw["reason"],
            raw.get("node", ""),
        )
    raise ValueError(f"unknown ACD decision {kind!r}")


@dataclass(frozen=True, slots=True)
class AgentStatus:
    agent_id: str
    business_id: str
    state: AgentState
    reason: str
    call_id: str
    in_state: float  # seconds in the current state (the agent's call-duration clock)
    calls_taken: int  # since sign-in
    talk_time: float  # seconds, since sign-in
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueueStatus:
    queue_id: str
    waiting: int
    ready: int
    staffed: int  # signed in, in any state
    all_busy: bool
    average_handle_time: float


@dataclass(frozen=True, slots=True)
class Position:
    call_id: str
    queue_id: str
    state: str  # waiting | ringing | talking | ended | overflowed ...
    position: int  # 1-based while waiting, else 0
    expected_wait: float


def _ms(seconds: float) -> int:
    return round(seconds * 1000)
