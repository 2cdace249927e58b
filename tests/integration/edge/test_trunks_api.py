"""EDGE-3 / TEN-9 / TEN-5 / DIAL-10: a tenant's trunks over the REST API.

Addresses here are from TEST-NET-2 (198.51.100.0/24) and TEST-NET-3 (203.0.113.0/24), one
block per test, so claims of one test never meet another's in the shared database.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.callcontrol import routing
from app.db.session import tenant_session
from app.dialer.models import Campaign, CampaignStatus
from tests.fixtures.app import add_user, login, signup

pytestmark = [pytest.mark.feature("EDGE-3"), pytest.mark.feature("TEN-9")]

URL = "/api/v1/trunks/"


def _trunk(**over):
    body = {
        "name": "China Telecom",
        "host": "sip.carrier.example",
        "port": 5060,
        "transport": "udp",
        "sourceIps": [],
        "username": "acct-1",
        "password": "Carrier-Secret-1",
        "callerId": "+862150000000",
        "maxChannels": 30,
    }
    return body | over


async def test_trunk_crud_keeps_the_password_secret_and_is_audited(client, tenant):
    r = await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=["198.51.100.7"]))
    assert r.status_code == 201, r.text
    trunk = r.json()
    assert trunk["sourceIps"] == ["198.51.100.7"] and trunk["isActive"] is True
    assert trunk["hasPassword"] is True and "password" not in trunk
    assert "Carrier-Secret-1" not in r.text

    page = (await client.get(URL, headers=tenant.headers)).json()
    assert [t["name"] for t in page["items"]] == ["China Telecom"] and page["total"] == 1

    # callcontrol answers the carrier's digest challenge with what the API stored (UAC auth).
    target = await routing.outbound_trunk(tenant.tenant_id)
    assert target is not None
    assert (target.username, target.password) == ("acct-1", "Carrier-Secret-1")
    assert (target.host, target.port, target.caller_id) == (
        "sip.carrier.example",
        5060,
        "+862150000000",
    )

    tid = trunk["id"]
    r = await client.patch(
        f"{URL}{tid}",
        headers=tenant.headers,
        json={"port": 5080, "sourceIps": ["198.51.100.8", "198.51.100.16/29"], "isActive": False},
    )
    assert r.status_code == 200, r.text
    assert r.json()["port"] == 5080 and r.json()["isActive"] is False
    assert r.json()["sourceIps"] == ["198.51.100.8", "198.51.100.16/29"]
    assert r.json()["hasPassword"] is True  # unchanged when not sent
    r = await client.patch(f"{URL}{tid}", headers=tenant.headers, json={"password": ""})
    assert r.json()["hasPassword"] is False

    assert (await client.delete(f"{URL}{tid}", headers=tenant.headers)).status_code == 204
    assert (await client.get(f"{URL}{tid}", headers=tenant.headers)).status_code == 404

    r = await client.get("/api/v1/audit/", headers=tenant.headers, params={"action": "trunk."})
    actions = [e["action"] for e in r.json()["items"]]
    assert actions == ["trunk.delete", "trunk.update", "trunk.update", "trunk.create"]
    assert r.json()["items"][0]["targetType"] == "trunk"
    assert r.json()["items"][0]["targetId"] == tid


@pytest.mark.parametrize(
    ("over", "status", "code"),
    [
        ({"sourceIps": ["198.51.100.300"]}, 400, "invalid_source"),
        ({"sourceIps": ["198.51.100.9/24"]}, 400, "invalid_source"),  # host bits set
        ({"sourceIps": ["10.0.0.0/8"]}, 400, "source_too_wide"),
        ({"sourceIps": ["0.0.0.0"]}, 400, "invalid_source"),
        ({"sourceIps": ["224.0.0.1"]}, 400, "invalid_source"),
        ({"host": "sip:carrier.example"}, 400, "invalid_host"),
        ({"host": "bad host"}, 400, "invalid_host"),
        ({"port": 0}, 400, None),
        ({"port": 65536}, 400, None),
        ({"transport": "sctp"}, 400, None),
        ({"callerId": "call me"}, 400, None),
        ({"maxChannels": 0}, 400, None),
        ({"name": ""}, 400, None),
    ],
)
async def test_bad_trunks_are_refused_with_problem_json(client, tenant, over, status, code):
    r = await client.post(URL, headers=tenant.headers, json=_trunk(**over))
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    if code:
        assert body["code"] == code and body["field"] in ("sourceIps", "host"), body
        assert body["detail"]
    else:
        assert body["errors"], body
    assert (await client.get(URL, headers=tenant.headers)).json()["total"] == 0


async def test_host_bits_get_a_hint(client, tenant):
    r = await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=["198.51.100.9/24"]))
    assert "Did you mean 198.51.100.0/24?" in r.json()["detail"]


@pytest.mark.feature("TEN-2")
async def test_another_tenants_address_is_not_available_and_nothing_is_revealed(
    client, tenant, other_tenant
):
    r = await client.post(
        URL,
        headers=other_tenant.headers,
        json=_trunk(name="Their carrier", sourceIps=["203.0.113.8/29"]),
    )
    assert r.status_code == 201, r.text
    their_id = r.json()["id"]
    for sources in (["203.0.113.9"], ["203.0.113.0/28"], ["203.0.113.200", "203.0.113.12"]):
        r = await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=sources))
        assert r.status_code == 409, r.text
        body = r.json()
        assert body["code"] == "address_not_available"
        assert "not available" in body["detail"]
        for secret in (other_tenant.slug, str(other_tenant.tenant_id), "Their carrier", their_id):
            assert secret not in r.text
    # Nor by moving an existing trunk onto it.
    mine = (await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=[]))).json()
    r = await client.patch(
        f"{URL}{mine['id']}", headers=tenant.headers, json={"sourceIps": ["203.0.113.14"]}
    )
    assert r.status_code == 409 and r.json()["code"] == "address_not_available"
    # A free neighbour is fine.
    r = await client.patch(
        f"{URL}{mine['id']}", headers=tenant.headers, json={"sourceIps": ["203.0.113.16"]}
    )
    assert r.status_code == 200, r.text

    # Their trunk is a 404 to us, whatever we try; our list does not show it.
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        r = await getattr(client, method)(f"{URL}{their_id}", headers=tenant.headers, **kwargs)
        assert r.status_code == 404, (method, r.text)
    names = [t["name"] for t in (await client.get(URL, headers=tenant.headers)).json()["items"]]
    assert "Their carrier" not in names
    r = await client.get(f"{URL}{their_id}", headers=other_tenant.headers)
    assert r.json()["name"] == "Their carrier"  # untouched


async def test_own_overlapping_address_names_own_trunk(client, tenant):
    r = await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=["203.0.113.64/28"]))
    assert r.status_code == 201
    r = await client.post(
        URL, headers=tenant.headers, json=_trunk(name="Backup", sourceIps=["203.0.113.70"])
    )
    assert r.status_code == 409 and r.json()["code"] == "address_in_use"
    assert "China Telecom" in r.json()["detail"]
    r = await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=[]))
    assert r.status_code == 409 and r.json()["code"] == "name_in_use"


@pytest.mark.feature("TEN-5")
async def test_trunk_serves_one_business_of_its_own_tenant(client, tenant, other_tenant):
    biz = (
        await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Renewals"})
    ).json()
    theirs = (
        await client.post("/api/v1/businesses/", headers=other_tenant.headers, json={"name": "X"})
    ).json()
    r = await client.post(URL, headers=tenant.headers, json=_trunk(businessId=theirs["id"]))
    assert r.status_code == 404 and r.json()["code"] == "no_such_business"
    r = await client.post(URL, headers=tenant.headers, json=_trunk(businessId=biz["id"]))
    assert r.status_code == 201 and r.json()["businessId"] == biz["id"]
    tid = r.json()["id"]
    listed = await client.get(URL, headers=tenant.headers, params={"businessId": biz["id"]})
    assert [t["id"] for t in listed.json()["items"]] == [tid]
    r = await client.patch(f"{URL}{tid}", headers=tenant.headers, json={"clearBusiness": True})
    assert r.json()["businessId"] is None


@pytest.mark.feature("TEN-2")
async def test_supervisor_reads_trunks_and_only_admins_change_them(client, tenant):
    r = await client.post(URL, headers=tenant.headers, json=_trunk())
    tid = r.json()["id"]
    for role, can_read in (("supervisor", True), ("agent", False)):
        user = await add_user(client, tenant, role)
        token = (await login(client, tenant.slug, user["email"])).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get(URL, headers=headers)).status_code == (200 if can_read else 403)
        assert (await client.post(URL, headers=headers, json=_trunk(name="x"))).status_code == 403
        r = await client.patch(f"{URL}{tid}", headers=headers, json={"port": 5062})
        assert r.status_code == 403
        assert (await client.delete(f"{URL}{tid}", headers=headers)).status_code == 403


@pytest.mark.feature("DIAL-10")
async def test_running_campaigns_keep_their_trunk_channels(client, tenant):
    r = await client.post(URL, headers=tenant.headers, json=_trunk(maxChannels=20))
    tid = r.json()["id"]
    async with tenant_session(tenant.tenant_id) as session:
        session.add(
            Campaign(
                tenant_id=tenant.tenant_id,
                name="Spring renewals",
                status=CampaignStatus.RUNNING,
                trunk_id=tid,
                max_channels=12,
            )
        )
    r = await client.patch(f"{URL}{tid}", headers=tenant.headers, json={"maxChannels": 10})
    assert r.status_code == 409 and r.json()["code"] == "channels_in_use", r.text
    r = await client.patch(f"{URL}{tid}", headers=tenant.headers, json={"maxChannels": 12})
    assert r.status_code == 200
    r = await client.delete(f"{URL}{tid}", headers=tenant.headers)
    assert r.status_code == 409 and "Spring renewals" in r.json()["detail"]


async def test_unknown_tenant_ids_in_a_body_are_ignored(client, tenant):
    other = await signup(client, "spoof")
    body = _trunk(tenantId=str(other.tenant_id))
    r = await client.post(URL, headers=tenant.headers, json=body)
    assert r.status_code == 201
    assert (await client.get(URL, headers=other.headers)).json()["total"] == 0


async def test_callcontrol_finds_the_trunk_of_an_address_inside_its_block(client, tenant):
    r = await client.post(URL, headers=tenant.headers, json=_trunk(sourceIps=["203.0.113.128/29"]))
    tid = r.json()["id"]
    query = text("SELECT tenant_id, trunk_id FROM trunk_for_source(:ip)")
    async with tenant_session(tenant.tenant_id) as session:
        inside = (await session.execute(query, {"ip": "203.0.113.133"})).all()
        outside = (await session.execute(query, {"ip": "203.0.113.136"})).all()
        garbage = (await session.execute(query, {"ip": "not-an-address"})).all()
    assert [(str(a), str(b)) for a, b in inside] == [(str(tenant.tenant_id), tid)]
    assert outside == [] and garbage == []
