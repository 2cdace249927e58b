"""TEN-4: every mutating request and every sign-in attempt is in the audit trail."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db.session import tenant_session
from tests.fixtures.app import add_user, login

pytestmark = pytest.mark.feature("TEN-4")


async def _audit(client, t, **params):
    r = await client.get("/api/v1/audit/", headers=t.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_mutations_are_recorded_with_actor_target_and_source(client, tenant):
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Renewals"})
    business_id = r.json()["id"]
    await client.patch(
        f"/api/v1/businesses/{business_id}", headers=tenant.headers, json={"description": "x"}
    )
    await client.delete(f"/api/v1/businesses/{business_id}", headers=tenant.headers)
    page = await _audit(client, tenant, action="business.")
    actions = [e["action"] for e in page["items"]]
    assert actions == ["business.delete", "business.update", "business.create"]  # newest first
    update = page["items"][1]
    assert update["actorEmail"] == tenant.admin_email
    assert update["targetType"] == "business" and update["targetId"] == business_id
    assert update["sourceIp"] == "127.0.0.1"
    assert (
        update["method"] == "PATCH"
        and update["statusCode"] == 200
        and update["outcome"] == "success"
    )


async def test_sign_in_success_and_failure_are_recorded(client, tenant):
    await login(client, tenant.slug, tenant.admin_email, "Bad-Password-000")
    await login(client, tenant.slug, tenant.admin_email)
    page = await _audit(client, tenant, action="auth.sign_in")
    outcomes = [(e["outcome"], e["detail"]["reason"]) for e in page["items"]]
    assert outcomes[:2] == [("success", "ok"), ("failed", "bad_credentials")]


async def test_refused_and_failed_requests_are_recorded_too(client, tenant):
    agent = await add_user(client, tenant, "agent")
    token = (await login(client, tenant.slug, agent["email"])).json()["token"]
    r = await client.post(
        "/api/v1/businesses/", headers={"Authorization": f"Bearer {token}"}, json={"name": "No"}
    )
    assert r.status_code == 403
    await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Dup"})
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Dup"})
    assert r.status_code == 409
    denied = await _audit(client, tenant, outcome="denied", actorEmail=agent["email"])
    assert denied["total"] == 1 and denied["items"][0]["statusCode"] == 403
    failed = await _audit(client, tenant, outcome="failed", action="business.create")
    assert failed["total"] == 1 and failed["items"][0]["statusCode"] == 409


async def test_audit_is_searchable_filterable_and_paginated(client, tenant):
    for i in range(5):
        await client.post(
            "/api/v1/caller-lists/",
            headers=tenant.headers,
            json={"listKind": "black", "number": f"1380000000{i}"},
        )
    page = await _audit(client, tenant, action="caller_list.add", limit=2, offset=0)
    assert page["total"] == 5 and len(page["items"]) == 2
    page2 = await _audit(client, tenant, action="caller_list.add", limit=2, offset=4)
    assert len(page2["items"]) == 1
    found = await _audit(client, tenant, search="caller-lists")
    assert found["total"] >= 5
    assert (await _audit(client, tenant, since="2999-01-01T00:00:00Z"))["total"] == 0


async def test_other_tenants_see_none_of_it(client, tenant, other_tenant):
    await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Private"})
    page = await _audit(client, other_tenant)
    assert all(e["actorEmail"] in (None, other_tenant.admin_email) for e in page["items"])


async def test_the_app_cannot_rewrite_history(tenant):
    with pytest.raises(DBAPIError, match="permission denied"):
        async with tenant_session(tenant.tenant_id) as s:
            await s.execute(text("DELETE FROM audit_entry"))
    with pytest.raises(DBAPIError, match="permission denied"):
        async with tenant_session(tenant.tenant_id) as s:
            await s.execute(text("UPDATE audit_entry SET action = 'nothing'"))


@pytest.fixture
def worker_process():
    """`fastline worker` as a real subprocess on the test Redis; stopped by its PID."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--processes", "1", "--threads", "1"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _wait_done(client, tenant, key):
    for _ in range(300):
        status = (await client.get(f"/api/v1/audit/exports/{key}", headers=tenant.headers)).json()
        if status["status"] == "done":
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"export {key} not done: {status}")


async def test_audit_export_runs_in_a_real_worker_and_is_idempotent(client, tenant, worker_process):
    """The Dramatiq actor runs in a real worker on Redis; a duplicate message changes nothing."""
    from app.tenants.actors import export_audit
    from app.worker.idempotency import job_status

    await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Exported"})
    r = await client.post("/api/v1/audit/exports", headers=tenant.headers, json={})
    assert r.status_code == 202
    key = r.json()["key"]
    status = await _wait_done(client, tenant, key)
    first_rows = status["result"]["rows"]
    csv_text = (await client.get(f"/api/v1/audit/exports/{key}/file", headers=tenant.headers)).text
    assert "business.create" in csv_text and tenant.admin_email in csv_text
    # More audit entries, then the same job again, then a fresh job behind it on the queue:
    # once the fresh one is done, the duplicate has been handled, and its result stood.
    await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "After"})
    export_audit.send(str(tenant.tenant_id), key)
    r = await client.post("/api/v1/audit/exports", headers=tenant.headers, json={})
    fresh = await _wait_done(client, tenant, r.json()["key"])
    assert fresh["result"]["rows"] > first_rows
    job = await job_status(tenant.tenant_id, key)
    assert job is not None and job.result["rows"] == first_rows
    assert job.result["objectKey"].startswith(f"tenant/{tenant.tenant_id}/exports/")
