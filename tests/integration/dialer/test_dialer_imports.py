"""Lead list imports in a real Dramatiq worker: line-numbered errors, deduplication, do-not-call
filters, XLSX, progress in Redis and on the event stream (DIAL-1)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from app.lib.events import read_events
from app.lib.redis import get_redis
from tests.integration.dialer.conftest import (
    import_now,
    make_campaign,
    make_list,
    upload,
    wait_import,
)

pytestmark = pytest.mark.feature("DIAL-1")

MAPPING = {"phone": "Phone", "name": "Name", "fields": {"company": "Company", "city": "City"}}

MESSY = (
    "Phone,Name,Company,City\n"  # 1
    "13800138000,Alice,Acme,Beijing\n"  # 2 ok
    "138 0013 8002,Bob,Acme,Shanghai\n"  # 3 ok (spaces)
    "12345,Carol,Tiny,Xi'an\n"  # 4 not a number
    "+86 138-0013-8000,Alice again,Acme,Beijing\n"  # 5 same as line 2
    ",Nobody,Acme,Nowhere\n"  # 6 no phone
    "13900139000,Blacklisted,Acme,Wuhan\n"  # 7 tenant black list (TEN-7)
    "13700137000,Short row\n"  # 8 missing columns
    '13500135000,"Eve"x,Acme,Z\n'  # 9 broken quoting
    '13300133000,"Multi\nline",Acme,Q\n'  # 10-11 ok: a quoted field over two lines
    "+44 20 7946 0958,London Ltd,Foo,London\n"  # 12 ok, another country
    "130-0000-0001,Zed again,Acme,Q\n"  # 13 already a lead of the campaign
    "13100131000,Campaign DNC,Acme,Q\n"  # 14 campaign's do-not-call list
    "(010) 6552-9988,Fixed line,Acme,Beijing\n"  # 15 ok, Beijing landline
)


async def test_messy_csv_imports_good_rows_and_reports_the_rest_by_line(
    client, tenant, worker_process
):
    campaign = await make_campaign(client, tenant)
    cid = campaign["id"]
    await import_now(client, tenant, cid, "Phone,Name\n13000000001,Zed\n")
    r = await client.post(
        "/api/v1/caller-lists/",
        headers=tenant.headers,
        json={"listKind": "black", "number": "13900139000"},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/dialer/campaigns/{cid}/dnc",
        headers=tenant.headers,
        json={"numbers": ["131 0013 1000", "not a number"]},
    )
    assert r.json() == {"added": 1, "invalid": ["not a number"]}

    list_id = await make_list(client, tenant, cid, MAPPING)
    await upload(client, tenant, list_id, MESSY.encode())
    status = await wait_import(client, tenant, list_id)
    assert status["status"] == "done", status
    assert status["imported"] == 5 and status["rejected"] == 8 and status["percent"] == 100

    errors_csv = await client.get(
        f"/api/v1/dialer/imports/{list_id}/errors", headers=tenant.headers
    )
    assert errors_csv.status_code == 200
    rows = list(csv.DictReader(io.StringIO(errors_csv.text.lstrip("\ufeff"))))
    by_line = {int(r["line"]): r for r in rows}
    assert by_line[4]["reason"].startswith("invalid_number")
    assert by_line[5]["reason"] == "duplicate_in_file" and "line 2" in by_line[5]["detail"]
    assert by_line[6]["reason"] == "missing_phone"
    assert by_line[7]["reason"] == "do_not_call"
    assert by_line[8]["reason"] == "bad_columns"
    assert by_line[9]["reason"] == "unreadable"
    assert by_line[13]["reason"] == "duplicate_in_campaign"
    assert by_line[14]["reason"] == "do_not_call"
    assert sorted(by_line) == [4, 5, 6, 7, 8, 9, 13, 14]

    leads = (
        await client.get(f"/api/v1/dialer/campaigns/{cid}/leads?limit=50", headers=tenant.headers)
    ).json()["items"]
    mine = {x["line"]: x for x in leads if x["listId"] == list_id}
    assert sorted(mine) == [2, 3, 10, 12, 15]
    assert mine[3]["phone"] == "+8613800138002" and mine[3]["fields"]["city"] == "Shanghai"
    assert mine[10]["name"] == "Multi\nline"
    assert mine[12]["phone"] == "+442079460958" and mine[12]["timezone"] == "Europe/London"
    assert mine[15]["phone"] == "+861065529988" and mine[15]["timezone"] == "Asia/Shanghai"

    # Progress and the end went onto the tenant's event stream.
    events = await read_events(get_redis(), tenant.tenant_id, "0", count=1000)
    mine_events = [f for _, f in events if f.get("listId") == list_id]
    assert mine_events[-1]["type"] == "dialer.import.finished"
    assert mine_events[-1]["imported"] == "5"


async def test_a_missing_column_fails_the_import_with_a_clear_message(
    client, tenant, worker_process
):
    campaign = await make_campaign(client, tenant)
    list_id = await make_list(client, tenant, campaign["id"], {"phone": "Mobile"})
    await upload(client, tenant, list_id, b"Phone,Name\n13800138000,A\n")
    status = await wait_import(client, tenant, list_id)
    assert status["status"] == "failed"
    assert "Mobile" in status["error"] and "Phone, Name" in status["error"]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_xlsx_import_with_number_cells(client, tenant, worker_process):
    campaign = await make_campaign(client, tenant)
    data = _xlsx(
        [
            ["手机", "姓名", "公司"],
            [13800138000, "张三", "甲公司"],  # a number cell, as Excel stores typed digits
            ["139 0013 9000", "李四", None],
            [None, None, None],  # an empty row in the middle of a sheet
            ["bad", "王五", "乙公司"],
            [13800138000, "张三 again", "甲公司"],
        ]
    )
    mapping = {"phone": "手机", "name": "姓名", "fields": {"company": "公司"}}
    list_id = await make_list(client, tenant, campaign["id"], mapping, fmt="xlsx")
    await upload(client, tenant, list_id, data)
    status = await wait_import(client, tenant, list_id)
    assert status["status"] == "done", status
    assert (status["imported"], status["rejected"]) == (2, 2)
    errors = (
        await client.get(f"/api/v1/dialer/imports/{list_id}/errors", headers=tenant.headers)
    ).text
    assert "\n5," in errors and "\n6,duplicate_in_file" in errors  # Excel row numbers
    leads = (
        await client.get(f"/api/v1/dialer/campaigns/{campaign['id']}/leads", headers=tenant.headers)
    ).json()["items"]
    assert {x["phone"]: x["fields"] for x in leads} == {
        "+8613800138000": {"company": "甲公司"},
        "+8613900139000": {},
    }


async def test_gb18030_csv_from_chinese_excel(client, tenant):
    campaign = await make_campaign(client, tenant)
    text = "电话,姓名\n13800138000,张三\n"
    from app.dialer.actors import run_import

    list_id = await make_list(client, tenant, campaign["id"], {"phone": "电话", "name": "姓名"})
    await upload(client, tenant, list_id, text.encode("gb18030"))
    from uuid import UUID

    assert (await run_import(tenant.tenant_id, UUID(list_id)))["imported"] == 1


async def test_an_upload_is_accepted_once_per_list(client, tenant):
    campaign = await make_campaign(client, tenant)
    list_id = await make_list(client, tenant, campaign["id"], {"phone": "Phone"})
    await upload(client, tenant, list_id, b"Phone\n13800138000\n")
    r = await client.put(
        f"/api/v1/dialer/lists/{list_id}/file", headers=tenant.headers, content=b"Phone\n1\n"
    )
    assert r.status_code == 409


async def test_imports_of_another_tenant_are_invisible(client, tenant, other_tenant):
    campaign = await make_campaign(client, other_tenant)
    list_id = await make_list(client, other_tenant, campaign["id"], {"phone": "Phone"})
    for path in (f"/api/v1/dialer/imports/{list_id}", f"/api/v1/dialer/lists/{list_id}/report"):
        assert (await client.get(path, headers=tenant.headers)).status_code == 404
    r = await client.put(
        f"/api/v1/dialer/lists/{list_id}/file", headers=tenant.headers, content=b"Phone\n1\n"
    )
    assert r.status_code == 404
