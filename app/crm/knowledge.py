"""CRM-4: the knowledge base. Articles (title, body, category, keywords), each shared with the
whole tenant or with one business (TEN-5), optionally with an audio recording agents can play to
a caller. Search: app/crm/search_text.py (Chinese too). Audio: converted like IVR prompts
(app/ivr_builder/audio.py, 8 kHz mono WAV) and stored at `tenant/<id>/knowledge/<article>-<n>.wav`.

callcontrol asks for the file to play with `await article_audio_path(tenant_id, article_id)`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from app.crm import search_text as st
from app.db.base import TenantOwned
from app.db.session import tenant_session
from app.ivr_builder.audio import AudioError, sniff_format, to_telephone_wav
from app.lib.keys import tenant_object_key
from app.lib.problems import Problem
from app.lib.storage import Storage, evict_local_copy, get_storage, local_file
from app.tenants.models import Business

MAX_AUDIO_SECONDS = 600.0  # 10 minutes, like a prompt
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_KEYWORDS = 20


class KnowledgeArticle(TenantOwned):
    __tablename__ = "kb_article"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "business_id"],
            ["business.tenant_id", "business.id"],
            name="fk_kb_article_business_id",
            ondelete="SET NULL (business_id)",
        ),
        Index("ix_kb_article_search", "search_vector", postgresql_using="gin"),
        Index("ix_kb_article_category", "tenant_id", "category"),
    )

    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    # None: every agent of the tenant; else only agents (and queues) of that business.
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, deferred=True)
    audio_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    audio_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    audio_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audio_filename: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[UUID | None] = mapped_column(nullable=True)
    updated_by: Mapped[UUID | None] = mapped_column(nullable=True)


@dataclass(frozen=True, slots=True)
class ArticleFields:
    title: str
    body: str
    category: str
    keywords: list[str]
    business_id: UUID | None


@dataclass(frozen=True, slots=True)
class Found:
    article: KnowledgeArticle
    excerpt: str


def audio_object_key(tenant_id: UUID, article_id: UUID) -> str:
    # A new name per upload: a copy cached next to rtpengine is never a stale recording.
    return tenant_object_key(tenant_id, "knowledge", f"{article_id}-{uuid.uuid4().hex[:12]}.wav")


def clean_fields(title: str, body: str, category: str, keywords: list[str],
                 business_id: UUID | None) -> ArticleFields:  # fmt: skip
    title, category = title.strip(), category.strip()
    if not title:
        raise Problem(400, "An article needs a title.", code="invalid_title")
    words = list(dict.fromkeys(k.strip() for k in keywords if k.strip()))
    if len(words) > MAX_KEYWORDS:
        raise Problem(400, f"At most {MAX_KEYWORDS} keywords.", code="too_many_keywords")
    for text in (title, body, category, *words):
        if "\0" in text:
            raise Problem(400, "Text cannot contain NUL characters.", code="invalid_text")
    return ArticleFields(title, body.strip(), category, words, business_id)


def _index(article: KnowledgeArticle) -> None:
    texts = (article.title, " ".join(article.keywords), article.category, article.body)
    article.search_text = st.search_text(*texts)
    # Evaluated by Postgres at the flush: the tokens are ours, the tsvector is Postgres'.
    article.search_vector = func.strip(func.to_tsvector("simple", st.index_tokens(*texts)))


def matches(terms: list[str]) -> list[ColumnElement[bool]]:
    """All the terms: the n-gram index finds candidates (`kb_article_search`, migration 0016:
    under forced RLS Postgres uses no index for `@@`), LIKE keeps the exact substrings."""
    if not terms:
        return []
    query = " & ".join(f"({st.term_tsquery(term)})" for term in terms)
    found = func.kb_article_search(func.to_tsquery("simple", query)).column_valued("match")
    where: list[ColumnElement[bool]] = [KnowledgeArticle.id.in_(select(found))]
    for term in terms:
        where.append(KnowledgeArticle.search_text.like(st.like_pattern(term), escape="\\"))
    return where


class KnowledgeService:
    """One tenant's knowledge base. `business_ids` None: sees every article (admins,
    supervisors, QA); a set: only shared articles and those of these businesses (agents)."""

    def __init__(self, session: AsyncSession, tenant_id: UUID, *,
                 business_ids: frozenset[UUID] | None = None,
                 storage: Storage | None = None) -> None:  # fmt: skip
        if tenant_id is None:
            raise ValueError("the knowledge base needs a tenant")
        self.session = session
        self.tenant_id = tenant_id
        self.business_ids = business_ids
        self._storage = storage

    @property
    def storage(self) -> Storage:
        if self._storage is None:
            self._storage = get_storage()
        return self._storage

    def _visible(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [KnowledgeArticle.tenant_id == self.tenant_id]
        if self.business_ids is not None:
            where.append(
                or_(
                    KnowledgeArticle.business_id.is_(None),
                    KnowledgeArticle.business_id.in_(self.business_ids),
                )
            )
        return where

    async def search(self, query: str, *, category: str | None, limit: int,
                     offset: int) -> tuple[list[Found], int]:  # fmt: skip
        terms = st.query_terms(query)
        where = self._visible() + matches(terms)
        if category is not None:
            where.append(KnowledgeArticle.category == category)
        total = await self.session.scalar(
            select(func.count()).select_from(KnowledgeArticle).where(*where)
        )
        order: list[Any] = []
        if terms:  # a term in the title first
            title = func.lower(KnowledgeArticle.title)
            title_hit = and_(*(title.like(st.like_pattern(t), escape="\\") for t in terms))
            order.append(title_hit.desc())
        order += [KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id]
        rows = await self.session.scalars(
            select(KnowledgeArticle).where(*where).order_by(*order).limit(limit).offset(offset)
        )
        return [Found(a, st.excerpt(a.body, terms)) for a in rows], int(total or 0)

    async def categories(self) -> list[tuple[str, int]]:
        rows = await self.session.execute(
            select(KnowledgeArticle.category, func.count())
            .where(*self._visible())
            .group_by(KnowledgeArticle.category)
            .order_by(KnowledgeArticle.category)
        )
        return [(str(name), int(count)) for name, count in rows]

    async def get(self, article_id: UUID) -> KnowledgeArticle:
        article = await self.session.scalar(
            select(KnowledgeArticle).where(KnowledgeArticle.id == article_id, *self._visible())
        )
        if article is None:
            raise Problem(404, "No such article.")
        return article

    async def _check_business(self, business_id: UUID | None) -> None:
        if business_id is None:
            return
        found = await self.session.get(Business, (self.tenant_id, business_id))
        if found is None:
            raise Problem(400, "No such business.", code="unknown_business")

    async def create(self, fields: ArticleFields, user_id: UUID | None) -> KnowledgeArticle:
        await self._check_business(fields.business_id)
        article = KnowledgeArticle(
            tenant_id=self.tenant_id, title=fields.title, body=fields.body,
            category=fields.category, keywords=fields.keywords,
            business_id=fields.business_id, created_by=user_id, updated_by=user_id,
        )  # fmt: skip
        _index(article)
        self.session.add(article)
        await self.session.flush()
        await self.session.refresh(article)
        return article

    async def update(self, article_id: UUID, fields: ArticleFields,
                     user_id: UUID | None) -> KnowledgeArticle:  # fmt: skip
        article = await self.get(article_id)
        await self._check_business(fields.business_id)
        article.title, article.body = fields.title, fields.body
        article.category, article.keywords = fields.category, fields.keywords
        article.business_id, article.updated_by = fields.business_id, user_id
        _index(article)
        await self.session.flush()
        await self.session.refresh(article)
        return article

    async def delete(self, article_id: UUID) -> None:
        article = await self.get(article_id)
        key = article.audio_key
        await self.session.delete(article)
        await self.session.flush()
        if key:
            self._remove(key)

    async def set_audio(self, article_id: UUID, filename: str, data: bytes,
                        user_id: UUID | None) -> KnowledgeArticle:  # fmt: skip
        """Convert and store a WAV/MP3; a bad file is a 400 and nothing changes."""
        article = await self.get(article_id)
        if len(data) > MAX_UPLOAD_BYTES:
            raise Problem(400, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                          code="too_big")  # fmt: skip
        if sniff_format(data) is None:
            raise Problem(400, "This is not a WAV or MP3 file.", code="not_audio")
        try:
            audio = await to_telephone_wav(data, max_seconds=MAX_AUDIO_SECONDS)
        except AudioError as exc:
            raise Problem(400, str(exc), code=exc.code) from exc
        old, key = article.audio_key, audio_object_key(self.tenant_id, article.id)
        self.storage.put(key, audio.wav, "audio/wav")
        article.audio_key, article.audio_seconds = key, audio.duration_seconds
        article.audio_bytes, article.audio_filename = len(audio.wav), filename[:255]
        article.updated_by = user_id
        await self.session.flush()
        await self.session.refresh(article)
        if old:
            self._remove(old)
        return article

    async def remove_audio(self, article_id: UUID, user_id: UUID | None) -> KnowledgeArticle:
        article = await self.get(article_id)
        old = article.audio_key
        article.audio_key = article.audio_seconds = article.audio_bytes = None
        article.audio_filename, article.updated_by = "", user_id
        await self.session.flush()
        await self.session.refresh(article)
        if old:
            self._remove(old)
        return article

    async def audio(self, article_id: UUID) -> tuple[KnowledgeArticle, bytes]:
        article = await self.get(article_id)
        if not article.audio_key:
            raise Problem(404, "This article has no audio.", code="no_audio")
        return article, self.storage.get(article.audio_key)

    def _remove(self, key: str) -> None:
        self.storage.delete(key)
        evict_local_copy(self.storage, key)


async def article_audio_path(tenant_id: UUID, article_id: UUID, *,
                             storage: Storage | None = None) -> Path | None:  # fmt: skip
    """For callcontrol: the WAV of the tenant's article, or None when it has none."""
    async with tenant_session(tenant_id) as session:
        key = await session.scalar(
            select(KnowledgeArticle.audio_key).where(
                KnowledgeArticle.tenant_id == tenant_id, KnowledgeArticle.id == article_id
            )
        )
    return await local_file(storage or get_storage(), key) if key else None
