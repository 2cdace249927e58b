"""API-2: webhook endpoints fed from the tenant event stream, signed POSTs to a real loopback
receiver, retries with backoff, the delivery log, the test event, tenant isolation."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

import pytest

from app.api.delivery import attempt_delivery
from app.api.dispatcher import Dispatcher
from app.api.signing import SIGNATURE_HEADER, verify
from app.lib.events import add_event, events_stream
from app.lib.redis import get_redis
from tests.integration.api.helpers import Receiver

pytestmark = pytest.mark.feature("API-2")


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTLINE_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is on 127.0.0.1
    monkeypatch.setenv("FASTLINE_WEBHOOK_BACKOFF_MS", "50")
    monkeypatch.setenv("FASTLINE_WEBHOOK_MAX_ATTEMPTS", "4")


async def create_hook(client, tenant, url: str, events: list[str]) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/webhooks/", headers=tenant.headers, json={"url": url, "eventTypes": events}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


class Collector:
    def __init__(self) -> None:
        self.sent: list[tuple[UUID, UUID]] = []

    async def __call__(self, tenant_id: UUID, delivery_id: UUID) -> None:
        self.sent.append((tenant_id, delivery_id))


async def deliver_all(sent: list[tuple[UUID, UUID]]) -> None:
    """What the deliver_webhook actor does, attempt after attempt, honouring the backoff."""
    for tenant_id, delivery_id in sent:
        for _ in range(20):
            delay = await attempt_delivery(tenant_id, delivery_id)
            if delay is None:
                break
            await asyncio.sleep(delay)


async def test_signed_post_retried_after_a_500_and_logged(client, tenant):
    async with Receiver(statuses=[500]) as receiver:
        hook = await create_hook(client, tenant, receiver.url, ["call.state"])
        assert hook["secret"].startswith("whsec_")
        redis = get_redis()
        await add_event(redis, tenant.tenant_id, "agent_state", agent="a1", to="ready")
        await add_event(redis, tenant.tenant_id, "call.state", callKey="k1", state="answered")
        collector = Collector()
        dispatcher = Dispatcher(redis, send=collector)
        await dispatcher.refresh([tenant.tenant_id])
        assert await dispatcher.step(block_ms=200) == 1
        await deliver_all(collector.sent)
        assert len(receiver.received) == 2  # the 500, then the retry
    for got in receiver.received:
        assert got.path == "/hook"
        assert got.headers["content-type"] == "application/json"
        assert verify(hook["secret"], got.body, got.headers[SIGNATURE_HEADER.lower()])
        assert not verify("whsec_other", got.body, got.headers[SIGNATURE_HEADER.lower()])
        body = json.loads(got.body)
        assert body["type"] == "call.state" and body["tenantId"] == str(tenant.tenant_id)
        assert body["data"] == {"callKey": "k1", "state": "answered"}
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    [delivery] = r.json()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2
    assert [a["outcome"] for a in delivery["attemptLog"]] == ["http_error", "ok"]
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 200]
    assert all(a["latencyMs"] >= 0 for a in delivery["attemptLog"])
    # The entry was acknowledged: reading again dispatches nothing.
    assert await dispatcher.step(block_ms=50) == 0
    # The secret is never shown again.
    listed = (await client.get("/api/v1/webhooks/", headers=tenant.headers)).json()
    assert hook["secret"] not in json.dumps(listed)


async def test_gives_up_after_max_attempts(client, tenant):
    async with Receiver(statuses=[500, 502, 503, 500, 500]) as receiver:
        hook = await create_hook(client, tenant, receiver.url, ["*"])
        await add_event(get_redis(), tenant.tenant_id, "call_ended", talk_ms=1000)
        collector = Collector()
        dispatcher = Dispatcher(get_redis(), send=collector)
        await dispatcher.refresh([tenant.tenant_id])
        await dispatcher.step(block_ms=200)
        await deliver_all(collector.sent)
        assert len(receiver.received) == 4
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    [delivery] = r.json()
    assert delivery["status"] == "failed" and delivery["attempts"] == 4
    assert delivery["lastStatusCode"] == 500


async def test_tenant_a_events_never_reach_tenant_b(client, tenant, other_tenant):
    async with Receiver() as a_receiver, Receiver() as b_receiver:
        await create_hook(client, tenant, a_receiver.url, ["*"])
        await create_hook(client, other_tenant, b_receiver.url, ["*"])
        redis = get_redis()
        await add_event(redis, tenant.tenant_id, "call.arrived", callKey="secret-of-a")
        # An entry on A's stream that claims to be B's goes nowhere.
        await redis.xadd(
            events_stream(tenant.tenant_id),
            {"type": "call.arrived", "tenant": str(other_tenant.tenant_id), "at": "x"},
        )
        collector = Collector()
        dispatcher = Dispatcher(redis, send=collector)
        await dispatcher.refresh([tenant.tenant_id, other_tenant.tenant_id])
        await dispatcher.step(block_ms=200)
        await deliver_all(collector.sent)
        # Deliveries named with the wrong tenant find nothing to send.
        for tenant_id, delivery_id in collector.sent:
            wrong = other_tenant.tenant_id if tenant_id == tenant.tenant_id else tenant.tenant_id
            assert await attempt_delivery(wrong, delivery_id) is None
    assert len(a_receiver.received) == 1
    assert json.loads(a_receiver.received[0].body)["tenantId"] == str(tenant.tenant_id)
    assert b_receiver.received == []
    assert {t for t, _ in collector.sent} == {tenant.tenant_id}


async def test_send_test_event(client, tenant, other_tenant):
    async with Receiver() as receiver:
        hook = await create_hook(client, tenant, receiver.url, ["call_ended"])
        r = await client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=tenant.headers)
        assert r.status_code == 202, r.text
        await deliver_all([(tenant.tenant_id, UUID(r.json()["deliveryId"]))])
        assert len(receiver.received) == 1
        body = json.loads(receiver.received[0].body)
        assert body["type"] == "webhook.test" and body["data"] == {"webhookId": hook["id"]}
        # Another tenant cannot fire it.
        r = await client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=other_tenant.headers)
        assert r.status_code == 404


async def test_private_targets_are_refused_unless_allowed(client, tenant, monkeypatch):
    monkeypatch.setenv("FASTLINE_WEBHOOK_ALLOW_PRIVATE", "0")
    monkeypatch.setenv("FASTLINE_WEBHOOK_MAX_ATTEMPTS", "1")
    async with Receiver() as receiver:
        hook = await create_hook(client, tenant, receiver.url, ["*"])
        r = await client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=tenant.headers)
        await deliver_all([(tenant.tenant_id, UUID(r.json()["deliveryId"]))])
        assert receiver.received == []
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    [attempt] = r.json()[0]["attemptLog"]
    assert attempt["outcome"] == "error" and "non-public" in attempt["error"]


async def test_endpoint_validation_and_update(client, tenant):
    r = await client.post(
        "/api/v1/webhooks/",
        headers=tenant.headers,
        json={"url": "http://127.0.0.1:9/x", "eventTypes": ["no.such.event"]},
    )
    assert r.status_code == 400
    r = await client.post(
        "/api/v1/webhooks/",
        headers=tenant.headers,
        json={"url": "ftp://example.com/x", "eventTypes": ["*"]},
    )
    assert r.status_code == 400
    hook = await create_hook(client, tenant, "http://127.0.0.1:9/x", ["call.state"])
    r = await client.patch(
        f"/api/v1/webhooks/{hook['id']}",
        headers=tenant.headers,
        json={"enabled": False, "eventTypes": ["call.hold", "call.resume"]},
    )
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert r.json()["eventTypes"] == ["call.hold", "call.resume"]
    types = (await client.get("/api/v1/webhooks/event-types", headers=tenant.headers)).json()
    assert "call.state" in types and "agent_state" in types
    r = await client.delete(f"/api/v1/webhooks/{hook['id']}", headers=tenant.headers)
    assert r.status_code == 204


async def test_a_slow_receiver_times_out_and_is_retried(client, tenant, monkeypatch):
    monkeypatch.setenv("FASTLINE_WEBHOOK_TIMEOUT_S", "0.3")
    monkeypatch.setenv("FASTLINE_WEBHOOK_MAX_ATTEMPTS", "2")
    async with Receiver(delay=1.0) as receiver:
        hook = await create_hook(client, tenant, receiver.url, ["*"])
        r = await client.post(f"/api/v1/webhooks/{hook['id']}/test", headers=tenant.headers)
        await deliver_all([(tenant.tenant_id, UUID(r.json()["deliveryId"]))])
        assert len(receiver.received) == 2
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    [delivery] = r.json()
    assert delivery["status"] == "failed"
    assert [a["outcome"] for a in delivery["attemptLog"]] == ["timeout", "timeout"]
    assert all(250 <= a["latencyMs"] < 1000 for a in delivery["attemptLog"])


async def test_disabling_an_endpoint_cancels_its_retries(client, tenant):
    async with Receiver(statuses=[500, 500]) as receiver:
        hook = await create_hook(client, tenant, receiver.url, ["*"])
        await add_event(get_redis(), tenant.tenant_id, "call_ended", talk_ms=5)
        collector = Collector()
        dispatcher = Dispatcher(get_redis(), send=collector)
        await dispatcher.refresh([tenant.tenant_id])
        await dispatcher.step(block_ms=200)
        [(tenant_id, delivery_id)] = collector.sent
        assert await attempt_delivery(tenant_id, delivery_id) is not None  # a 500: retry due
        r = await client.patch(
            f"/api/v1/webhooks/{hook['id']}", headers=tenant.headers, json={"enabled": False}
        )
        assert r.status_code == 200
        assert await attempt_delivery(tenant_id, delivery_id) is None
        assert len(receiver.received) == 1
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    [delivery] = r.json()
    assert delivery["status"] == "cancelled" and delivery["attempts"] == 1
