"""The portal's assets served by Litestar (app/web.py): SPA fallback, caching, API untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app

pytestmark = pytest.mark.feature("TEN-1")


@pytest.fixture
async def web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("FASTLINE_FRONTEND_DIST", str(tmp_path / "dist"))
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def build(dist: Path) -> None:
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")


async def test_unbuilt_frontend_says_how_to_build(web: httpx.AsyncClient) -> None:
    r = await web.get("/")
    assert r.status_code == 200
    assert "scripts/frontend.sh build" in r.text


async def test_spa_fallback_and_caching(web: httpx.AsyncClient, tmp_path: Path) -> None:
    build(tmp_path / "dist")
    for path in ("/", "/portal/users", "/seat", "/login"):
        r = await web.get(path)
        assert r.status_code == 200, path
        assert "id=root" in r.text
        assert r.headers["cache-control"] == "no-cache"
    asset = await web.get("/assets/index-abc123.js")
    assert asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    # Browsers run module scripts only when served with a JavaScript type.
    assert asset.headers["content-type"].startswith("text/javascript")
    assert (await web.get("/favicon.svg")).status_code == 200
    assert (await web.get("/assets/gone-999.js")).status_code == 404


async def test_api_and_schema_are_not_swallowed(web: httpx.AsyncClient, tmp_path: Path) -> None:
    build(tmp_path / "dist")
    missing = await web.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert (await web.get("/schema/openapi.json")).json()["info"]["title"] == "Fastline API"
    assert (await web.get("/health")).json() == {"status": "ok"}
    signed_out = await web.get("/api/v1/users")
    assert signed_out.status_code == 401


async def test_no_file_outside_dist(web: httpx.AsyncClient, tmp_path: Path) -> None:
    build(tmp_path / "dist")
    (tmp_path / "secret.txt").write_text("s3cret")
    r = await web.get("/..%2Fsecret.txt")
    assert "s3cret" not in r.text
