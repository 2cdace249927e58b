"""CRM-5: the ticket status workflow (which moves are allowed, colours) and the portal's copy of
it (frontend/src/pages/tickets/workflow.json), which must not drift from the server's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.crm.tickets import (
    ACTIVE,
    STATUS_COLOURS,
    TRANSITIONS,
    ReplyChannel,
    TicketPriority,
    TicketStatus,
    TicketType,
    allowed_moves,
    may_move,
)

pytestmark = pytest.mark.feature("CRM-5")

MIRROR = (
    Path(__file__).resolve().parents[3] / "frontend" / "src" / "pages" / "tickets" / "workflow.json"
)


def test_closed_is_final_and_every_other_status_can_be_closed() -> None:
    assert allowed_moves("closed") == []
    for status in TicketStatus:
        if status is not TicketStatus.CLOSED:
            assert may_move(status, "closed"), status
        assert not may_move(status, status), "staying put is not a move"


def test_refused_moves() -> None:
    assert not may_move("waiting_customer", "open")
    assert not may_move("resolved", "open")  # reopening goes back to work, not to the queue
    assert not may_move("closed", "in_progress")
    assert not may_move("open", "deleted") and not may_move("gone", "open")
    assert may_move("resolved", "in_progress")


def test_every_status_is_reachable_and_coloured() -> None:
    reachable = {TicketStatus.OPEN} | {n for nexts in TRANSITIONS.values() for n in nexts}
    assert reachable == set(TicketStatus)
    assert set(STATUS_COLOURS) == set(TicketStatus)
    assert len(set(STATUS_COLOURS.values())) == len(TicketStatus), "one colour per status"
    assert set(ACTIVE) == {
        TicketStatus.OPEN,
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CUSTOMER,
    }


def test_the_portal_mirror_matches_the_server() -> None:
    mirrored = json.loads(MIRROR.read_text())
    server = [
        {"status": s.value, "colour": STATUS_COLOURS[s], "next": allowed_moves(s)}
        for s in TicketStatus
    ]
    stale = "stale: update frontend/src/pages/tickets/workflow.json from app/crm/tickets.py"
    assert mirrored["statuses"] == server, stale
    assert mirrored["types"] == [t.value for t in TicketType], stale
    assert mirrored["priorities"] == [p.value for p in TicketPriority], stale
    assert mirrored["channels"] == [c.value for c in ReplyChannel], stale
