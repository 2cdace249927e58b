"""REC-2 / REC-6: the post-call survey's answers travel with the call: the call search shows
each call's satisfaction and finds the unhappy callers; another tenant's answers never count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from app.db.session import tenant_session
from app.ivr_builder.models import SurveyAnswer
from tests.fixtures.app import TenantCtx
from tests.integration.recordings.seed import seed_call, seed_recording

pytestmark = pytest.mark.feature("REC-2", "REC-6")
DAY = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


async def answer(tenant_id: uuid.UUID, call_key: str, **scores: int) -> None:
    async with tenant_session(tenant_id) as session:
        for question, score in scores.items():
            session.add(
                SurveyAnswer(
                    tenant_id=tenant_id,
                    call_key=call_key,
                    node_id=f"q-{question}",
                    question=question,
                    answer=str(score),
                    score=score,
                    answered_at=DAY + timedelta(minutes=5),
                )
            )


async def test_search_shows_satisfaction_and_finds_unhappy_callers(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    _, unhappy = await seed_call(tenant.tenant_id, DAY, bridged_after=2)
    _, happy = await seed_call(tenant.tenant_id, DAY + timedelta(hours=1), bridged_after=2)
    _, silent = await seed_call(tenant.tenant_id, DAY + timedelta(hours=2), bridged_after=2)
    await answer(tenant.tenant_id, unhappy, service=1, solved=2)
    await answer(tenant.tenant_id, happy, service=5)
    await seed_recording(tenant.tenant_id, unhappy)
    # The other tenant's answer to a call key of ours must not leak into our figures.
    await answer(other_tenant.tenant_id, happy, service=1)

    r = await client.get("/api/v1/calls/search", headers=tenant.headers)
    assert r.status_code == 200, r.text
    by_key = {row["callKey"]: row["satisfaction"] for row in r.json()["items"]}
    assert by_key == {unhappy: 1.5, happy: 5.0, silent: None}

    r = await client.get(
        "/api/v1/calls/search", headers=tenant.headers, params={"satisfactionAtMost": 2}
    )
    assert [row["callKey"] for row in r.json()["items"]] == [unhappy]
    r = await client.get(
        "/api/v1/recordings/", headers=tenant.headers, params={"satisfactionAtMost": 2}
    )
    assert [row["callKey"] for row in r.json()["items"]] == [unhappy]
    r = await client.get(
        "/api/v1/calls/search", headers=tenant.headers, params={"satisfactionAtMost": 12}
    )
    assert r.status_code == 400
