"""SEAT-2..5 pure parts: the transition table, queue validation, error and decision parsing."""

from __future__ import annotations

import re

import pytest

from app.seats.acd import (
    AgentState,
    IllegalTransition,
    Offered,
    Overflow,
    Overflowed,
    OverflowKind,
    QueueConfig,
    Queued,
    Strategy,
)
from app.seats.acd.engine import script_source
from app.seats.acd.errors import from_redis_error
from app.seats.acd.states import TRANSITIONS, can_transition, lua_transition_table
from app.seats.acd.types import decision_from_redis

S = AgentState


@pytest.mark.feature("SEAT-2")
def test_every_state_has_a_row_and_a_way_back_to_ready() -> None:
    assert set(TRANSITIONS) == set(AgentState)
    for state in AgentState:
        # From anywhere an agent can reach ready again, in at most three steps.
        frontier, seen = {state}, {state}
        for _ in range(3):
            frontier = {t for s in frontier for t in TRANSITIONS[s]} - seen
            seen |= frontier
        assert S.READY in seen or state is S.READY, state


@pytest.mark.feature("SEAT-2")
@pytest.mark.parametrize(
    ("src", "dst", "ok"),
    [
        (S.SIGNED_OUT, S.READY, True),
        (S.SIGNED_OUT, S.TALKING, False),
        (S.READY, S.RINGING, True),
        (S.NOT_READY, S.RINGING, False),  # a not-ready agent is never offered a call
        (S.RINGING, S.SIGNED_OUT, False),  # would drop the reserved call
        (S.TALKING, S.SIGNED_OUT, False),
        (S.TALKING, S.AFTER_CALL_WORK, True),
        (S.HOLD, S.TALKING, True),
        (S.AFTER_CALL_WORK, S.READY, True),
        (S.AFTER_CALL_WORK, S.RINGING, False),
    ],
)
def test_transition_table(src: AgentState, dst: AgentState, ok: bool) -> None:
    assert can_transition(src, dst) is ok


@pytest.mark.feature("SEAT-2")
def test_the_lua_script_gets_the_same_table() -> None:
    lua = lua_transition_table()
    for src, targets in TRANSITIONS.items():
        row = re.search(rf"\b{src.value}=\{{([^}}]*)\}}", lua)
        assert row is not None
        assert set(re.findall(r"(\w+)=true", row.group(1))) == {t.value for t in targets}
    assert "__TRANSITIONS__" not in script_source()
    assert lua in script_source()


@pytest.mark.feature("SEAT-4")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ring_timeout": 0}, "ring_timeout"),
        ({"max_wait": -1}, "negative"),
        ({"overflow": Overflow(OverflowKind.EXTERNAL)}, "needs a target"),
        ({"overflow": Overflow(OverflowKind.QUEUE, "q")}, "into itself"),
        ({"sticky_fallback": Strategy.STICKY}, "another strategy"),
    ],
)
def test_queue_config_is_validated(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QueueConfig("q", "b", **kwargs)  # type: ignore[arg-type]


def test_queue_ids_cannot_break_the_key_layout() -> None:
    with pytest.raises(ValueError, match="no ':'"):
        QueueConfig("a:b", "b")


def test_script_errors_become_typed_errors() -> None:
    err = from_redis_error(
        "ACD_ILLEGAL agent 7 cannot go from talking to signed_out (from talking only: hold)"
        " script: 0123abcd, on @user_script:120."
    )
    assert isinstance(err, IllegalTransition)
    assert str(err) == "agent 7 cannot go from talking to signed_out (from talking only: hold)"
    assert from_redis_error("WRONGTYPE Operation against a key") is None


def test_decisions_from_the_script() -> None:
    assert decision_from_redis(
        {
            "kind": "offered",
            "call": "c",
            "agent": "a",
            "queue": "q",
            "ring_timeout_ms": 15000,
            "node": "n",
        }
    ) == Offered("c", "a", "q", 15.0, "n")
    assert decision_from_redis(
        {"kind": "queued", "call": "c", "queue": "q", "position": 3, "expected_wait_ms": 90000}
    ) == Queued("c", "q", 3, 90.0)
    assert decision_from_redis(
        {
            "kind": "overflowed",
            "call": "c",
            "queue": "q",
            "target_kind": "external",
            "target": "+86139",
            "reason": "max_wait",
        }
    ) == Overflowed("c", "q", OverflowKind.EXTERNAL, "+86139", "max_wait", "")
