"""BILL-2 with DIAL-2: a tenant whose unpaid call charges exceed its credit limit places no
campaign call; raised above them, the same campaign dials at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.callcontrol.b2bua import B2bua
from app.dialer import runtime as runtime_module
from app.dialer.runtime import DialerRuntime
from tests.integration.calls.conftest import free_udp_port
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, uas_args
from tests.integration.dialer.runtime.test_dialer_runtime import PHONE, sign_in, start_runtime
from tests.integration.dialer.runtime_setup import (
    campaign_with_leads,
    dialer_tenant,
    lead_state,
    scenario,
    wait_until,
)
from tests.integration.recordings.seed import seed_call

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("BILL-2", "DIAL-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
ACCOUNT = "/api/v1/billing/account"


async def test_over_its_credit_limit_a_tenant_dials_nothing_until_it_is_raised(
    b2bua: B2bua,
    client: httpx.AsyncClient,
    tmp_path: Path,
    runtime: list[DialerRuntime],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime_module, "CREDIT_EVERY", 0.3)
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    admin = t.tenant.headers
    # One rated, unpaid outbound call: 2 minutes at 1.00 a minute.
    rates = {"name": "Carrier", "currency": "cny", "rates": [
        {"prefix": "", "pricePerMinute": "1.00", "initialIncrement": 60, "increment": 60},
    ]}  # fmt: skip
    r = await client.put("/api/v1/billing/rate-tables/outbound", headers=admin, json=rates)
    assert r.status_code == 200, r.text
    ended = datetime.now(UTC) - timedelta(hours=1)
    await seed_call(t.tenant.tenant_id, ended, direction="outbound", to_number="+861012345678",
                    bridged_after=1, ended_after=121)  # fmt: skip
    assert (await client.post("/api/v1/billing/rating", headers=admin, json={})).is_success
    r = await client.put(ACCOUNT, headers=admin, json={"creditLimit": "1.00"})
    assert r.json()["mayDial"] is False, r.text

    await sign_in(client, t)
    customer = await Sipp(tmp_path, "customer", scenario(tmp_path, "customer_busy"),
                          uas_args(trunk_port)).start()  # fmt: skip
    _, (lead_id,) = await campaign_with_leads(client, t, [PHONE])
    r_time = start_runtime(b2bua, t, runtime)
    await asyncio.sleep(2.0)
    assert r_time.finished == [] and not b2bua.sessions, "nothing dialled over the limit"
    (live,) = r_time.campaigns.values()
    assert "Credit limit" in live.last_decision
    _, attempts = await lead_state(t.tenant.tenant_id, lead_id)
    assert attempts == [], "the lead was not even tried"

    r = await client.put(ACCOUNT, headers=admin, json={"creditLimit": "100.00"})
    assert r.json()["mayDial"] is True
    await wait_until(lambda: bool(r_time.finished), limit=20)
    assert (await customer.wait()).returncode == 0
    _, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert attempt.outcome == "busy"
