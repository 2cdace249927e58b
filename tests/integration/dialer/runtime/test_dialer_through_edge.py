"""A dialer call with every SIP message through a real Kamailio (DIAL-2, DIAL-6, EDGE-2): the
B2BUA sends the lead's INVITE to the carrier trunk through the edge, and the person who
answers reaches the campaign's agent on a seat that REGISTERED through Kamailio with digest
auth."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from app.db.session import tenant_session
from app.dialer.cpa.synth import Label, make
from app.dialer.models import LeadStatus
from app.dialer.runtime import DialerRuntime
from app.edge.models import Trunk
from tests.integration.calls.edge_calls import (
    EdgeStack,
    edge_stack,
    next_seat_ip,
    next_trunk_ip,
    short_dir,
    sipp_args,
    stack,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp
from tests.integration.dialer.runtime_setup import (
    DialerTenant,
    campaign_with_leads,
    lead_state,
    scenario,
    wait_until,
    write_rtp_pcap,
)
from tests.integration.edge.sipp import injection_file, run_sipp
from tests.integration.kamailio_server import free_port
from tests.integration.seats.acd_setup import agent, business

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("EDGE-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
__all__ = ["edge_stack", "short_dir", "stack"]  # module fixtures, imported for pytest

PHONE = "+8613912345678"
SEAT_PASSWORD = "sip-secret-99"  # what acd_setup.agent gives the agent's extension


def register(stack: EdgeStack, ext: str, domain: str, seat: tuple[str, int]) -> None:
    """REGISTER ext@domain from `seat` through Kamailio, answering its 401 (RFC 3261 22)."""
    auth = f"[authentication username={ext} password={SEAT_PASSWORD}]"
    inf = injection_file(stack.workdir, f"reg-{ext}-{seat[0]}", [(ext, domain, auth)])
    host, port = stack.remote
    run = run_sipp("register.xml", stack.workdir, local=seat, remote=f"{host}:{port}",
                   args=("-inf", str(inf)))  # fmt: skip
    assert run.final == 200, (run.log, run.errors)


@pytest.mark.feature("DIAL-2")
@pytest.mark.feature("DIAL-6")
async def test_a_dialer_call_through_the_edge_connects_the_person_to_a_registered_agent(
    stack: EdgeStack, client: httpx.AsyncClient, runtime: list[DialerRuntime]
) -> None:
    carrier_at = (next_trunk_ip(), free_port())
    line = await stack.add_line(client, host=carrier_at[0], port=carrier_at[1],
                                source_ips=[carrier_at[0]], caller_id="+861088880000")  # fmt: skip
    tenant = line.tenant
    sales = await business(client, tenant)
    who = await agent(client, tenant, sales)
    seat = (next_seat_ip(), free_port())
    await asyncio.to_thread(register, stack, who.extension, line.domain, seat)
    async with tenant_session(tenant.tenant_id) as db:
        trunk_id = await db.scalar(select(Trunk.id).where(Trunk.tenant_id == tenant.tenant_id))
    assert trunk_id is not None
    t = DialerTenant(tenant, who, sales, trunk_id)
    r = await client.post("/api/v1/cti/sign-in", headers=who.headers, json={"ready": True})
    assert r.status_code == 200, r.text
    pcap = write_rtp_pcap(stack.workdir / "edge-human.pcap", make(Label.HUMAN, 3).pcm)
    phone = await Sipp(stack.workdir, "edge-agent", scenario(stack.workdir, "agent_seat",
                       media_port=9, talk_ms=1500), sipp_args(*seat)).start()  # fmt: skip
    customer = await Sipp(stack.workdir, "edge-customer", scenario(stack.workdir,
                          "customer_answers", ring_ms=300, pcap=pcap),
                          sipp_args(*carrier_at)).start()  # fmt: skip
    try:
        _, (lead_id,) = await campaign_with_leads(client, t, [PHONE])
        dialer = DialerRuntime(stack.b2bua, tenants=[tenant.tenant_id], tick=0.2, refresh=0.5)
        runtime.append(dialer)
        dialer.start()
        await wait_until(lambda: bool(dialer.finished), limit=40)
        agent_run, customer_run = await asyncio.gather(phone.wait(), customer.wait())
    finally:
        await phone.stop()
        await customer.stop()
    assert agent_run.returncode == 0, (agent_run.output, stack.kamailio.log_text()[-2000:])
    assert customer_run.returncode == 0, customer_run.output
    result = dialer.finished[0]
    assert (result.outcome, result.cpa_verdict) == ("answered", "human")
    assert result.agent_id == UUID(who.user_id)
    lead, (attempt,) = await lead_state(tenant.tenant_id, lead_id)
    assert lead.status == LeadStatus.DONE and attempt.outcome == "answered"
    await wait_until(lambda: bool(stack.ended))
    legs = stack.ended[-1].call.legs
    assert [leg.role for leg in legs] == ["customer", "agent"]
    assert all("13912345678" not in leg.to_uri + leg.from_uri for leg in legs), "DIAL-6"


@pytest.mark.feature("DIAL-3")
@pytest.mark.feature("DIAL-5")
@pytest.mark.parametrize(
    ("name", "outcome", "status", "status_after"),
    [("customer_busy", "busy", 486, LeadStatus.RETRY),
     ("customer_rings_out", "no_answer", 487, LeadStatus.RETRY)],
)  # fmt: skip
async def test_busy_and_ring_out_through_the_edge(
    stack: EdgeStack, client: httpx.AsyncClient, runtime: list[DialerRuntime],
    name: str, outcome: str, status: int, status_after: LeadStatus,
) -> None:  # fmt: skip
    """The carrier's 486, and our CANCEL after the ring time (its 487), pass through Kamailio."""
    carrier_at = (next_trunk_ip(), free_port())
    line = await stack.add_line(client, host=carrier_at[0], port=carrier_at[1],
                                source_ips=[carrier_at[0]], caller_id="+861088880000")  # fmt: skip
    tenant = line.tenant
    sales = await business(client, tenant)
    who = await agent(client, tenant, sales)
    async with tenant_session(tenant.tenant_id) as db:
        trunk_id = await db.scalar(select(Trunk.id).where(Trunk.tenant_id == tenant.tenant_id))
    assert trunk_id is not None
    r = await client.post("/api/v1/cti/sign-in", headers=who.headers, json={"ready": True})
    assert r.status_code == 200, r.text
    customer = await Sipp(stack.workdir, f"edge-{name}", scenario(stack.workdir, name),
                          sipp_args(*carrier_at)).start()  # fmt: skip
    try:
        t = DialerTenant(tenant, who, sales, trunk_id)
        _, (lead_id,) = await campaign_with_leads(client, t, [PHONE])
        dialer = DialerRuntime(stack.b2bua, tenants=[tenant.tenant_id], tick=0.2, refresh=0.5)
        runtime.append(dialer)
        dialer.start()
        await wait_until(lambda: bool(dialer.finished), limit=40)
        customer_run = await customer.wait()
    finally:
        await customer.stop()
    assert customer_run.returncode == 0, (customer_run.output, stack.kamailio.log_text()[-2000:])
    lead, (attempt,) = await lead_state(tenant.tenant_id, lead_id)
    assert (attempt.outcome, attempt.sip_status) == (outcome, status)
    assert lead.status == status_after
