"""IVR-1/IVR-2/IVR-3/IVR-6 through the API against real Postgres: catalogue, drafts, publish,
rollback, number binding, information entries, simulator, and tenant isolation."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.ivr_builder.simulator import ALLOW_PRIVATE_ENV

API = "/api/v1/ivr"


def node(node_id: str, type_: str, exits: dict[str, str] | None = None, **params: Any) -> dict:
    return {"id": node_id, "type": type_, "params": params, "exits": exits or {}}


def doc(start: str, *nodes: dict) -> dict:
    return {"start": start, "nodes": list(nodes)}


WELCOME = doc(
    "menu",
    node(
        "menu",
        "menu",
        {"1": "sales", "2": "hours", "max_retries": "bye"},
        text="Press 1 for sales, 2 for our hours",
        maxRetries=1,
    ),
    node("sales", "queue", queue="sales", priority=3),
    node("hours", "info_lookup", {"found": "bye", "not_found": "bye"}, table="hours", key="today"),
    node("bye", "hang_up"),
)
BROKEN = doc("a", node("a", "play_prompt", {"next": "nowhere"}))


async def create_flow(client, t, name=None, document=None) -> dict:
    body: dict[str, Any] = {"name": name or f"flow-{uuid.uuid4().hex[:6]}"}
    if document is not None:
        body["document"] = document
    r = await client.post(f"{API}/flows", headers=t.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def save(client, t, flow_id, document) -> dict:
    r = await client.put(
        f"{API}/flows/{flow_id}/draft", headers=t.headers, json={"document": document}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def publish(client, t, flow_id):
    return await client.post(f"{API}/flows/{flow_id}/publish", headers=t.headers)


async def simulate(client, t, **body):
    return await client.post(f"{API}/simulate", headers=t.headers, json=body)


@pytest.mark.feature("IVR-1", "IVR-2")
async def test_node_catalogue_gives_each_type_a_json_schema_and_exits(client, tenant):
    r = await client.get(f"{API}/node-types", headers=tenant.headers)
    assert r.status_code == 200
    types = {t["type"]: t for t in r.json()}
    assert len(types) == 17
    menu = types["menu"]
    assert menu["digitExits"] is True and "max_retries" in menu["requiredExits"]
    assert menu["paramsSchema"]["properties"]["timeoutSeconds"]["maximum"] == 120
    assert types["time_branch"]["exits"] == ["open", "closed", "holiday", "special"]
    assert types["time_branch"]["paramsSchema"]["required"] == ["calendarId"]
    assert types["say_text"]["paramsSchema"]["properties"]["voice"]["enum"] == ["", "en", "zh"]


@pytest.mark.feature("IVR-3")
async def test_draft_validate_publish_and_versions(client, tenant):
    flow = await create_flow(client, tenant)
    assert flow["draftVersion"] == 1 and flow["publishedVersion"] is None
    saved = await save(client, tenant, flow["id"], BROKEN)
    assert saved["valid"] is False  # an invalid draft is kept...
    assert saved["errors"][0] | {"message": ""} == {
        "code": "dangling_exit",
        "nodeId": "a",
        "exit": "next",
        "message": "",
    }
    r = await publish(client, tenant, flow["id"])  # ...but never published
    assert r.status_code == 400 and r.json()["code"] == "invalid_flow"
    assert {e["code"] for e in r.json()["errors"]} == {"dangling_exit", "missing_prompt"}
    checked = await client.post(f"{API}/flows/{flow['id']}/validate", headers=tenant.headers)
    assert checked.json()["valid"] is False and checked.json()["version"] == 1

    saved = await save(client, tenant, flow["id"], WELCOME)
    assert saved["valid"] is True and saved["version"]["number"] == 1
    r = await publish(client, tenant, flow["id"])
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert r.json()["publishedAt"] is not None
    again = await publish(client, tenant, flow["id"])
    assert again.status_code == 409  # nothing left to publish

    await save(client, tenant, flow["id"], doc("bye", node("bye", "hang_up")))
    got = (await client.get(f"{API}/flows/{flow['id']}", headers=tenant.headers)).json()
    assert (got["publishedVersion"], got["draftVersion"]) == (1, 2)
    versions = await client.get(f"{API}/flows/{flow['id']}/versions", headers=tenant.headers)
    assert [(v["number"], v["status"]) for v in versions.json()] == [(2, "draft"), (1, "published")]
    one = await client.get(f"{API}/flows/{flow['id']}/versions/1", headers=tenant.headers)
    assert one.json()["document"]["start"] == "menu"


@pytest.mark.feature("IVR-3")
async def test_rollback_republishes_an_earlier_version(client, tenant):
    flow = await create_flow(client, tenant, document=WELCOME)
    await publish(client, tenant, flow["id"])
    await save(client, tenant, flow["id"], doc("bye", node("bye", "hang_up", reason="v2")))
    assert (await publish(client, tenant, flow["id"])).json()["number"] == 2
    r = await client.post(
        f"{API}/flows/{flow['id']}/rollback", headers=tenant.headers, json={"version": 1}
    )
    assert r.status_code == 200 and r.json()["number"] == 1
    statuses = [
        (v["number"], v["status"])
        for v in (
            await client.get(f"{API}/flows/{flow['id']}/versions", headers=tenant.headers)
        ).json()
    ]
    assert statuses == [(2, "archived"), (1, "published")]
    # A call (the simulator without a draft) now runs version 1 again.
    sim = await simulate(client, tenant, flowId=flow["id"], digits=["1"])
    assert sim.json()["final"]["action"] == "enqueue"
    missing = await client.post(
        f"{API}/flows/{flow['id']}/rollback", headers=tenant.headers, json={"version": 9}
    )
    assert missing.status_code == 404


@pytest.mark.feature("IVR-3", "TEN-9")
async def test_numbers_point_only_at_published_flows_of_the_same_tenant(
    client, tenant, other_tenant
):
    number = (
        await client.post(
            "/api/v1/numbers/",
            headers=tenant.headers,
            json={"number": f"+86400{uuid.uuid4().int % 10**7:07d}"},
        )
    ).json()
    flow = await create_flow(client, tenant, document=WELCOME)
    url = f"{API}/flows/{flow['id']}/numbers/{number['id']}"
    assert (await client.put(url, headers=tenant.headers)).status_code == 409  # unpublished
    await publish(client, tenant, flow["id"])
    r = await client.put(url, headers=tenant.headers)
    assert r.status_code == 200 and r.json()["flowId"] == flow["id"]
    got = await client.get(f"/api/v1/numbers/{number['id']}", headers=tenant.headers)
    assert got.json()["flowId"] == flow["id"]

    theirs = await create_flow(client, other_tenant, document=WELCOME)
    await publish(client, other_tenant, theirs["id"])
    # Their flow, my number; my flow, their session: both are someone else's ids.
    forged = f"{API}/flows/{theirs['id']}/numbers/{number['id']}"
    assert (await client.put(forged, headers=tenant.headers)).status_code == 404
    assert (await client.put(forged, headers=other_tenant.headers)).status_code == 404
    assert (await client.get(f"/api/v1/numbers/{number['id']}", headers=tenant.headers)).json()[
        "flowId"
    ] == flow["id"]

    blocked = await client.delete(f"{API}/flows/{flow['id']}", headers=tenant.headers)
    assert blocked.status_code == 409  # a number still routes here
    assert (await client.delete(url, headers=tenant.headers)).status_code == 204
    assert (
        await client.delete(f"{API}/flows/{flow['id']}", headers=tenant.headers)
    ).status_code == 204


@pytest.mark.feature("IVR-3")
async def test_forged_flow_ids_get_404_everywhere(client, tenant, other_tenant):
    flow = await create_flow(client, tenant, document=WELCOME)
    await publish(client, tenant, flow["id"])
    base = f"{API}/flows/{flow['id']}"
    h = other_tenant.headers
    calls = [
        ("GET", base, None),
        ("PATCH", base, {"name": "hijack"}),
        ("PUT", f"{base}/draft", {"document": BROKEN}),
        ("POST", f"{base}/validate", None),
        ("POST", f"{base}/publish", None),
        ("POST", f"{base}/rollback", {"version": 1}),
        ("GET", f"{base}/versions", None),
        ("GET", f"{base}/versions/1", None),
        ("DELETE", base, None),
        ("POST", f"{API}/simulate", {"flowId": flow["id"]}),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, headers=h, **({"json": body} if body else {}))
        assert r.status_code == 404, (method, url, r.status_code)
    listing = (await client.get(f"{API}/flows", headers=h)).json()
    assert flow["id"] not in {f["id"] for f in listing["items"]}
    mine = (await client.get(base, headers=tenant.headers)).json()
    assert mine["name"] == flow["name"] and mine["draftVersion"] is None


@pytest.mark.feature("IVR-3")
async def test_sub_flows_must_be_published_flows_of_the_tenant(client, tenant, other_tenant):
    inner = await create_flow(
        client,
        tenant,
        document=doc(
            "hi", node("hi", "say_text", {"next": "ret"}, text="Inner"), node("ret", "return")
        ),
    )
    outer_doc = doc(
        "sub", node("sub", "sub_flow", {"next": "bye"}, flowId=inner["id"]), node("bye", "hang_up")
    )
    outer = await create_flow(client, tenant, document=outer_doc)
    r = await publish(client, tenant, outer["id"])
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "unknown_sub_flow"
    await publish(client, tenant, inner["id"])
    assert (await publish(client, tenant, outer["id"])).status_code == 200
    sim = (await simulate(client, tenant, flowId=outer["id"])).json()
    assert [h["text"] for h in sim["heard"]] == ["Inner"]
    assert [(p["depth"], p["nodeId"]) for p in sim["path"]][:3] == [
        (0, "sub"),
        (1, "hi"),
        (1, "ret"),
    ]
    # Another tenant cannot call my published flow as its sub-flow.
    theirs = await create_flow(client, other_tenant, document=outer_doc)
    r = await publish(client, other_tenant, theirs["id"])
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "unknown_sub_flow"
    busy = await client.delete(f"{API}/flows/{inner['id']}", headers=tenant.headers)
    assert busy.status_code == 409  # a published flow runs it


@pytest.mark.feature("IVR-6")
async def test_information_entries_are_read_live_by_calls(client, tenant, other_tenant):
    flow = await create_flow(client, tenant, document=WELCOME)
    put = await client.put(
        f"{API}/info/hours/today", headers=tenant.headers, json={"text": "Open nine to six"}
    )
    assert put.status_code == 200 and put.json()["table"] == "hours"
    sim = (await simulate(client, tenant, flowId=flow["id"], digits=["2"])).json()
    assert sim["heard"][-1]["text"] == "Open nine to six"
    await client.put(
        f"{API}/info/hours/today", headers=tenant.headers, json={"text": "Closed for the holiday"}
    )
    sim = (await simulate(client, tenant, flowId=flow["id"], digits=["2"])).json()
    assert sim["heard"][-1]["text"] == "Closed for the holiday"
    assert sim["variables"]["info"] == "Closed for the holiday"
    listing = (await client.get(f"{API}/info?table=hours", headers=tenant.headers)).json()
    assert [(e["key"], e["text"]) for e in listing["items"]] == [
        ("today", "Closed for the holiday")
    ]
    # The other tenant sees none of it and cannot remove it.
    assert (await client.get(f"{API}/info", headers=other_tenant.headers)).json()["total"] == 0
    gone = await client.delete(f"{API}/info/hours/today", headers=other_tenant.headers)
    assert gone.status_code == 404
    assert (
        await client.delete(f"{API}/info/hours/today", headers=tenant.headers)
    ).status_code == 204
    sim = (await simulate(client, tenant, flowId=flow["id"], digits=["2"])).json()
    assert [p["exit"] for p in sim["path"]][1] == "not_found"


class _Orders(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"order": {"status": "on its way"}}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def orders_server(monkeypatch) -> Iterator[str]:
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Orders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/orders"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.feature("IVR-3", "TEN-6", "TEN-7")
async def test_simulator_walks_a_full_flow_with_calendar_lists_and_http(
    client, tenant, orders_server
):
    calendar = (
        await client.post(
            "/api/v1/calendars/",
            headers=tenant.headers,
            json={
                "name": "Office",
                "timezone": "Asia/Shanghai",
                "weeklyHours": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
                "holidays": [{"date": "2026-10-01", "name": "National Day"}],
            },
        )
    ).json()
    r = await client.post(
        "/api/v1/caller-lists/",
        headers=tenant.headers,
        json={"listKind": "black", "number": "+8613900000009"},
    )
    assert r.status_code == 201
    document = doc(
        "lists",
        node("lists", "caller_list_branch", {"white": "time", "none": "time"}),
        node(
            "time",
            "time_branch",
            {"open": "ask", "closed": "closed", "holiday": "closed"},
            calendarId=calendar["id"],
        ),
        node("closed", "say_text", {"next": "vm"}, text="We are closed: ${calendar_rule}"),
        node("vm", "voicemail", mailbox="main"),
        node(
            "ask",
            "collect_digits",
            {"ok": "order", "max_retries": "bye"},
            text="Your order number?",
            variable="order",
        ),
        node(
            "order",
            "http_lookup",
            {"ok": "agent", "error": "agent"},
            url=orders_server,
            variables=["order"],
            assign={"status": "order.status"},
            speak="Order ${order} is ${status}",
        ),
        node("agent", "transfer", kind="extension", target="8001"),
        node("bye", "hang_up"),
    )
    flow = await create_flow(client, tenant, document=document)
    open_call = await simulate(
        client,
        tenant,
        flowId=flow["id"],
        callerNumber="13800000001",
        at="2026-11-25T10:00:00+08:00",
        digits=["", "123#"],
    )
    body = open_call.json()
    assert open_call.status_code == 200, body
    assert [h["text"] for h in body["heard"]] == [
        "Your order number?",
        "Your order number?",
        "Order 123 is on its way",
    ]
    assert [(p["nodeId"], p["exit"]) for p in body["path"]] == [
        ("lists", "none"),
        ("time", "open"),
        ("ask", "retry:timeout"),
        ("ask", "ok"),
        ("order", "ok"),
        ("agent", None),
    ]
    assert body["final"] == {
        "action": "transfer",
        "nodeId": "agent",
        "detail": {"kind": "extension", "target": "8001"},
    }
    assert body["httpCalls"] == [f"GET {orders_server}"]

    holiday = (
        await simulate(
            client,
            tenant,
            flowId=flow["id"],
            callerNumber="13800000001",
            at="2026-10-01T10:00:00+08:00",
        )
    ).json()
    assert holiday["heard"][0]["text"] == "We are closed: holiday National Day"
    assert holiday["final"]["action"] == "voicemail"

    blocked = (
        await simulate(client, tenant, flowId=flow["id"], callerNumber="+86 139-0000-0009")
    ).json()
    assert blocked["final"]["action"] == "hangup" and blocked["heard"] == []

    canned = (
        await simulate(
            client,
            tenant,
            flowId=flow["id"],
            at="2026-11-25T10:00:00+08:00",
            digits=["9#"],
            httpResponses={"order": {"status": 503}},
        )
    ).json()
    assert [p["exit"] for p in canned["path"] if p["nodeId"] == "order"] == ["error"]
    assert canned["httpCalls"] == [f"GET {orders_server}"]


@pytest.mark.feature("IVR-3")
async def test_simulating_an_unsaved_document_or_an_invalid_one(client, tenant):
    ok = await simulate(client, tenant, document=WELCOME, digits=[])
    assert ok.status_code == 200 and ok.json()["ended"] == "needs_input"
    assert ok.json()["final"]["action"] == "collect_digits"
    bad = await simulate(client, tenant, document=BROKEN)
    assert bad.status_code == 400 and bad.json()["errors"][0]["nodeId"] == "a"
    naive = await simulate(client, tenant, document=WELCOME, at="2026-11-25T10:00:00")
    assert naive.status_code == 400
