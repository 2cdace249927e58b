"""REC-6: satisfaction survey answers stored by callcontrol, listed with filters and tallied
per question, against real Postgres; tenants stay apart."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.ivr_builder.survey import store_survey_answer

pytestmark = pytest.mark.feature("REC-6")
API = "/api/v1/ivr/survey-answers"
T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


async def answer(tenant, call_key, question, value, *, flow_id=None, minutes=0):
    await store_survey_answer(tenant.tenant_id, call_key=call_key, node_id="q1",
                              question=question, answer=value, flow_id=flow_id,
                              answered_at=T0 + timedelta(minutes=minutes))  # fmt: skip


async def test_answers_are_tallied_per_question(client, tenant):
    flow = uuid.uuid4()
    for i, score in enumerate(["5", "5", "4", "1"]):
        await answer(tenant, f"c{i}", "satisfaction", score, flow_id=flow, minutes=i)
    await answer(tenant, "c0", "resolved", "1", flow_id=flow)
    await answer(tenant, "c1", "resolved", "2", flow_id=flow)

    r = await client.get(f"{API}/tallies", headers=tenant.headers)
    assert r.status_code == 200
    assert r.json() == [
        {"question": "resolved", "total": 2, "average": 1.5, "answers": {"1": 1, "2": 1}},
        {"question": "satisfaction", "total": 4, "average": 3.75,
         "answers": {"1": 1, "4": 1, "5": 2}},
    ]  # fmt: skip
    since = (T0 + timedelta(minutes=2)).isoformat()
    r = await client.get(f"{API}/tallies", headers=tenant.headers,
                         params={"question": "satisfaction", "since": since})  # fmt: skip
    assert r.json() == [{"question": "satisfaction", "total": 2, "average": 2.5,
                         "answers": {"1": 1, "4": 1}}]  # fmt: skip


async def test_a_call_keeps_its_last_answer_to_a_question(client, tenant):
    await answer(tenant, "call-9", "satisfaction", "2")
    await answer(tenant, "call-9", "satisfaction", "5", minutes=1)  # pressed again / retried
    r = await client.get(API, headers=tenant.headers, params={"callKey": "call-9"})
    [row] = r.json()["items"]
    assert (row["question"], row["answer"], row["score"]) == ("satisfaction", "5", 5)
    assert row["answeredAt"].startswith("2026-11-01T10:01")


async def test_listing_filters_by_flow_and_pages_newest_first(client, tenant):
    mine, other = uuid.uuid4(), uuid.uuid4()
    for i in range(3):
        await answer(tenant, f"f{i}", "satisfaction", str(i + 3), flow_id=mine, minutes=i)
    await answer(tenant, "g0", "satisfaction", "1", flow_id=other)
    r = await client.get(API, headers=tenant.headers, params={"flowId": str(mine), "limit": 2})
    body = r.json()
    assert body["total"] == 3 and [a["callKey"] for a in body["items"]] == ["f2", "f1"]
    assert all(a["flowId"] == str(mine) for a in body["items"])


async def test_non_numeric_answers_are_counted_but_not_averaged(client, tenant):
    await answer(tenant, "h1", "callback_wanted", "#")
    await answer(tenant, "h2", "callback_wanted", "1")
    r = await client.get(f"{API}/tallies", headers=tenant.headers,
                         params={"question": "callback_wanted"})  # fmt: skip
    assert r.json() == [{"question": "callback_wanted", "total": 2, "average": 1.0,
                         "answers": {"#": 1, "1": 1}}]  # fmt: skip


async def test_another_tenant_sees_no_answers(client, tenant, other_tenant):
    await answer(tenant, "x1", "satisfaction", "5")
    assert (await client.get(API, headers=other_tenant.headers)).json()["total"] == 0
    assert (await client.get(f"{API}/tallies", headers=other_tenant.headers)).json() == []
