"""The seat look-up cache on callcontrol's set-up path (routing.find_seat, issue 3 part 8).

A seat is kept for SEAT_TTL seconds; a seat deactivated in the database stops being found
within that time (or at once after `forget_seats`), and a new seat is found at once.
"""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from sqlalchemy import update

from app.callcontrol import routing
from app.db.session import tenant_session
from app.seats.models import Extension
from app.seats.services import create_extension
from tests.fixtures.app import signup


async def _deactivate(tenant_id: UUID, number: str) -> None:
    async with tenant_session(tenant_id) as session:
        await session.execute(
            update(Extension).where(Extension.number == number).values(is_active=False)
        )


@pytest.mark.feature("SEAT-6")
async def test_a_deactivated_seat_stops_being_found_within_the_ttl(
    client: httpx.AsyncClient,
) -> None:
    tenant = await signup(client, "seatcache")
    tid = tenant.tenant_id
    assert await routing.find_seat(tid, "301") is None  # a miss is not kept...
    async with tenant_session(tid) as session:
        await create_extension(session, tid, "301", "Seat-Pass-301", seat_type="sip")
    seat = await routing.find_seat(tid, "301")  # ...so the new seat is found at once
    assert seat is not None and seat.seat_type == "sip"

    await _deactivate(tid, "301")
    assert await routing.find_seat(tid, "301") == seat  # within SEAT_TTL: still the cached seat
    routing.forget_seats(tid)
    assert await routing.find_seat(tid, "301") is None  # explicit invalidation: gone at once


@pytest.mark.feature("SEAT-6")
async def test_a_cached_seat_expires_after_the_ttl(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await signup(client, "seatttl")
    tid = tenant.tenant_id
    async with tenant_session(tid) as session:
        await create_extension(session, tid, "302", "Seat-Pass-302", seat_type="sip")
    monkeypatch.setattr(routing, "SEAT_TTL", 0.0)  # every entry is already stale
    assert await routing.find_seat(tid, "302") is not None
    await _deactivate(tid, "302")
    assert await routing.find_seat(tid, "302") is None


@pytest.mark.feature("SEAT-6")
async def test_another_tenants_seat_is_never_found(client: httpx.AsyncClient) -> None:
    owner = await signup(client, "seatowner")
    other = await signup(client, "seatother")
    async with tenant_session(owner.tenant_id) as session:
        await create_extension(session, owner.tenant_id, "303", "Seat-Pass-303")
    assert await routing.find_seat(owner.tenant_id, "303") is not None
    assert await routing.find_seat(other.tenant_id, "303") is None  # cache and RLS both per tenant
