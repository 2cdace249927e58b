"""Lead import (DIAL-1): one million CSV rows through the real import path, and the ratio
against ORM row-by-row inserts of a 20k sample, in the same run.

    .venv/bin/python bench/lead_import.py [rows]      (default 1,000,000; about a minute)

The real path is `app/dialer/imports.import_rows` (what the worker runs): csv parsing and
E.164 normalization in chunks, binary COPY into a temporary staging table, then one
`INSERT ... SELECT` with the in-file/in-campaign dedup and do-not-call anti-joins. The file has
1 % duplicates, 1 % invalid numbers and a 1,000-number black list, so the filters do work.
The baseline normalizes each row and inserts it through the ORM (`session.add` + flush), in
one transaction: no dedup or DNC queries at all, so the ratio flatters the baseline.

Runs in a scratch database created, migrated and dropped here (as FASTLINE_DATABASE_SUPERUSER_URL
on 127.0.0.1); Redis db 15 for the signup session.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from pathlib import Path

RUN = f"leadbench_{os.getpid()}"
DB = f"fastline_{RUN}"
os.environ["FASTLINE_DATABASE_URL"] = (
    f"postgresql+asyncpg://fastline_app:fastline_app@127.0.0.1:5432/{DB}"
)
os.environ["FASTLINE_DATABASE_OWNER_URL"] = (
    f"postgresql+asyncpg://fastline_owner:fastline_owner@127.0.0.1:5432/{DB}"
)
os.environ.setdefault("FASTLINE_REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("FASTLINE_QUEUE_NAMESPACE", f"fastline-{RUN}")
os.environ.setdefault("FASTLINE_LOG_JSON", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from app.db.bootstrap import DbTarget, bootstrap, drop_database  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.settings import get_settings  # noqa: E402

SAMPLE = 20_000


def make_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = ["Phone,Name,Company,City"]
    cities = ["Beijing", "Shanghai", "Shenzhen", "Wuhan"]
    for i in range(rows):
        if i % 100 == 37:
            phone = "12345"  # invalid
        elif i % 100 == 73 and i > 100:
            phone = f"1{3 + (i - 50) % 7}{(i - 50):09d}"  # a duplicate of an earlier line
        else:
            phone = f"1{3 + i % 7}{i:09d}"
        lines.append(f"{phone},Customer {i},Firm {rng.randrange(1000)},{cities[i % 4]}")
    return ("\n".join(lines) + "\n").encode()


async def setup(client: httpx.AsyncClient) -> tuple[object, object]:
    from app.db.session import tenant_session
    from app.dialer.models import Campaign
    from app.tenants.models import CallerListEntry
    from tests.fixtures.app import signup

    t = await signup(client)
    async with tenant_session(t.tenant_id) as s:
        campaign = Campaign(
            tenant_id=t.tenant_id,
            name="bench",
            windows=[],
            retry_rules={},
            agent_ids=[],
            group_ids=[],
        )
        s.add(campaign)
        for i in range(0, 100_000, 100):  # 1,000 black-listed numbers, national form (TEN-7)
            s.add(
                CallerListEntry(
                    tenant_id=t.tenant_id, list_kind="black", number=f"1{3 + i % 7}{i:09d}"
                )
            )
    return t, campaign


async def real_import(t: object, campaign: object, data: bytes) -> tuple[float, int, int]:
    from app.db.session import tenant_session
    from app.dialer.imports import ColumnMapping, import_rows, read_csv
    from app.dialer.models import LeadList

    mapping = ColumnMapping("Phone", "Name", None, {"company": "Company", "city": "City"})
    async with tenant_session(t.tenant_id) as s:  # type: ignore[attr-defined]
        lead_list = LeadList(
            tenant_id=t.tenant_id,
            campaign_id=campaign.id,
            name="1M",  # type: ignore[attr-defined]
            mapping={},
            counts={},
        )
        s.add(lead_list)
    started = time.perf_counter()
    async with tenant_session(t.tenant_id) as s:  # type: ignore[attr-defined]
        result = await import_rows(s, campaign, lead_list.id, read_csv(data), mapping)  # type: ignore[arg-type]
    return time.perf_counter() - started, result.imported, len(result.errors)


async def orm_baseline(t: object, campaign: object, data: bytes) -> float:
    import csv
    import io
    import json

    from app.db.session import tenant_session
    from app.dialer.models import Lead, LeadList
    from app.dialer.numbers import NumberError, normalize

    rows = list(csv.reader(io.StringIO(data.decode())))[1 : SAMPLE + 1]
    async with tenant_session(t.tenant_id) as s:  # type: ignore[attr-defined]
        lead_list = LeadList(
            tenant_id=t.tenant_id,
            campaign_id=campaign.id,
            name="orm",  # type: ignore[attr-defined]
            mapping={},
            counts={},
        )
        s.add(lead_list)
    started = time.perf_counter()
    async with tenant_session(t.tenant_id) as s:  # type: ignore[attr-defined]
        seen: set[str] = set()
        for line, (phone, name, company, city) in enumerate(rows, start=2):
            try:
                e164 = "B" + normalize(phone).e164[1:]  # another campaign's numbers: no clash
            except NumberError:
                continue
            if e164 in seen:
                continue
            seen.add(e164)
            s.add(
                Lead(
                    tenant_id=t.tenant_id,
                    campaign_id=campaign.id,
                    list_id=lead_list.id,  # type: ignore[attr-defined]
                    line=line,
                    phone=e164,
                    name=name,
                    timezone="Asia/Shanghai",
                    fields=json.loads(json.dumps({"company": company, "city": city})),
                )
            )
            await s.flush()
    return time.perf_counter() - started


async def main(rows: int) -> None:
    from app.main import create_app

    transport = httpx.ASGITransport(app=create_app(), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        t, campaign = await setup(client)
    data = make_csv(rows)
    print(f"file: {rows:,} rows, {len(data) / 1e6:.1f} MB")
    seconds, imported, rejected = await real_import(t, campaign, data)
    rate = rows / seconds
    print(
        f"import (COPY + set-based INSERT): {seconds:.1f} s, {rate:,.0f} rows/s, "
        f"{imported:,} imported, {rejected:,} rejected by line"
    )
    orm = await orm_baseline(t, campaign, data)
    orm_rate = SAMPLE / orm
    print(f"ORM row-by-row, {SAMPLE:,} rows: {orm:.1f} s, {orm_rate:,.0f} rows/s")
    million = 1_000_000 / rate
    verdict = "under" if million < 60 else "OVER"
    print(
        f"ratio: {rate / orm_rate:.1f}x; 1M rows in {million:.1f} s at this rate ({verdict} 60 s)"
    )
    from app.db.session import engines

    for engine in engines.items_for_current_loop():
        await engine.dispose()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    s = get_settings()
    target = DbTarget.from_urls(s.database_owner_url, s.database_url)
    asyncio.run(bootstrap(s.database_superuser_url, target, recreate=True))
    try:
        upgrade(s.database_owner_url)
        asyncio.run(main(count))
    finally:
        asyncio.run(drop_database(s.database_superuser_url, DB))
