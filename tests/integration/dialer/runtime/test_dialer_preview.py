"""DIAL-2 preview: the agent dials a lead from the console; the agent's phone rings first and
shows the masked number (DIAL-6), then the customer is dialled on the campaign's trunk, and the
attempt is finished with the customer's answer and the campaign's retry rules (DIAL-5)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.call import LegRole
from app.dialer.models import LeadStatus
from tests.integration.calls.conftest import free_udp_port
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, seat_scenario, uas_args
from tests.integration.dialer.runtime.test_dialer_runtime import PHONE
from tests.integration.dialer.runtime_setup import (
    campaign_with_leads,
    dialer_tenant,
    lead_state,
    scenario,
    wait_until,
)

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("DIAL-2", "DIAL-5", "DIAL-6"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


async def test_a_previewed_lead_is_dialled_from_the_console_and_its_attempt_finished(
    b2bua: B2bua,
    client: httpx.AsyncClient,
    seat_port: int,
    tmp_path: Path,
) -> None:
    ended: list[CallSession] = []

    async def record(session: CallSession) -> None:
        ended.append(session)

    b2bua.on_call_end = record
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    _, (lead_id,) = await campaign_with_leads(client, t, [PHONE], mode="preview")
    agent_phone = await Sipp(
        tmp_path, "agent", seat_scenario(media_port=free_udp_port()), uas_args(seat_port)
    ).start()
    customer = await Sipp(
        tmp_path, "customer", scenario(tmp_path, "customer_busy"), uas_args(trunk_port)
    ).start()
    try:
        r = await client.post(
            f"/api/v1/dialer/leads/{lead_id}/dial", headers=t.agent.headers, json={}
        )
        assert r.status_code == 202, r.text
        assert r.json()["phone"] == "139****5678"

        async def finished() -> bool:
            _, attempts = await lead_state(t.tenant.tenant_id, lead_id)
            return bool(attempts) and attempts[0].outcome is not None

        await wait_until(finished, limit=20)
        assert (await customer.wait()).returncode == 0
    finally:
        await agent_phone.stop()
        await customer.stop()
        b2bua.on_call_end = None
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert (attempt.outcome, attempt.sip_status) == ("busy", 486)
    assert lead.status == LeadStatus.RETRY
    assert lead.next_attempt_at == attempt.ended_at + timedelta(minutes=10)  # type: ignore[operator]
    (session,) = ended
    assert attempt.call_key == session.call.key
    agent_leg = session.call.leg(LegRole.AGENT)
    assert agent_leg is not None and "139****5678" in agent_leg.from_uri
    assert "13912345678" not in agent_leg.from_uri, "the agent's phone never shows the number"
