"""IVR-5: voicemail against real Postgres, Redis and sox: callcontrol stores a message; agents
see the new messages of their own boxes, listen, accept (one agent wins) and call back;
supervisors see the history and delete (soft, audited); other tenants see nothing."""

from __future__ import annotations

import asyncio
import io
import json
import math
import struct
import wave
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest

from app.ivr_builder.voicemail import box_for_mailbox, store_voicemail
from app.lib.keys import tenant_key
from app.lib.redis import get_redis
from tests.fixtures.app import TenantCtx, add_user, login, signup

pytestmark = pytest.mark.feature("IVR-5")
API = "/api/v1/voicemail"


def message_wav(seconds: float = 1.0) -> bytes:
    """What a caller leaves: here a tone, 16 kHz stereo, to be converted on the way in."""
    rate, frames = 16000, int(seconds * 16000)
    samples = [int(9000 * math.sin(2 * math.pi * 300 * i / rate)) for i in range(frames)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{2 * frames}h", *[s for s in samples for _ in (0, 1)]))
    return out.getvalue()


@dataclass
class Person:
    user_id: UUID
    headers: dict[str, str]


@dataclass
class Office:
    sales_box: UUID
    desk_box: UUID
    agent1: Person
    agent2: Person
    agent3: Person  # not in sales; owns extension 2003 and its box
    supervisor: Person


async def person(client, tenant, role: str) -> Person:
    user = await add_user(client, tenant, role)
    token = (await login(client, tenant.slug, user["email"])).json()["token"]
    return Person(UUID(user["id"]), {"Authorization": f"Bearer {token}"})


async def post(client, tenant, path, body):
    r = await client.post(path, headers=tenant.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
async def office_client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="module")
async def office_tenant(office_client) -> TenantCtx:
    return await signup(office_client, "vm")


@pytest.fixture(scope="module")
async def office(office_client, office_tenant) -> Office:
    """One office for the module (people cost a password hash each); tests use their own
    calls and check their own messages."""
    client, tenant = office_client, office_tenant
    sales = await post(client, tenant, "/api/v1/businesses/", {"name": "Sales"})
    agents = [await person(client, tenant, "agent") for _ in range(3)]
    for number, agent, business in [
        ("2001", agents[0], sales["id"]),
        ("2002", agents[1], sales["id"]),
        ("2003", agents[2], None),
    ]:
        await post(client, tenant, "/api/v1/extensions/", {"number": number,
                   "password": "sip-secret-77", "userId": str(agent.user_id),
                   "businessId": business})  # fmt: skip
    sales_box = await post(client, tenant, f"{API}/boxes", {"name": "sales",
                           "businessId": sales["id"], "queue": "sales"})  # fmt: skip
    desk_box = await post(client, tenant, f"{API}/boxes", {"name": "desk-2003",
                          "extension": "2003"})  # fmt: skip
    return Office(UUID(sales_box["id"]), UUID(desk_box["id"]), *agents,
                  supervisor=await person(client, tenant, "supervisor"))  # fmt: skip


async def leave(tenant, box_id, call_key, caller="+8613800138000", callback=""):
    return await store_voicemail(tenant.tenant_id, box_id, caller, callback, message_wav(),
                                 call_key=call_key)  # fmt: skip


async def new_ids(client, who: Person) -> list[str]:
    r = await client.get(f"{API}/messages?status=new", headers=who.headers)
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()["items"]]


async def test_a_stored_message_reaches_the_agents_of_its_box_only(client, office_tenant, office):
    events = get_redis().pubsub()
    await events.subscribe(tenant_key(office_tenant.tenant_id, "events"))
    assert await box_for_mailbox(office_tenant.tenant_id, "sales") == office.sales_box
    message_id = await leave(office_tenant, office.sales_box, "call-1", callback="138-0013-9999")
    assert await leave(office_tenant, office.sales_box, "call-1") == message_id  # a retried store

    assert str(message_id) in await new_ids(client, office.agent1)
    assert str(message_id) in await new_ids(client, office.agent2)
    assert str(message_id) not in await new_ids(client, office.agent3)
    r = await client.get(f"{API}/messages/{message_id}", headers=office.agent3.headers)
    assert r.status_code == 404
    message = (
        await client.get(f"{API}/messages/{message_id}", headers=office.agent1.headers)
    ).json()
    assert message["callerNumber"] == "+8613800138000"
    assert message["callbackNumber"] == "13800139999" and message["status"] == "new"
    assert message["durationSeconds"] == pytest.approx(1.0, abs=0.01)

    boxes = (await client.get(f"{API}/boxes", headers=office.agent3.headers)).json()
    assert [b["name"] for b in boxes] == ["desk-2003"]
    everything = (await client.get(f"{API}/boxes", headers=office.supervisor.headers)).json()
    assert {b["name"] for b in everything} == {"sales", "desk-2003"}

    event = None
    for _ in range(50):
        event = await events.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if event:
            break
    await events.aclose()
    assert event is not None and json.loads(event["data"])["type"] == "voicemail.new"


async def test_listening_marks_heard_and_only_one_agent_can_accept(client, office_tenant, office):
    message_id = await leave(office_tenant, office.sales_box, "call-2")
    r = await client.get(f"{API}/messages/{message_id}/audio", headers=office.agent2.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    assert str(message_id) not in await new_ids(client, office.agent1)
    r = await client.get(f"{API}/messages/{message_id}", headers=office.agent1.headers)
    assert r.json()["status"] == "heard" and r.json()["heardBy"] == str(office.agent2.user_id)

    # Both agents press "accept" at the same moment: one wins, the other is told who has it.
    accepts = await asyncio.gather(
        *(client.post(f"{API}/messages/{message_id}/accept", headers=a.headers)
          for a in (office.agent1, office.agent2))
    )  # fmt: skip
    assert sorted(r.status_code for r in accepts) == [200, 409]
    winner_response = next(r for r in accepts if r.status_code == 200).json()
    winner = next(a for a in (office.agent1, office.agent2)
                  if str(a.user_id) == winner_response["acceptedBy"])  # fmt: skip
    loser = office.agent2 if winner is office.agent1 else office.agent1
    refused = next(r for r in accepts if r.status_code == 409).json()
    assert refused["acceptedBy"] == str(winner.user_id) and "already accepted" in refused["detail"]

    r = await client.post(f"{API}/messages/{message_id}/called-back", headers=loser.headers)
    assert r.status_code == 403
    r = await client.post(f"{API}/messages/{message_id}/called-back", headers=winner.headers)
    assert r.status_code == 200 and r.json()["status"] == "called_back"
    assert r.json()["calledBackBy"] == str(winner.user_id)


async def test_callcontrol_may_hand_over_a_file_and_bad_audio_is_refused(
    client, office_tenant, office, tmp_path
):
    recorded = tmp_path / "message.wav"
    recorded.write_bytes(message_wav(2.0))
    message_id = await store_voicemail(office_tenant.tenant_id, office.desk_box, "13800001234",
                                       "", recorded, call_key="call-file")  # fmt: skip
    r = await client.get(f"{API}/messages/{message_id}", headers=office.agent3.headers)
    assert r.json()["durationSeconds"] == pytest.approx(2.0, abs=0.01)
    assert r.json()["callbackNumber"] == "13800001234"  # none keyed: the calling number
    with pytest.raises(ValueError, match="not a WAV or MP3"):
        await store_voicemail(office_tenant.tenant_id, office.desk_box, "1", "", b"silence")


async def test_called_back_needs_an_accepted_message(client, office_tenant, office):
    message_id = await leave(office_tenant, office.desk_box, "call-3")
    r = await client.post(f"{API}/messages/{message_id}/called-back", headers=office.agent3.headers)
    assert r.status_code == 409 and "Accept the message" in r.json()["detail"]


async def test_supervisors_see_history_with_filters_and_delete_softly(
    client, office_tenant, office
):
    first = await leave(office_tenant, office.sales_box, "call-4", caller="+8613900001111")
    second = await leave(office_tenant, office.desk_box, "call-5", caller="+8613900002222")
    sup = office.supervisor.headers
    r = await client.get(f"{API}/messages?number=2222", headers=sup)
    assert [m["id"] for m in r.json()["items"]] == [str(second)]
    r = await client.get(f"{API}/messages?boxId={office.sales_box}", headers=sup)
    assert str(first) in [m["id"] for m in r.json()["items"]]
    assert str(second) not in [m["id"] for m in r.json()["items"]]

    r = await client.delete(f"{API}/messages/{first}", headers=office.agent1.headers)
    assert r.status_code == 403
    r = await client.delete(f"{API}/messages/{first}", headers=sup)
    assert r.status_code == 204
    assert str(first) not in await new_ids(client, office.agent1)
    assert str(first) not in [
        m["id"] for m in (await client.get(f"{API}/messages", headers=sup)).json()["items"]
    ]
    deleted = (await client.get(f"{API}/messages?status=deleted", headers=sup)).json()["items"]
    assert [m["id"] for m in deleted] == [str(first)]  # the only deletion in this office
    assert deleted[0]["deletedBy"] == str(office.supervisor.user_id)
    r = await client.get(f"{API}/messages?status=deleted", headers=office.agent1.headers)
    assert r.status_code == 403
    r = await client.get(f"{API}/messages/{first}/audio", headers=office.agent1.headers)
    assert r.status_code == 404
    audit = (
        await client.get(
            "/api/v1/audit/?action=voicemail.delete&outcome=success", headers=office_tenant.headers
        )
    ).json()
    assert [e["targetId"] for e in audit["items"]] == [str(first)]

    r = await client.delete(f"{API}/boxes/{office.sales_box}", headers=office_tenant.headers)
    assert r.status_code == 409 and "deactivate it instead" in r.json()["detail"]
    r = await client.patch(f"{API}/boxes/{office.sales_box}", headers=office_tenant.headers,
                           json={"isActive": False})  # fmt: skip
    assert r.status_code == 200
    assert await box_for_mailbox(office_tenant.tenant_id, "sales") is None


async def test_boxes_refuse_targets_of_another_tenant(client, office_tenant, other_tenant, office):
    foreign = await post(client, other_tenant, "/api/v1/businesses/", {"name": "Theirs"})
    r = await client.post(f"{API}/boxes", headers=office_tenant.headers,
                          json={"name": "x", "businessId": foreign["id"]})  # fmt: skip
    assert r.status_code == 404
    r = await client.post(f"{API}/boxes", headers=office_tenant.headers,
                          json={"name": "y", "extension": "4999"})  # fmt: skip
    assert r.status_code == 404


async def test_another_tenant_sees_no_box_and_no_message(
    client, office_tenant, other_tenant, office
):
    message_id = await leave(office_tenant, office.sales_box, "call-6")
    for path in [f"messages/{message_id}", f"messages/{message_id}/audio"]:
        r = await client.get(f"{API}/{path}", headers=other_tenant.headers)
        assert r.status_code == 404
    r = await client.post(f"{API}/messages/{message_id}/accept", headers=other_tenant.headers)
    assert r.status_code == 404
    assert (await client.get(f"{API}/messages", headers=other_tenant.headers)).json()["total"] == 0
    assert (await client.get(f"{API}/boxes", headers=other_tenant.headers)).json() == []
    assert await box_for_mailbox(other_tenant.tenant_id, "sales") is None
    with pytest.raises(LookupError):
        await store_voicemail(other_tenant.tenant_id, office.sales_box, "1", "", message_wav())
