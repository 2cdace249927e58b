"""The CDR writer callcontrol uses (app/callcontrol/cdr.py): calls ending together, from several
tenants, each get one call record with every field and leg; a retried write updates the same
row (same id, no duplicate); each row lands under its own tenant only."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.callcontrol.call import Call, Leg, LegRole, LegState
from app.callcontrol.cdr import CdrWriter
from app.calls.models import CallRecord
from app.db.session import tenant_session
from tests.fixtures.app import TenantCtx

pytestmark = pytest.mark.feature("REC-2")  # the record every call search and report reads


def ended_call(tenant_id: uuid.UUID, number: str) -> Call:
    call = Call(
        key=f"cdr-{uuid.uuid4().hex}", tenant_id=tenant_id, direction="inbound",
        from_number=number, to_number="+861080000000", extension="1001", dtmf="1#",
    )  # fmt: skip
    leg = Leg(LegRole.CUSTOMER, "sip-call-id-1", f"sip:{number}@carrier", "sip:did@edge", "a")
    leg.move(LegState.ANSWERED, status=200)
    call.legs.append(leg)
    call.mark_answered()
    call.answered_at = call.arrived_at + timedelta(seconds=2)
    call.end("bye", "customer")
    return call


async def rows(tenant_id: uuid.UUID) -> list[CallRecord]:
    async with tenant_session(tenant_id) as db:
        return list(await db.scalars(select(CallRecord).order_by(CallRecord.from_number)))


async def test_calls_ending_together_get_one_record_each_under_their_tenant(
    tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    writer = CdrWriter()
    a = [ended_call(tenant.tenant_id, f"+8613800000{i:03d}") for i in range(3)]
    b = [ended_call(other_tenant.tenant_id, "+8613911112222")]
    ids = await asyncio.gather(*(writer.save(c.cdr_values()) for c in a + b))

    mine = await rows(tenant.tenant_id)
    assert [r.from_number for r in mine] == [c.from_number for c in a]  # B's call is not here
    assert {r.id for r in mine} == set(ids[:3])
    first = mine[0]
    assert first.call_key == a[0].key and first.extension == "1001" and first.dtmf == "1#"
    assert first.answered_at == a[0].answered_at and first.ended_at == a[0].ended_at
    assert first.hangup_cause == "bye" and first.hangup_side == "customer"
    assert first.legs[0]["role"] == "customer" and first.legs[0]["sipStatus"] == 200
    theirs = await rows(other_tenant.tenant_id)
    assert [(r.call_key, r.id) for r in theirs] == [(b[0].key, ids[3])]


async def test_a_retried_write_updates_the_same_record(tenant: TenantCtx) -> None:
    writer = CdrWriter()
    call = ended_call(tenant.tenant_id, "+8613800000999")
    first_id = await writer.save(call.cdr_values())
    call.hangup_cause = "recovered"
    again = await writer.save(call.cdr_values())
    saved = await rows(tenant.tenant_id)
    assert again == first_id
    assert [(r.id, r.hangup_cause) for r in saved] == [(first_id, "recovered")]
