"""REC-6: a queue's survey flow is set through the queue API, only to a flow of the tenant."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.app import signup
from tests.integration.seats.acd_setup import business, queue

pytestmark = [pytest.mark.feature("REC-6")]

SURVEY = {"start": "s", "nodes": [
    {"id": "s", "type": "survey_question", "params": {"question": "satisfaction"},
     "exits": {"next": "bye"}},
    {"id": "bye", "type": "hang_up", "params": {}, "exits": {}},
]}  # fmt: skip


async def test_the_survey_flow_of_a_queue_is_a_flow_of_the_same_tenant(
    client: httpx.AsyncClient,
) -> None:
    mine, theirs = await signup(client, "survey"), await signup(client, "other")
    flows = {}
    for who in (mine, theirs):
        r = await client.post("/api/v1/ivr/flows", headers=who.headers,
                              json={"name": "survey", "document": SURVEY})  # fmt: skip
        assert r.status_code == 201, r.text
        flows[who.slug] = r.json()["id"]
    sales = await business(client, mine)
    q = await queue(client, mine, sales, "support", surveyFlowId=flows[mine.slug])
    assert q["surveyFlowId"] == flows[mine.slug]
    body = {k: v for k, v in q.items() if k != "id"} | {"surveyFlowId": flows[theirs.slug]}
    r = await client.put(f"/api/v1/acd/queues/{q['id']}", headers=mine.headers, json=body)
    assert r.status_code == 404, r.text  # another tenant's flow does not exist here
    r = await client.get(f"/api/v1/acd/queues/{q['id']}", headers=mine.headers)
    assert r.json()["surveyFlowId"] == flows[mine.slug]
    r = await client.put(f"/api/v1/acd/queues/{q['id']}", headers=mine.headers,
                         json=body | {"surveyFlowId": None})  # fmt: skip
    assert r.status_code == 200 and r.json()["surveyFlowId"] is None, r.text
