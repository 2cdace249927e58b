"""API-2: webhook endpoints and deliveries, under the tenant (RLS and explicit filters)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.db.session import tenant_session
from app.lib.events import events_stream

GROUP = "webhooks"  # the consumer group of the delivery dispatcher on t:<tenant>:events
META_FIELDS = ("type", "tenant", "at")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def matches(endpoint: WebhookEndpoint, event_type: str) -> bool:
    if not endpoint.enabled:
        return False
    return "*" in endpoint.event_types or event_type in endpoint.event_types


def event_payload(tenant_id: UUID, event_id: str, fields: dict[str, str]) -> dict[str, Any]:
    """The JSON body of a webhook: the stream entry's meta fields, then its own under data."""
    return {
        "id": event_id,
        "type": fields.get("type", ""),
        "tenantId": str(tenant_id),
        "occurredAt": fields.get("at", ""),
        "data": {k: v for k, v in fields.items() if k not in META_FIELDS},
    }


async def ensure_group(redis: Redis, tenant_id: UUID) -> None:
    """The dispatcher's consumer group, created at the stream's end: events from now on."""
    try:
        await redis.xgroup_create(events_stream(tenant_id), GROUP, id="$", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def enabled_endpoints(tenant_id: UUID) -> list[WebhookEndpoint]:
    async with tenant_session(tenant_id) as session:
        return list(
            await session.scalars(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled
                )
            )
        )


async def record_delivery(
    session: AsyncSession,
    tenant_id: UUID,
    endpoint_id: UUID,
    event_id: str,
    payload: dict[str, Any],
) -> UUID | None:
    """The delivery row for (endpoint, event), once: None if it already exists (the same
    stream entry read again after a crash)."""
    return await session.scalar(
        insert(WebhookDelivery)
        .values(
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            event_id=event_id,
            event_type=payload["type"],
            payload=payload,
            status="pending",
            attempts=0,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(constraint="uq_webhook_delivery_event")
        .returning(WebhookDelivery.id)
    )


async def deliveries_of(
    session: AsyncSession, tenant_id: UUID, endpoint_id: UUID, limit: int, offset: int
) -> tuple[list[WebhookDelivery], dict[UUID, list[WebhookAttempt]]]:
    rows = list(
        await session.scalars(
            select(WebhookDelivery)
            .where(
                WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.endpoint_id == endpoint_id
            )
            .order_by(WebhookDelivery.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    attempts: dict[UUID, list[WebhookAttempt]] = {row.id: [] for row in rows}
    if rows:
        for attempt in await session.scalars(
            select(WebhookAttempt)
            .where(
                WebhookAttempt.tenant_id == tenant_id,
                WebhookAttempt.delivery_id.in_(list(attempts)),
            )
            .order_by(WebhookAttempt.attempt)
        ):
            attempts[attempt.delivery_id].append(attempt)
    return rows, attempts
