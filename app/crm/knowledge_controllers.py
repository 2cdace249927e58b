"""Knowledge base API (CRM-4): `/api/v1/knowledge`.

Everyone who serves callers reads and searches (`knowledge.read`; agents see articles shared
with the whole tenant and those of their business); admins and supervisors write
(`knowledge.write`). An agent on a call plays an article's audio to the caller (`cti`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter

from app.crm import knowledge_play
from app.crm.knowledge import (
    MAX_UPLOAD_BYTES,
    ArticleFields,
    KnowledgeArticle,
    KnowledgeService,
    clean_fields,
)
from app.db.deps import DbSession
from app.lib.pagination import Offset
from app.seats.agents import profile_of_user
from app.tenants.auth import current_principal
from app.tenants.models import Role
from app.tenants.permissions import Perm
from app.tenants.schemas import Camel, Page

READ = {"permission": Perm.KNOWLEDGE_READ}
WRITE = {"permission": Perm.KNOWLEDGE_WRITE, "audit_target": "kb_article"}
PLAY = {"permission": Perm.CTI, "audit_target": "kb_article"}
Limit = Annotated[int, QueryParameter(ge=1, le=100)]
Query = Annotated[str, QueryParameter(max_length=200)]
Category = Annotated[str | None, QueryParameter(max_length=100)]
# Litestar holds a multipart body in memory: past this it answers 413 before we see the file.
UPLOAD_BODY_LIMIT = 32 * 1024 * 1024


class ArticleIn(Camel):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    body: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    category: Annotated[str, msgspec.Meta(max_length=100)] = ""
    keywords: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=50)]], msgspec.Meta(max_length=50)
    ] = []
    business_id: UUID | None = None  # None: every agent of the company

    def fields(self) -> ArticleFields:
        return clean_fields(self.title, self.body, self.category, self.keywords,
                            self.business_id)  # fmt: skip


class AudioOut(Camel):
    duration_seconds: float
    size_bytes: int
    filename: str


class ArticleOut(Camel):
    id: UUID
    title: str
    body: str
    category: str
    keywords: list[str]
    business_id: UUID | None
    audio: AudioOut | None
    created_at: datetime
    updated_at: datetime


class ArticleSummary(Camel):
    id: UUID
    title: str
    excerpt: str  # the body around the first term found
    category: str
    keywords: list[str]
    business_id: UUID | None
    audio_seconds: float | None
    updated_at: datetime


class CategoryOut(Camel):
    name: str
    articles: int


class PlayOut(Camel):
    call_id: str
    article_id: UUID
    duration_seconds: float


class StopOut(Camel):
    call_id: str
    stopped: bool


@dataclass
class AudioUpload:
    file: UploadFile


def _audio(a: KnowledgeArticle) -> AudioOut | None:
    if not a.audio_key:
        return None
    return AudioOut(duration_seconds=a.audio_seconds or 0.0, size_bytes=a.audio_bytes or 0,
                    filename=a.audio_filename)  # fmt: skip


def article_out(a: KnowledgeArticle) -> ArticleOut:
    return ArticleOut(id=a.id, title=a.title, body=a.body, category=a.category,
                      keywords=list(a.keywords), business_id=a.business_id, audio=_audio(a),
                      created_at=a.created_at, updated_at=a.updated_at)  # fmt: skip


def summary_out(a: KnowledgeArticle, excerpt: str) -> ArticleSummary:
    seconds = a.audio_seconds if a.audio_key else None
    return ArticleSummary(id=a.id, title=a.title, excerpt=excerpt, category=a.category,
                          keywords=list(a.keywords), business_id=a.business_id,
                          audio_seconds=seconds, updated_at=a.updated_at)  # fmt: skip


async def _service(request: Request[Any, Any, Any], db: DbSession) -> KnowledgeService:
    """Agents see shared articles and their business's; every other reader sees all."""
    p = current_principal(request)
    businesses: frozenset[UUID] | None = None
    if p.role == Role.AGENT.value or p.client_id is not None:
        profile = await profile_of_user(db, p.tenant_id, p.user_id)
        businesses = frozenset({profile.business_id}) if profile is not None else frozenset()
    return KnowledgeService(db, p.tenant_id, business_ids=businesses)


class KnowledgeController(Controller):
    path = "/api/v1/knowledge"
    tags = ["knowledge"]

    @get("/articles", opt=READ)
    async def search_articles(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        q: Query = "",
        category: Category = None,
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> Page[ArticleSummary]:
        """Search (every white-space separated term must appear in the title, body, category
        or keywords; Chinese inside longer text too); title hits first, then newest."""
        service = await _service(request, db_session)
        found, total = await service.search(q, category=category, limit=limit, offset=offset)
        items = [summary_out(f.article, f.excerpt) for f in found]
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get("/categories", opt=READ)
    async def categories(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[CategoryOut]:
        rows = await (await _service(request, db_session)).categories()
        return [CategoryOut(name=name, articles=count) for name, count in rows]

    @post("/articles", opt=WRITE | {"audit_action": "kb_article.create"})
    async def create_article(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[ArticleIn]
    ) -> ArticleOut:
        service = await _service(request, db_session)
        article = await service.create(data.fields(), current_principal(request).user_id)
        return article_out(article)

    @get("/articles/{article_id:uuid}", opt=READ)
    async def get_article(
        self, request: Request[Any, Any, Any], db_session: DbSession, article_id: FromPath[UUID]
    ) -> ArticleOut:
        return article_out(await (await _service(request, db_session)).get(article_id))

    @put("/articles/{article_id:uuid}", opt=WRITE | {"audit_action": "kb_article.update"})
    async def update_article(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        article_id: FromPath[UUID],
        data: JSONBody[ArticleIn],
    ) -> ArticleOut:
        service = await _service(request, db_session)
        user = current_principal(request).user_id
        return article_out(await service.update(article_id, data.fields(), user))

    @delete("/articles/{article_id:uuid}", opt=WRITE | {"audit_action": "kb_article.delete"},
            status_code=204)  # fmt: skip
    async def delete_article(
        self, request: Request[Any, Any, Any], db_session: DbSession, article_id: FromPath[UUID]
    ) -> None:
        await (await _service(request, db_session)).delete(article_id)

    @put("/articles/{article_id:uuid}/audio", opt=WRITE | {"audit_action": "kb_article.audio"},
         request_max_body_size=UPLOAD_BODY_LIMIT)  # fmt: skip
    async def upload_audio(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        article_id: FromPath[UUID],
        data: MultipartBody[AudioUpload],
    ) -> ArticleOut:
        """A WAV or MP3 (multipart `file`), stored as 8 kHz mono WAV (what callers hear);
        replaces the article's recording. Not audio, over 10 minutes or 20 MB: 400."""
        body = await data.file.read(MAX_UPLOAD_BYTES + 1)  # one byte more tells "too big"
        service = await _service(request, db_session)
        article = await service.set_audio(article_id, data.file.filename or "", body,
                                          current_principal(request).user_id)  # fmt: skip
        return article_out(article)

    @delete("/articles/{article_id:uuid}/audio", status_code=200,
            opt=WRITE | {"audit_action": "kb_article.audio_delete"})  # fmt: skip
    async def delete_audio(
        self, request: Request[Any, Any, Any], db_session: DbSession, article_id: FromPath[UUID]
    ) -> ArticleOut:
        service = await _service(request, db_session)
        return article_out(
            await service.remove_audio(article_id, current_principal(request).user_id)
        )

    @get("/articles/{article_id:uuid}/audio", opt=READ, media_type="audio/wav")
    async def download_audio(
        self, request: Request[Any, Any, Any], db_session: DbSession, article_id: FromPath[UUID]
    ) -> Response[bytes]:
        """The stored 8 kHz WAV, to listen to in the page."""
        article, data = await (await _service(request, db_session)).audio(article_id)
        name = quote(f"{article.title[:80]}.wav")
        disposition = f"inline; filename=\"article.wav\"; filename*=UTF-8''{name}"
        return Response(data, media_type="audio/wav",
                        headers={"Content-Disposition": disposition})  # fmt: skip

    @post("/articles/{article_id:uuid}/play", opt=PLAY | {"audit_action": "kb_article.play"},
          status_code=200)  # fmt: skip
    async def play_to_caller(
        self, request: Request[Any, Any, Any], db_session: DbSession, article_id: FromPath[UUID]
    ) -> PlayOut:
        """The agent's connected caller hears the article's audio (the agent's microphone is
        cut from the caller while it plays; the agent still hears the caller). 409 no call /
        on hold / no audio; 503 callcontrol unavailable."""
        service = await _service(request, db_session)
        article = await service.get(article_id)
        p = current_principal(request)
        call_id, result = await knowledge_play.play(db_session, p.tenant_id, p.user_id, article)
        return PlayOut(call_id=call_id, article_id=article.id,
                       duration_seconds=float(result.get("durationSeconds") or 0.0))  # fmt: skip

    @post("/playback/stop", opt=PLAY | {"audit": False}, status_code=200)
    async def stop_playback(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> StopOut:
        """Stop what the agent's caller hears from the knowledge base; the agent is heard again."""
        p = current_principal(request)
        call_id, result = await knowledge_play.stop(db_session, p.tenant_id, p.user_id)
        return StopOut(call_id=call_id, stopped=bool(result.get("stopped")))
