"""API-1 API clients and API-2 webhook endpoints, for tenant admins (and, for webhooks, API
clients holding the webhooks:manage scope)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, get_args
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select

from app.api import schemas as s
from app.api import services, tokens
from app.api.models import ApiClient, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.db.deps import DbSession
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
CLIENTS = {"permission": Perm.API_MANAGE, "audit_target": "api_client"}
HOOKS = {"permission": Perm.WEBHOOKS_MANAGE, "audit_target": "webhook"}


def client_out(row: ApiClient, last_used: str | None = None) -> s.ApiClientOut:
    used = row.last_used_at
    if last_used:
        stamped = datetime.fromisoformat(last_used)
        used = stamped if used is None or stamped > used else used
    return s.ApiClientOut(
        id=row.id,
        client_id=row.client_id,
        name=row.name,
        scopes=list(row.scopes),
        rate_limit_per_minute=row.rate_limit_per_minute,
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
        last_used_at=used,
        redirect_uris=list(row.redirect_uris or []),
    )


def hook_out(row: WebhookEndpoint) -> s.WebhookOut:
    return s.WebhookOut(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types),
        enabled=row.enabled,
        created_at=row.created_at,
    )


def attempt_out(row: WebhookAttempt) -> s.AttemptOut:
    return s.AttemptOut(
        attempt=row.attempt,
        outcome=row.outcome,
        status_code=row.status_code,
        latency_ms=row.latency_ms,
        error=row.error,
        at=row.created_at,
    )


def delivery_out(row: WebhookDelivery, attempts: list[WebhookAttempt]) -> s.DeliveryOut:
    return s.DeliveryOut(
        id=row.id,
        endpoint_id=row.endpoint_id,
        event_id=row.event_id,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        attempt_log=[attempt_out(a) for a in attempts],
    )


class ApiClientController(Controller):
    path = "/api/v1/api-clients"
    tags = ["api clients"]

    @get("/", opt=CLIENTS)
    async def list_clients(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[s.ApiClientOut]:
        tenant_id = current_principal(request).tenant_id
        rows = await db_session.scalars(
            select(ApiClient)
            .where(ApiClient.tenant_id == tenant_id)
            .order_by(ApiClient.created_at.desc())
        )
        used: dict[str, str] = await get_redis().hgetall(tokens.last_used_key(tenant_id))  # type: ignore[misc]
        return [client_out(row, used.get(str(row.id))) for row in rows]

    @post("/", opt=CLIENTS | {"audit_action": "api_client.create"})
    async def create_client(
        self, request: Request[Any, Any, Any], data: JSONBody[s.ApiClientIn], db_session: DbSession
    ) -> s.ApiClientCreated:
        principal = current_principal(request)
        secret = "fls_" + secrets.token_urlsafe(32)
        row = ApiClient(
            tenant_id=principal.tenant_id,
            name=data.name,
            secret_hash=tokens.digest(secret),
            scopes=sorted(set(data.scopes)),
            rate_limit_per_minute=data.rate_limit_per_minute,
            redirect_uris=list(dict.fromkeys(data.redirect_uris)),
            created_by=principal.user_id,
        )
        db_session.add(row)
        await db_session.flush()
        out = client_out(row)
        return s.ApiClientCreated(**{f: getattr(out, f) for f in out.__struct_fields__},
                                  client_secret=secret)  # fmt: skip

    @delete("/{client_id:uuid}", opt=CLIENTS | {"audit_action": "api_client.revoke"})
    async def revoke_client(
        self, request: Request[Any, Any, Any], client_id: FromPath[UUID], db_session: DbSession
    ) -> None:
        """Revoke: the client can get no new token and its live tokens stop at once."""
        tenant_id = current_principal(request).tenant_id
        row = await db_session.scalar(
            select(ApiClient).where(ApiClient.tenant_id == tenant_id, ApiClient.id == client_id)
        )
        if row is None:
            raise Problem(404, "No such API client here.")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        await tokens.revoke_client_tokens(get_redis(), tenant_id, row.id)


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    async def _endpoint(
        self, request: Request[Any, Any, Any], db_session: DbSession, webhook_id: UUID
    ) -> WebhookEndpoint:
        tenant_id = current_principal(request).tenant_id
        row = await db_session.scalar(
            select(WebhookEndpoint).where(
                WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.id == webhook_id
            )
        )
        if row is None:
            raise Problem(404, "No such webhook here.")
        return row

    @get("/event-types", opt=HOOKS)
    async def event_types(self) -> list[str]:
        return list(get_args(s.EventType))

    @get("/", opt=HOOKS)
    async def list_webhooks(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[s.WebhookOut]:
        tenant_id = current_principal(request).tenant_id
        rows = await db_session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant_id)
            .order_by(WebhookEndpoint.created_at)
        )
        return [hook_out(row) for row in rows]

    @post("/", opt=HOOKS | {"audit_action": "webhook.create"})
    async def create_webhook(
        self, request: Request[Any, Any, Any], data: JSONBody[s.WebhookIn], db_session: DbSession
    ) -> s.WebhookCreated:
        tenant_id = current_principal(request).tenant_id
        row = WebhookEndpoint(
            tenant_id=tenant_id,
            url=data.url,
            description=data.description,
            event_types=sorted(set(data.event_types)),
            secret=services.new_secret(),
            enabled=data.enabled,
        )
        db_session.add(row)
        await db_session.flush()
        # Events from now on reach it, even before the dispatcher next looks at endpoints.
        await services.ensure_group(get_redis(), tenant_id)
        out = hook_out(row)
        return s.WebhookCreated(**{f: getattr(out, f) for f in out.__struct_fields__},
                                secret=row.secret)  # fmt: skip

    @patch("/{webhook_id:uuid}", opt=HOOKS | {"audit_action": "webhook.update"})
    async def update_webhook(
        self,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        data: JSONBody[s.WebhookPatch],
        db_session: DbSession,
    ) -> s.WebhookOut:
        row = await self._endpoint(request, db_session, webhook_id)
        if data.url is not None:
            row.url = data.url
        if data.event_types is not None:
            row.event_types = sorted(set(data.event_types))
        if data.description is not None:
            row.description = data.description
        if data.enabled is not None:
            row.enabled = data.enabled
        await db_session.flush()
        return hook_out(row)

    @delete("/{webhook_id:uuid}", opt=HOOKS | {"audit_action": "webhook.delete"})
    async def delete_webhook(
        self, request: Request[Any, Any, Any], webhook_id: FromPath[UUID], db_session: DbSession
    ) -> None:
        await db_session.delete(await self._endpoint(request, db_session, webhook_id))

    @get("/{webhook_id:uuid}/deliveries", opt=HOOKS)
    async def list_deliveries(
        self,
        request: Request[Any, Any, Any],
        webhook_id: FromPath[UUID],
        db_session: DbSession,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> list[s.DeliveryOut]:
        row = await self._endpoint(request, db_session, webhook_id)
        rows, attempts = await services.deliveries_of(
            db_session, row.tenant_id, row.id, limit, offset
        )
        return [delivery_out(d, attempts[d.id]) for d in rows]

    @post(
        "/{webhook_id:uuid}/test",
        opt=HOOKS | {"audit_action": "webhook.test"},
        status_code=202,
    )
    async def send_test(
        self, request: Request[Any, Any, Any], webhook_id: FromPath[UUID], db_session: DbSession
    ) -> s.TestEventOut:
        """Queue a `webhook.test` event to this endpoint alone (whatever its event types)."""
        row = await self._endpoint(request, db_session, webhook_id)
        event_id = f"test-{uuid.uuid4()}"
        fields = {
            "type": "webhook.test",
            "at": datetime.now(UTC).isoformat(),
            "webhookId": str(row.id),
        }
        payload = services.event_payload(row.tenant_id, event_id, fields)
        delivery_id = await services.record_delivery(
            db_session, row.tenant_id, row.id, event_id, payload
        )
        assert delivery_id is not None
        await db_session.commit()
        from app.api.actors import deliver_webhook

        await asyncio.to_thread(deliver_webhook.send, str(row.tenant_id), str(delivery_id))
        return s.TestEventOut(delivery_id=delivery_id, event_id=event_id)
