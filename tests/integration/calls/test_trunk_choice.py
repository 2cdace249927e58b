"""Which carrier trunk a business's outgoing calls use (EDGE-3, TEN-5): its own trunk first,
else the tenant's shared one (no business), never an inactive one; another tenant's trunks
are never seen."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from app.callcontrol import routing
from app.db.session import tenant_session
from app.edge.models import Trunk
from tests.fixtures.app import TenantCtx
from tests.integration.seats.acd_setup import business

pytestmark = [pytest.mark.feature("EDGE-3"), pytest.mark.feature("TEN-5")]


async def add_trunk(
    tenant_id: UUID, name: str, host: str, business_id: str | None = None, active: bool = True
) -> None:
    async with tenant_session(tenant_id) as db:
        db.add(Trunk(tenant_id=tenant_id, name=name, host=host, is_active=active,
                     business_id=UUID(business_id) if business_id else None))  # fmt: skip


async def host(tenant_id: UUID, business_id: str | None) -> str | None:
    trunk = await routing.outbound_trunk(tenant_id, UUID(business_id) if business_id else None)
    return trunk.host if trunk else None


async def test_a_business_calls_out_on_its_own_trunk_else_the_shared_one(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    sales = await business(client, tenant, "Sales")
    support = await business(client, tenant, "Support")
    billing = await business(client, tenant, "Billing")
    t = tenant.tenant_id
    assert await host(t, None) is None  # no trunk at all: nothing to dial out on
    await add_trunk(other_tenant.tenant_id, "a-theirs", "10.9.9.9")
    assert await host(t, None) is None, "another tenant's trunk is never used"

    # Names sort "a-..." before "z-...": the business's own trunk wins over the order.
    await add_trunk(t, "a-support", "10.0.0.2", support)
    await add_trunk(t, "z-shared", "10.0.0.1")
    await add_trunk(t, "z-sales", "10.0.0.3", sales)
    await add_trunk(t, "b-billing-off", "10.0.0.4", billing, active=False)
    assert await host(t, sales) == "10.0.0.3"
    assert await host(t, support) == "10.0.0.2"
    assert await host(t, billing) == "10.0.0.1", "its own trunk is off: the shared one"
    assert await host(t, None) == "10.0.0.1", "a call of no business: the shared trunk"
