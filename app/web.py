"""The portal's assets: `frontend/dist` (built by `scripts/frontend.sh build`) served at `/`.

A single-page app: any GET that is not an API path and names no built file gets index.html, and
the browser's router takes over (/portal/users, /seat, ...). Vite names assets by content hash,
so files under /assets/ are cached for a year; index.html is revalidated every time so that a
new build is picked up at once. When the frontend was never built, `/` says how to build it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, get
from litestar.response import File

from app.lib.problems import Problem
from app.settings import ROOT

# API and documentation paths never fall back to the app: an unknown API path is a 404 problem.
RESERVED_PREFIXES = ("api/", "schema/", "schema")
IMMUTABLE = "public, max-age=31536000, immutable"
# Browsers refuse module scripts without a JavaScript type, and a slim image may have no
# /etc/mime.types: the types of what Vite emits are named here, not guessed.
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fastline</title></head>
<body style="font-family: sans-serif; margin: 3rem">
<h1>Fastline</h1>
<p>The web front end is not built yet. Build it with <code>scripts/frontend.sh build</code>
(or run <code>npm run dev</code> in <code>frontend/</code> while developing).</p>
<p>The API is up: its documentation is at <a href="/schema">/schema</a>.</p>
</body></html>
"""


def dist_dir() -> Path:
    return Path(os.environ.get("FASTLINE_FRONTEND_DIST", str(ROOT / "frontend" / "dist")))


def _built_file(dist: Path, path: str) -> Path | None:
    """The file under dist that `path` names, or None; never a file outside dist."""
    if not path:
        return None
    candidate = (dist / path).resolve()
    if not candidate.is_relative_to(dist.resolve()) or not candidate.is_file():
        return None
    return candidate


@get(
    ["/", "/{path:path}"],
    opt={"public": True, "audit": False},
    include_in_schema=False,
    sync_to_thread=False,
)
def portal(request: Request[Any, Any, Any]) -> Response[str] | File:
    relative = request.url.path.lstrip("/")
    if relative.startswith(RESERVED_PREFIXES):
        raise Problem(404, "No such API path.")
    dist = dist_dir()
    index = dist / "index.html"
    if not index.is_file():
        return Response(NOT_BUILT, media_type=MediaType.HTML, status_code=200)
    found = _built_file(dist, relative)
    if found is not None:
        cache = IMMUTABLE if relative.startswith("assets/") else "no-cache"
        return File(
            found,
            content_disposition_type="inline",
            media_type=MEDIA_TYPES.get(found.suffix.lower(), "application/octet-stream"),
            headers={"Cache-Control": cache},
        )
    if relative.startswith("assets/"):
        # A stale hashed asset after a redeploy: a 404 lets the page reload, not HTML as JS.
        raise Problem(404, "No such asset (the app was updated: reload the page).")
    return File(
        index,
        content_disposition_type="inline",
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-cache"},
    )
