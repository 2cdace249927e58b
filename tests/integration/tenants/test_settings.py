"""Tenant settings: businesses (TEN-5), calendars (TEN-6), lists (TEN-7), numbers (TEN-9)."""

from __future__ import annotations

import pytest


@pytest.mark.feature("TEN-5")
async def test_businesses_crud_validation_and_filtering(client, tenant):
    h = tenant.headers
    for name in ("Inbound care", "Outbound sales", "English line"):
        assert (
            await client.post("/api/v1/businesses/", headers=h, json={"name": name})
        ).status_code == 201
    page = (await client.get("/api/v1/businesses/", headers=h, params={"search": "LINE"})).json()
    assert [b["name"] for b in page["items"]] == ["English line"]
    r = await client.post("/api/v1/businesses/", headers=h, json={"name": ""})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    r = await client.post("/api/v1/businesses/", headers=h, json={"name": "Inbound care"})
    assert r.status_code == 409
    first = (await client.get("/api/v1/businesses/", headers=h, params={"limit": 1})).json()
    assert (
        first["total"] == 3
        and len(first["items"]) == 1
        and first["items"][0]["name"] == "English line"
    )


@pytest.mark.feature("TEN-6")
async def test_calendar_answers_open_or_closed_and_which_rule(client, tenant):
    h = tenant.headers
    body = {
        "name": "Shanghai office",
        "timezone": "Asia/Shanghai",
        "weeklyHours": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
        "holidays": [{"date": "2026-10-01", "name": "National Day"}],
        "specialDays": [
            {"date": "2026-10-10", "name": "Make-up workday", "start": "09:00", "end": "17:00"}
        ],
    }
    cal = (await client.post("/api/v1/calendars/", headers=h, json=body)).json()

    async def ask(at):
        r = await client.get(f"/api/v1/calendars/{cal['id']}/open", headers=h, params={"at": at})
        assert r.status_code == 200, r.text
        return r.json()

    # Tuesday 2026-09-29 10:00 in Shanghai is 02:00 UTC.
    assert (await ask("2026-09-29T02:00:00Z")) | {"localTime": None} == {
        "open": True,
        "rule": "weekly Tue 09:00-18:00",
        "localTime": None,
    }
    assert (await ask("2026-09-29T11:00:00Z"))["open"] is False  # 19:00 local
    holiday = await ask("2026-10-01T02:00:00Z")  # a Thursday, but National Day
    assert holiday["open"] is False and holiday["rule"] == "holiday National Day"
    saturday = await ask("2026-10-10T03:00:00+00:00")  # Saturday, a make-up work day
    assert saturday["open"] is True and saturday["rule"].startswith("special day Make-up workday")
    r = await client.post(
        "/api/v1/calendars/", headers=h, json={"name": "Bad", "timezone": "Mars/Olympus"}
    )
    assert r.status_code == 400 and "unknown time zone" in r.json()["detail"]
    r = await client.post(
        "/api/v1/calendars/",
        headers=h,
        json={"name": "Bad2", "weeklyHours": [{"weekday": 9, "start": "09:00", "end": "10:00"}]},
    )
    assert r.status_code == 400


@pytest.mark.feature("TEN-7")
async def test_black_and_white_lists(client, tenant):
    h = tenant.headers
    r = await client.post(
        "/api/v1/caller-lists/",
        headers=h,
        json={"listKind": "black", "number": "138 0013 8000", "note": "abusive"},
    )
    assert r.status_code == 201 and r.json()["number"] == "13800138000"
    await client.post(
        "/api/v1/caller-lists/", headers=h, json={"listKind": "white", "number": "13800138000"}
    )
    await client.post(
        "/api/v1/caller-lists/",
        headers=h,
        json={"listKind": "white", "number": "13900000000", "expiresAt": "2020-01-01T00:00:00Z"},
    )
    check = (
        await client.get(
            "/api/v1/caller-lists/check", headers=h, params={"number": "138-0013-8000"}
        )
    ).json()
    assert check == {"number": "13800138000", "lists": ["black", "white"]}
    expired = (
        await client.get("/api/v1/caller-lists/check", headers=h, params={"number": "13900000000"})
    ).json()
    assert expired["lists"] == []
    r = await client.post(
        "/api/v1/caller-lists/", headers=h, json={"listKind": "black", "number": "not a number"}
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_number"
    blacks = (
        await client.get("/api/v1/caller-lists/", headers=h, params={"listKind": "black"})
    ).json()
    assert blacks["total"] == 1


@pytest.mark.feature("TEN-9")
async def test_numbers_belong_to_one_tenant_platform_wide(client, tenant, other_tenant):
    r = await client.post(
        "/api/v1/numbers/",
        headers=tenant.headers,
        json={"number": "+86 400 800 1234", "kind": "400", "label": "Hotline"},
    )
    assert r.status_code == 201 and r.json()["number"] == "+864008001234"
    r = await client.post(
        "/api/v1/numbers/", headers=other_tenant.headers, json={"number": "+864008001234"}
    )
    assert r.status_code == 409
    page = (
        await client.get("/api/v1/numbers/", headers=tenant.headers, params={"kind": "400"})
    ).json()
    assert [n["label"] for n in page["items"]] == ["Hotline"]


@pytest.mark.feature("TEN-5")
async def test_text_postgres_cannot_store_is_a_400_not_a_500(client, tenant):
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "a\u0000b"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    names = (await client.get("/api/v1/businesses/", headers=tenant.headers)).json()["items"]
    assert names == []  # nothing half-stored
