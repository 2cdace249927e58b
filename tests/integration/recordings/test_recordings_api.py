"""REC-2: recordings search, metadata, listened/unlistened per user, playback with HTTP Range
(what an <audio> element sends to seek), download; agents see only their own calls, masked;
another tenant gets 404 everywhere."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from app.lib.storage import get_storage
from app.recordings.services import recording_object_key
from tests.fixtures.app import TenantCtx
from tests.integration.recordings.seed import seed_call, seed_recording
from tests.integration.recordings.test_calls_search import DAY1, DAY2, as_role

pytestmark = pytest.mark.feature("REC-2")


async def recorded_call(t: TenantCtx, agent: str | None = None, day=DAY1) -> tuple[str, bytes]:
    _, key = await seed_call(
        t.tenant_id, day, agent_user_id=UUID(agent) if agent else None,
        bridged_after=2, ended_after=40,
    )  # fmt: skip
    rec = await seed_recording(t.tenant_id, key, seconds=1.5)
    return str(rec), get_storage().get(recording_object_key(t.tenant_id, key))


async def test_playback_honours_byte_ranges_and_download_is_an_attachment(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    rec, wav = await recorded_call(tenant)
    url = f"/api/v1/recordings/{rec}/audio"
    full = await client.get(url, headers=tenant.headers)
    assert full.status_code == 200
    assert full.content == wav and full.headers["content-type"].startswith("audio/wav")
    assert full.headers["accept-ranges"] == "bytes"
    assert full.headers["content-length"] == str(len(wav))
    assert full.headers["content-disposition"].startswith("inline")
    size = len(wav)
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-10": (size - 10, size - 1),
        f"bytes=1000-{size + 5000}": (1000, size - 1),  # past the end: clamped
    }
    for header, (start, end) in cases.items():
        r = await client.get(url, headers=tenant.headers | {"Range": header})
        assert r.status_code == 206, header
        assert r.headers["content-range"] == f"bytes {start}-{end}/{size}", header
        assert r.content == wav[start : end + 1], header
    r = await client.get(url, headers=tenant.headers | {"Range": f"bytes={size}-"})
    assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}"
    d = await client.get(f"/api/v1/recordings/{rec}/download", headers=tenant.headers)
    assert d.status_code == 200 and d.content == wav
    assert d.headers["content-disposition"].startswith("attachment; filename=")
    meta = (await client.get(f"/api/v1/recordings/{rec}", headers=tenant.headers)).json()
    assert (meta["durationSeconds"], meta["sizeBytes"]) == (1.5, size)


async def test_listened_status_is_per_user(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    rec, _ = await recorded_call(tenant)
    other_rec, _ = await recorded_call(tenant, day=DAY2)
    supervisor, _ = await as_role(client, tenant, "supervisor")
    h = tenant.headers

    async def listed(headers: dict[str, str], listened: str) -> set[str]:
        r = await client.get("/api/v1/recordings/", headers=headers, params={"listened": listened})
        assert r.status_code == 200, r.text
        return {item["recording"]["id"] for item in r.json()["items"]}

    assert await listed(h, "false") == {rec, other_rec}
    r = await client.post(f"/api/v1/recordings/{rec}/listened", headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["listened"], r.json()["timesListened"]) == (True, 1)
    again = (await client.post(f"/api/v1/recordings/{rec}/listened", headers=h)).json()
    assert again["timesListened"] == 2
    assert await listed(h, "true") == {rec}
    assert await listed(h, "false") == {other_rec}
    assert await listed(supervisor, "false") == {rec, other_rec}, "marks are per user"
    r = await client.delete(f"/api/v1/recordings/{rec}/listened", headers=h)
    assert r.json()["listened"] is False
    assert await listed(h, "true") == set()


async def test_agents_hear_only_their_own_calls_and_tenants_are_apart(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    agent, agent_id = await as_role(client, tenant, "agent")
    _, someone_else = await as_role(client, tenant, "agent")
    own, _ = await recorded_call(tenant, agent_id)
    theirs, _ = await recorded_call(tenant, someone_else)
    r = await client.get("/api/v1/recordings/", headers=agent)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert item["recording"]["id"] == own and item["fromNumber"] == "138****8000"
    assert (await client.get(f"/api/v1/recordings/{own}/audio", headers=agent)).status_code == 200
    for path in ("", "/audio", "/download"):
        r = await client.get(f"/api/v1/recordings/{theirs}{path}", headers=agent)
        assert r.status_code == 404, path
    assert (
        await client.post(f"/api/v1/recordings/{theirs}/listened", headers=agent)
    ).status_code == 404
    # Another tenant: nothing listed, every id a 404, no mark written.
    assert (await client.get("/api/v1/recordings/", headers=other_tenant.headers)).json()[
        "total"
    ] == 0
    for path in ("", "/audio", "/download"):
        r = await client.get(f"/api/v1/recordings/{own}{path}", headers=other_tenant.headers)
        assert r.status_code == 404, path
    r = await client.post(f"/api/v1/recordings/{own}/listened", headers=other_tenant.headers)
    assert r.status_code == 404
    meta = (await client.get(f"/api/v1/recordings/{own}", headers=tenant.headers)).json()
    assert meta["timesListened"] == 0
