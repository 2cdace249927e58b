"""CRM-4: the knowledge base through the API against real Postgres (RLS, the n-gram index),
storage and sox: articles written by admins and supervisors, searched by agents in Chinese and
English, shared per business, with audio converted like IVR prompts; tenants stay apart."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import subprocess
import wave
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.crm.knowledge import article_audio_path
from app.db.session import tenant_session
from app.lib.storage import get_storage
from tests.fixtures.app import TenantCtx
from tests.integration.seats.acd_setup import agent, business, role_headers

pytestmark = pytest.mark.feature("CRM-4")
API = "/api/v1/knowledge"
Z = "00000000-0000-0000-0000-000000000000"

REFUND = {
    "title": "退款流程",
    "body": "客户来电要求退款时，先核对订单号，再告诉客户款项将在三个工作日内原路退回。",  # noqa: RUF001
    "category": "售后",
    "keywords": ["退款", "refund"],
}
INVOICE = {
    "title": "How to send an invoice",
    "body": "Invoices are e-mailed within one day. 发票会在一天内通过邮件发送。",
    "category": "Billing",
    "keywords": ["invoice", "发票"],
}


def tone_wav(seconds: float, freq: float = 440.0, rate: int = 44100) -> bytes:
    frames = int(seconds * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        samples = [int(12000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(frames)]
        w.writeframes(struct.pack(f"<{frames * 2}h", *[s for s in samples for _ in (0, 1)]))
    return out.getvalue()


async def create(client: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> Any:
    r = await client.post(f"{API}/articles", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def search(client: httpx.AsyncClient, headers: dict[str, str], q: str, **params: Any) -> Any:
    r = await client.get(f"{API}/articles", headers=headers, params={"q": q} | params)
    assert r.status_code == 200, r.text
    return r.json()


def titles(page: dict[str, Any]) -> list[str]:
    return [item["title"] for item in page["items"]]


async def test_admin_writes_articles_and_agents_find_them_by_chinese_inside_sentences(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    refund = await create(client, tenant.headers, **REFUND)
    await create(client, tenant.headers, **INVOICE)
    assert refund["keywords"] == ["退款", "refund"] and refund["audio"] is None
    sales = await business(client, tenant)
    reader = await agent(client, tenant, sales)

    # "工作日" sits in the middle of a sentence without spaces; "原路退回" too.
    found = await search(client, reader.headers, "工作日")
    assert titles(found) == ["退款流程"] and found["total"] == 1
    assert "工作日" in found["items"][0]["excerpt"]
    assert titles(await search(client, reader.headers, "原路退回")) == ["退款流程"]
    # Two-character words (the index's pairs) and single characters.
    assert titles(await search(client, reader.headers, "发票")) == ["How to send an invoice"]
    assert set(titles(await search(client, reader.headers, "天"))) == {"How to send an invoice"}
    # Every term must be there, as one piece: "退款" and "发票" are in different articles, and
    # "订单退回" is two words of the article, not one.
    assert titles(await search(client, reader.headers, "退款 发票")) == []
    assert titles(await search(client, reader.headers, "订单退回")) == []
    # English: case-insensitive, word prefixes, keywords and categories count.
    assert titles(await search(client, reader.headers, "INVOICE")) == ["How to send an invoice"]
    assert titles(await search(client, reader.headers, "refun")) == ["退款流程"]
    assert titles(await search(client, reader.headers, "售后")) == ["退款流程"]
    assert len((await search(client, reader.headers, ""))["items"]) == 2
    assert titles(await search(client, reader.headers, "", category="Billing")) == [
        "How to send an invoice"
    ]
    r = await client.get(f"{API}/categories", headers=reader.headers)
    assert r.json() == [{"name": "Billing", "articles": 1}, {"name": "售后", "articles": 1}]
    # LIKE wildcards in a query are plain characters.
    assert titles(await search(client, reader.headers, "退款%")) == []
    assert titles(await search(client, reader.headers, "退_款")) == []

    r = await client.get(f"{API}/articles/{refund['id']}", headers=reader.headers)
    assert r.status_code == 200 and r.json()["body"] == REFUND["body"]


async def test_a_title_hit_ranks_first_and_edits_are_searched_at_once(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    supervisor = await role_headers(client, tenant, "supervisor")
    faq = "如何修改密码：在个人中心。"  # noqa: RUF001
    body_only = await create(client, supervisor, title="常见问题", body=faq)
    title_hit = await create(client, supervisor, title="修改密码", body="登录后在设置里修改。")
    assert titles(await search(client, tenant.headers, "修改"))[0] == "修改密码"
    changed = {"title": "常见问题", "body": "会员积分每月清零。", "keywords": ["积分"]}
    r = await client.put(f"{API}/articles/{body_only['id']}", headers=supervisor, json=changed)
    assert r.status_code == 200, r.text
    assert titles(await search(client, tenant.headers, "修改")) == ["修改密码"]
    assert titles(await search(client, tenant.headers, "积分清零")) == []
    assert titles(await search(client, tenant.headers, "积分")) == ["常见问题"]
    r = await client.delete(f"{API}/articles/{title_hit['id']}", headers=supervisor)
    assert r.status_code == 204
    assert titles(await search(client, tenant.headers, "修改密码")) == []
    r = await client.get(f"{API}/articles/{title_hit['id']}", headers=tenant.headers)
    assert r.status_code == 404


async def test_an_article_of_one_business_is_hidden_from_other_businesses_agents(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    sales = await business(client, tenant, "Sales")
    support = await business(client, tenant, "Support")
    seller, helper = await agent(client, tenant, sales), await agent(client, tenant, support)
    secret = await create(client, tenant.headers, title="Sales discount codes", businessId=sales)
    await create(client, tenant.headers, title="Company address")  # shared with everyone
    assert set(titles(await search(client, seller.headers, ""))) == {
        "Sales discount codes", "Company address"
    }  # fmt: skip
    assert titles(await search(client, helper.headers, "")) == ["Company address"]
    r = await client.get(f"{API}/articles/{secret['id']}", headers=helper.headers)
    assert r.status_code == 404
    qa = await role_headers(client, tenant, "qa")
    assert len((await search(client, qa, ""))["items"]) == 2, "QA reads every business's"


async def test_tenant_b_cannot_see_or_touch_tenant_a_articles(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    mine = await create(client, tenant.headers, **REFUND)
    await create(client, other_tenant.headers, title="Their own article", body="退款")
    assert titles(await search(client, other_tenant.headers, "退款")) == ["Their own article"]
    r = await client.get(f"{API}/categories", headers=other_tenant.headers)
    assert r.json() == [{"name": "", "articles": 1}]
    wav = tone_wav(0.5)
    for method, path, kwargs in [
        ("GET", f"{API}/articles/{mine['id']}", {}),
        ("PUT", f"{API}/articles/{mine['id']}", {"json": {"title": "mine now"}}),
        ("DELETE", f"{API}/articles/{mine['id']}", {}),
        ("GET", f"{API}/articles/{mine['id']}/audio", {}),
        ("PUT", f"{API}/articles/{mine['id']}/audio", {"files": {"file": ("a.wav", wav)}}),
    ]:
        r = await client.request(method, path, headers=other_tenant.headers, **kwargs)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
    # A business of another tenant cannot be named either.
    theirs = await business(client, other_tenant)
    r = await client.post(f"{API}/articles", headers=tenant.headers,
                          json={"title": "x", "businessId": theirs})  # fmt: skip
    assert r.status_code == 400 and r.json()["code"] == "unknown_business"
    # Row-level security stands behind the API: B's session sees none of A's rows.
    async with tenant_session(other_tenant.tenant_id) as db:
        rows = await db.scalar(
            text("SELECT count(*) FROM kb_article WHERE id = :id"), {"id": mine["id"]}
        )
        assert rows == 0
    assert await article_audio_path(other_tenant.tenant_id, mine["id"]) is None


async def test_bad_input_is_problem_json_never_a_500(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    bad_bodies = [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "keywords": [f"k{i}" for i in range(21)]},
        {"title": "ok", "keywords": ["x" * 51]},
        {"title": "ok", "body": "\0"},
        {"title": "ok", "businessId": "not-a-uuid"},
        {"title": "ok", "businessId": Z},
        {"title": 5},
    ]
    for body in bad_bodies:
        r = await client.post(f"{API}/articles", headers=tenant.headers, json=body)
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), body
    r = await client.get(f"{API}/articles", headers=tenant.headers, params={"q": "x" * 201})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem")
    r = await client.get(f"{API}/articles", headers=tenant.headers, params={"limit": 0})
    assert r.status_code == 400
    r = await client.get(f"{API}/articles/{Z}", headers=tenant.headers)
    assert r.status_code == 404 and r.json()["detail"] == "No such article."
    # Search text that means something to tsquery or LIKE is only text.
    for q in ["'", "\\", "!", "a & b", "(|)", "退款:*", "':*'"]:
        r = await client.get(f"{API}/articles", headers=tenant.headers, params={"q": q})
        assert r.status_code == 200, (q, r.text)


async def test_audio_upload_becomes_telephone_wav_plays_in_the_page_and_is_replaced(
    client: httpx.AsyncClient, tenant: TenantCtx, tmp_path: Path
) -> None:
    article = await create(client, tenant.headers, **REFUND)
    url = f"{API}/articles/{article['id']}/audio"
    r = await client.put(url, headers=tenant.headers,
                         files={"file": ("退款说明.wav", tone_wav(1.5), "audio/wav")})  # fmt: skip
    assert r.status_code == 200, r.text
    audio = r.json()["audio"]
    assert audio["filename"] == "退款说明.wav" and abs(audio["durationSeconds"] - 1.5) < 0.05
    sales = await business(client, tenant)
    reader = await agent(client, tenant, sales)
    r = await client.get(url, headers=reader.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    first = await article_audio_path(tenant.tenant_id, article["id"])
    assert first is not None and first.exists()
    assert (await search(client, reader.headers, "退款"))["items"][0]["audioSeconds"] == 1.5

    mp3 = tmp_path / "new.mp3"
    sox = ["sox", "-n", "-r", "44100", "-c", "2", str(mp3), "synth", "2", "sine", "440"]
    await asyncio.to_thread(subprocess.run, sox, check=True)
    r = await client.put(url, headers=tenant.headers, files={"file": ("new.mp3", mp3.read_bytes())})
    assert r.status_code == 200, r.text
    assert abs(r.json()["audio"]["durationSeconds"] - 2.0) < 0.1
    assert not first.exists(), "the replaced recording is removed from storage"

    for name, data, code in [
        ("notes.txt", b"hello, not audio", "not_audio"),
        ("fake.wav", b"RIFF\0\0\0\0WAVEjunk", "not_audio"),
    ]:
        r = await client.put(url, headers=tenant.headers, files={"file": (name, data)})
        assert r.status_code == 400 and r.json()["code"] == code, r.text
    r = await client.put(url, headers=reader.headers, files={"file": ("a.wav", tone_wav(0.5))})
    assert r.status_code == 403, "agents do not write the knowledge base"

    r = await client.delete(url, headers=tenant.headers)
    assert r.status_code == 200 and r.json()["audio"] is None
    assert (await client.get(url, headers=tenant.headers)).status_code == 404
    r = await client.delete(f"{API}/articles/{article['id']}", headers=tenant.headers)
    assert r.status_code == 204
    folder = get_storage().root / "tenant" / str(tenant.tenant_id) / "knowledge"  # type: ignore[attr-defined]
    assert not list(folder.glob("*.wav")) if folder.exists() else True


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"),
    [
        ("GET", f"{API}/articles", None, {"admin", "supervisor", "qa", "agent"}),
        ("GET", f"{API}/categories", None, {"admin", "supervisor", "qa", "agent"}),
        ("GET", f"{API}/articles/{Z}", None, {"admin", "supervisor", "qa", "agent"}),
        ("POST", f"{API}/articles", {"title": "t"}, {"admin", "supervisor"}),
        ("PUT", f"{API}/articles/{Z}", {"title": "t"}, {"admin", "supervisor"}),
        ("DELETE", f"{API}/articles/{Z}", None, {"admin", "supervisor"}),
        ("DELETE", f"{API}/articles/{Z}/audio", None, {"admin", "supervisor"}),
        ("POST", f"{API}/articles/{Z}/play", None, {"admin", "supervisor", "agent"}),
        ("POST", f"{API}/playback/stop", None, {"admin", "supervisor", "agent"}),
    ],
)
@pytest.mark.feature("TEN-2")
async def test_who_may_do_what(
    client: httpx.AsyncClient, tenant: TenantCtx, method: str, path: str, body: Any,
    allowed: set[str],
) -> None:  # fmt: skip
    for role in ("admin", "supervisor", "qa", "agent"):
        headers = tenant.headers if role == "admin" else await role_headers(client, tenant, role)
        r = await client.request(method, path, headers=headers,
                                 **({"json": body} if body is not None else {}))  # fmt: skip
        if role in allowed:
            assert r.status_code != 403, (role, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code)
