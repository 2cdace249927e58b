"""Automatic call distribution in Redis: agent states, queues, routing (SEAT-2..5)."""

from app.seats.acd.engine import Acd, events_key
from app.seats.acd.errors import (
    AcdError,
    BusinessMismatch,
    CallActive,
    IllegalTransition,
    NotOffered,
    UnknownAgent,
    UnknownQueue,
)
from app.seats.acd.states import AgentState
from app.seats.acd.timer import AcdTimer
from app.seats.acd.types import (
    AgentStatus,
    Call,
    Decision,
    NoAnswer,
    Offered,
    Overflow,
    Overflowed,
    OverflowKind,
    Position,
    QueueConfig,
    Queued,
    QueueStatus,
    Strategy,
)

__all__ = [
    "Acd",
    "AcdError",
    "AcdTimer",
    "AgentState",
    "AgentStatus",
    "BusinessMismatch",
    "Call",
    "CallActive",
    "Decision",
    "IllegalTransition",
    "NoAnswer",
    "NotOffered",
    "Offered",
    "Overflow",
    "OverflowKind",
    "Overflowed",
    "Position",
    "QueueConfig",
    "QueueStatus",
    "Queued",
    "Strategy",
    "UnknownAgent",
    "UnknownQueue",
    "events_key",
]
