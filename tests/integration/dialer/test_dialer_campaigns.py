"""Campaigns: settings, validation, start/pause, trunk channel budgets (DIAL-1, DIAL-10)."""

from __future__ import annotations

import pytest

from app.db.session import tenant_session
from app.edge.models import Trunk
from tests.integration.dialer.conftest import make_campaign

pytestmark = pytest.mark.feature("DIAL-1")


async def _trunk(tenant, channels: int) -> str:
    async with tenant_session(tenant.tenant_id) as s:
        trunk = Trunk(
            tenant_id=tenant.tenant_id, name="carrier", host="198.51.100.7", max_channels=channels
        )
        s.add(trunk)
        await s.flush()
        return str(trunk.id)


async def test_campaign_keeps_every_setting(client, tenant):
    c = await make_campaign(
        client,
        tenant,
        mode="predictive",
        startsOn="2026-12-01",
        endsOn="2026-12-31",
        windows=[
            {"start": "09:00", "end": "12:00"},
            {"start": "18:30", "end": "20:30", "days": [1, 2, 3, 4, 5]},
        ],
        timezone="Asia/Shanghai",
        callerId="+861088886666",
        maxChannels=8,
        retryRules={"busy": {"delayMinutes": 5, "maxAttempts": 4}},
        targetAbandonRate=0.02,
        manualRatio=1.5,
        maxRatio=2.5,
        minRingSeconds=20,
        script="Hello, this is Fastline.",
    )
    got = (await client.get(f"/api/v1/dialer/campaigns/{c['id']}", headers=tenant.headers)).json()
    assert got["status"] == "draft" and got["mode"] == "predictive"
    assert got["windows"][1] == {"start": "18:30", "end": "20:30", "days": [1, 2, 3, 4, 5]}
    assert got["retryRules"] == {"busy": {"delayMinutes": 5, "maxAttempts": 4}}
    assert got["manualRatio"] == 1.5 and got["minRingSeconds"] == 20


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"windows": [{"start": "20:30", "end": "18:30"}]}, "end must be after the start"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"startsOn": "2026-12-31", "endsOn": "2026-12-01"}, "ends before it starts"),
        (
            {"retryRules": {"answered_twice": {"delayMinutes": 1, "maxAttempts": 1}}},
            "no retry rule",
        ),
        ({"manualRatio": 5.0, "maxRatio": 2.0}, "manual ratio"),
    ],
)
async def test_invalid_settings_are_refused_with_a_reason(client, tenant, fields, message):
    body = {"name": "Bad", "windows": [{"start": "09:00", "end": "12:00"}], **fields}
    r = await client.post("/api/v1/dialer/campaigns/", headers=tenant.headers, json=body)
    assert r.status_code == 400
    assert message in r.json()["detail"]


async def test_start_pause_finish(client, tenant):
    c = await make_campaign(client, tenant)
    base = f"/api/v1/dialer/campaigns/{c['id']}"
    assert (await client.post(f"{base}/start", headers=tenant.headers)).json()[
        "status"
    ] == "running"
    assert (await client.post(f"{base}/pause", headers=tenant.headers)).json()["status"] == "paused"
    assert (await client.post(f"{base}/start", headers=tenant.headers)).json()[
        "status"
    ] == "running"
    assert (await client.post(f"{base}/finish", headers=tenant.headers)).json()[
        "status"
    ] == "finished"
    r = await client.post(f"{base}/start", headers=tenant.headers)
    assert r.status_code == 409 and "finished" in r.json()["detail"]


async def test_a_campaign_without_calling_windows_cannot_start(client, tenant):
    c = await make_campaign(client, tenant, windows=[])
    r = await client.post(f"/api/v1/dialer/campaigns/{c['id']}/start", headers=tenant.headers)
    assert r.status_code == 409 and "calling window" in r.json()["detail"]


@pytest.mark.feature("DIAL-10")
async def test_running_campaigns_never_overbook_a_trunk(client, tenant):
    trunk = await _trunk(tenant, channels=30)
    r = await client.post(
        "/api/v1/dialer/campaigns/",
        headers=tenant.headers,
        json={
            "name": "Too big",
            "trunkId": trunk,
            "maxChannels": 31,
            "windows": [{"start": "09:00", "end": "12:00"}],
        },
    )
    assert r.status_code == 400 and "has 30" in r.json()["detail"]
    a = await make_campaign(client, tenant, trunkId=trunk, maxChannels=20)
    b = await make_campaign(client, tenant, trunkId=trunk, maxChannels=15)
    assert (
        await client.post(f"/api/v1/dialer/campaigns/{a['id']}/start", headers=tenant.headers)
    ).status_code == 201
    r = await client.post(f"/api/v1/dialer/campaigns/{b['id']}/start", headers=tenant.headers)
    assert r.status_code == 409 and "already hold 20" in r.json()["detail"]
    # Shrinking B to what is left lets it run beside A; growing A past the budget is refused.
    b_body = {k: v for k, v in b.items() if k not in {"id", "status", "createdAt"}}
    r = await client.put(
        f"/api/v1/dialer/campaigns/{b['id']}",
        headers=tenant.headers,
        json={**b_body, "maxChannels": 10},
    )
    assert r.status_code == 200, r.text
    assert (
        await client.post(f"/api/v1/dialer/campaigns/{b['id']}/start", headers=tenant.headers)
    ).status_code == 201
    a_body = {k: v for k, v in a.items() if k not in {"id", "status", "createdAt"}}
    r = await client.put(
        f"/api/v1/dialer/campaigns/{a['id']}",
        headers=tenant.headers,
        json={**a_body, "maxChannels": 25},
    )
    assert r.status_code == 400 and "already hold 10" in r.json()["detail"]


async def test_other_tenants_trunks_agents_and_campaigns_are_out_of_reach(
    client, tenant, other_tenant
):
    foreign_trunk = await _trunk(other_tenant, channels=30)
    r = await client.post(
        "/api/v1/dialer/campaigns/",
        headers=tenant.headers,
        json={
            "name": "Thief",
            "trunkId": foreign_trunk,
            "windows": [{"start": "09:00", "end": "12:00"}],
        },
    )
    assert r.status_code == 400 and "no such trunk" in r.json()["detail"]
    theirs = await make_campaign(client, other_tenant)
    r = await client.get(f"/api/v1/dialer/campaigns/{theirs['id']}", headers=tenant.headers)
    assert r.status_code == 404
    listed = (await client.get("/api/v1/dialer/campaigns/", headers=tenant.headers)).json()
    assert theirs["id"] not in {c["id"] for c in listed}
