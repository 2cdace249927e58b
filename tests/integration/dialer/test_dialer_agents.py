"""The agent's side: number masking on every agent-facing endpoint (DIAL-6), daily plan
(DIAL-9), screen pop and dispositions (DIAL-7), callbacks with reminders (DIAL-5),
distribution and batch moves between groups (DIAL-1)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.dialer.actors import send_callback_reminders
from app.lib.events import read_events
from app.lib.redis import get_redis
from tests.fixtures.app import add_user
from tests.integration.dialer.conftest import agent_with_extension, import_now, make_campaign

PHONES = ["13800138000", "13800138001", "13800138002", "13800138003"]
CSV = "Phone,Name,Company\n" + "".join(f"{p},Customer {i},Firm\n" for i, p in enumerate(PHONES))


def assert_masked(body: object) -> None:
    """No customer number in any form (E.164 contains the national digits), nor the hidden
    middle digits of one; at least one masked number shown."""
    text = json.dumps(body)
    for phone in PHONES:
        assert phone not in text and phone[3:7] + phone[7:] not in text, text
    assert re.search(r"138\*{4}800\d", text), text


async def _campaign_for(client, tenant, agent_ids, **fields):
    c = await make_campaign(client, tenant, agentIds=agent_ids, script="Say hello", **fields)
    await client.post(f"/api/v1/dialer/campaigns/{c['id']}/start", headers=tenant.headers)
    await client.post(
        f"/api/v1/dialer/campaigns/{c['id']}/dispositions",
        headers=tenant.headers,
        json={"code": "sale", "label": "Sale", "isSuccess": True},
    )
    await client.post(
        f"/api/v1/dialer/campaigns/{c['id']}/dispositions",
        headers=tenant.headers,
        json={"code": "think_about_it", "label": "Will think", "isFinal": False},
    )
    await import_now(client, tenant, c["id"], CSV)
    return c


@pytest.mark.feature("DIAL-6")
async def test_agents_never_receive_a_real_number(client, tenant):
    agent, headers = await agent_with_extension(client, tenant, "801")
    c = await _campaign_for(client, tenant, [agent["id"]])

    plan = (await client.get("/api/v1/dialer/my/plan", headers=headers)).json()
    assert plan["remaining"] == 4 and len(plan["items"]) == 4
    assert_masked(plan)
    assert plan["items"][0]["phone"] == "138****8000"
    lead_id = plan["items"][0]["id"]

    pop = await client.get(f"/api/v1/dialer/leads/{lead_id}", headers=headers)
    assert pop.status_code == 200 and pop.json()["script"] == "Say hello"
    assert_masked(pop.json())

    dial = await client.post(f"/api/v1/dialer/leads/{lead_id}/dial", headers=headers, json={})
    assert dial.status_code == 202, dial.text
    assert_masked(dial.json())
    attempt_id = dial.json()["attemptId"]

    disp = await client.post(
        f"/api/v1/dialer/attempts/{attempt_id}/disposition",
        headers=headers,
        json={"code": "sale", "note": "Bought the premium plan"},
    )
    assert disp.status_code == 201, disp.text
    assert_masked(disp.json())

    cb = await client.post(
        f"/api/v1/dialer/leads/{plan['items'][1]['id']}/callbacks",
        headers=headers,
        json={"inDays": 2, "note": "after payday"},
    )
    assert cb.status_code == 201, cb.text
    assert_masked(cb.json())
    mine = (await client.get("/api/v1/dialer/my/callbacks", headers=headers)).json()
    assert len(mine) == 1
    assert_masked(mine)

    # Agents cannot reach the admin listing; admins and supervisors see real numbers.
    leads_url = f"/api/v1/dialer/campaigns/{c['id']}/leads"
    assert (await client.get(leads_url, headers=headers)).status_code == 403
    admin_view = (await client.get(leads_url, headers=tenant.headers)).json()
    assert "+8613800138000" in {x["phone"] for x in admin_view["items"]}
    admin_pop = (await client.get(f"/api/v1/dialer/leads/{lead_id}", headers=tenant.headers)).json()
    assert admin_pop["lead"]["phone"] == "+8613800138000"


@pytest.mark.feature("DIAL-6")
async def test_click_to_dial_sends_the_real_number_to_callcontrol_only(client, tenant):
    from app.calls.services import commands_list

    agent, headers = await agent_with_extension(client, tenant, "802")
    await _campaign_for(client, tenant, [agent["id"]])
    plan = (await client.get("/api/v1/dialer/my/plan", headers=headers)).json()
    dial = await client.post(
        f"/api/v1/dialer/leads/{plan['items'][0]['id']}/dial", headers=headers, json={}
    )
    assert dial.json()["phone"] == "138****8000" and dial.json()["extension"] == "802"
    queued = await get_redis().lrange(commands_list(tenant.tenant_id), 0, -1)
    command = json.loads(queued[-1])
    assert command["name"] == "click_to_call"
    assert command["args"]["number"] == "+8613800138000"
    assert command["args"]["leadId"] == plan["items"][0]["id"]


@pytest.mark.feature("DIAL-6")
async def test_an_agent_cannot_open_leads_given_to_someone_else(client, tenant):
    a1, h1 = await agent_with_extension(client, tenant, "803")
    a2, h2 = await agent_with_extension(client, tenant, "804")
    c = await _campaign_for(client, tenant, [a1["id"], a2["id"]])
    r = await client.post(
        f"/api/v1/dialer/campaigns/{c['id']}/distribute",
        headers=tenant.headers,
        json={"strategy": "even"},
    )
    assert sorted(r.json().values()) == [2, 2]
    plan1 = (await client.get("/api/v1/dialer/my/plan", headers=h1)).json()
    plan2 = (await client.get("/api/v1/dialer/my/plan", headers=h2)).json()
    assert plan1["remaining"] == plan2["remaining"] == 2
    theirs = plan2["items"][0]["id"]
    for method, path, body in [
        ("GET", f"/api/v1/dialer/leads/{theirs}", None),
        ("POST", f"/api/v1/dialer/leads/{theirs}/dial", {}),
        ("POST", f"/api/v1/dialer/leads/{theirs}/callbacks", {"inDays": 1}),
    ]:
        r = await client.request(method, path, headers=h1, json=body)
        assert r.status_code == 404, (path, r.text)


@pytest.mark.feature("DIAL-9")
async def test_daily_plan_counts_done_and_remaining(client, tenant):
    agent, headers = await agent_with_extension(client, tenant, "805")
    await _campaign_for(client, tenant, [agent["id"]])
    plan = (await client.get("/api/v1/dialer/my/plan", headers=headers)).json()
    assert (plan["done"], plan["remaining"]) == (0, 4)
    for item in plan["items"][:2]:
        dial = await client.post(
            f"/api/v1/dialer/leads/{item['id']}/dial", headers=headers, json={}
        )
        await client.post(
            f"/api/v1/dialer/attempts/{dial.json()['attemptId']}/disposition",
            headers=headers,
            json={"code": "sale"},
        )
    plan = (await client.get("/api/v1/dialer/my/plan", headers=headers)).json()
    assert (plan["done"], plan["remaining"]) == (2, 2)


@pytest.mark.feature("DIAL-5")
async def test_callback_reminder_event_is_masked_and_sent_once(client, tenant):
    agent, headers = await agent_with_extension(client, tenant, "806")
    await _campaign_for(client, tenant, [agent["id"]])
    plan = (await client.get("/api/v1/dialer/my/plan", headers=headers)).json()
    due = datetime.now(UTC) + timedelta(hours=1)
    r = await client.post(
        f"/api/v1/dialer/leads/{plan['items'][0]['id']}/callbacks",
        headers=headers,
        json={"at": due.isoformat(), "note": "call back"},
    )
    assert r.status_code == 201, r.text
    assert await send_callback_reminders(tenant.tenant_id, due - timedelta(minutes=10)) == 0
    assert await send_callback_reminders(tenant.tenant_id, due - timedelta(minutes=4)) == 1
    assert await send_callback_reminders(tenant.tenant_id, due) == 0  # once only
    events = await read_events(get_redis(), tenant.tenant_id, "0", count=1000)
    reminders = [f for _, f in events if f["type"] == "dialer.callback.reminder"]
    assert len(reminders) == 1 and reminders[0]["phone"] == "138****8000"
    assert reminders[0]["agentId"] == agent["id"]


@pytest.mark.feature("DIAL-1")
async def test_batch_move_between_groups_and_distribution_to_groups(client, tenant):
    agents = [await add_user(client, tenant, "agent") for _ in range(3)]
    groups = []
    for name in ("Day shift", "Night shift"):
        r = await client.post("/api/v1/dialer/groups/", headers=tenant.headers, json={"name": name})
        groups.append(r.json()["id"])
    ids = [a["id"] for a in agents]
    r = await client.post(
        f"/api/v1/dialer/groups/{groups[0]}/members", headers=tenant.headers, json={"userIds": ids}
    )
    assert r.json() == {"moved": 3}
    r = await client.post(
        f"/api/v1/dialer/groups/{groups[1]}/members",
        headers=tenant.headers,
        json={"userIds": ids[:2]},
    )
    listed = {
        g["name"]: g["userIds"]
        for g in (await client.get("/api/v1/dialer/groups/", headers=tenant.headers)).json()
    }
    assert sorted(listed["Night shift"]) == sorted(ids[:2]) and listed["Day shift"] == [ids[2]]

    c = await make_campaign(client, tenant, groupIds=groups)
    await import_now(
        client,
        tenant,
        c["id"],
        "Phone\n" + "\n".join(f"1380013{i:04d}" for i in range(7)) + "\n",
        {"phone": "Phone"},
    )
    r = await client.post(
        f"/api/v1/dialer/campaigns/{c['id']}/distribute",
        headers=tenant.headers,
        json={"strategy": "even", "groupIds": groups},
    )
    assert sorted(r.json().values()) == [3, 4]


@pytest.mark.feature("DIAL-1")
async def test_distribution_by_rule_on_a_custom_field(client, tenant):
    a1, a2 = (await add_user(client, tenant, "agent")), (await add_user(client, tenant, "agent"))
    c = await make_campaign(client, tenant)
    await import_now(
        client,
        tenant,
        c["id"],
        "Phone,City\n13800138000,Beijing\n13800138001,Shanghai\n13800138002,Beijing\n",
        {"phone": "Phone", "fields": {"city": "City"}},
    )
    r = await client.post(
        f"/api/v1/dialer/campaigns/{c['id']}/distribute",
        headers=tenant.headers,
        json={
            "strategy": "rule",
            "rules": [
                {"field": "city", "value": "Beijing", "agentId": a1["id"]},
                {"field": "city", "value": "Shanghai", "agentId": a2["id"]},
            ],
        },
    )
    assert r.json() == {a1["id"]: 2, a2["id"]: 1}
