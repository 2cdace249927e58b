"""TEN-4: the audit trail. Every mutating request and every sign-in attempt is recorded with
actor, tenant, action, target, time and source address."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.db.session import tenant_session
from app.lib.logging import log
from app.tenants.models import AuditEntry

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Handlers set this in scope["state"] when the tenant is not the caller's (signup) or the
# handler audits itself (sign-in).
AUDIT_TENANT = "audit_tenant_id"
AUDIT_ACTOR = "audit_actor"


@dataclass(slots=True)
class AuditRecord:
    tenant_id: UUID
    action: str
    outcome: str = "success"
    actor_id: UUID | None = None
    actor_email: str | None = None
    method: str | None = None
    path: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    status_code: int | None = None
    source_ip: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


async def write_audit(record: AuditRecord) -> None:
    """Its own transaction: a failed request is audited even though its changes rolled back."""
    try:
        async with tenant_session(record.tenant_id) as session:
            session.add(AuditEntry(**asdict(record)))
    except Exception:
        log.exception("audit write failed", action=record.action, tenant=str(record.tenant_id))


def _client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def _target(scope: Scope) -> tuple[str | None, str | None]:
    handler = scope.get("route_handler")
    target_type = handler.opt.get("audit_target") if handler else None
    params = scope.get("path_params") or {}
    target_id = next((str(v) for k, v in params.items() if k.endswith("id")), None)
    return target_type, target_id


class AuditMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") not in MUTATING:
            await next_app(scope, receive, send)
            return
        status: list[int] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await next_app(scope, receive, capture)
        finally:
            await self._record(scope, status[0] if status else 500)

    async def _record(self, scope: Scope, status: int) -> None:
        handler = scope.get("route_handler")
        if handler is not None and handler.opt.get("audit") is False:
            return  # the handler wrote its own, richer entry (sign-in)
        state = scope.get("state") or {}
        principal = scope.get("user")
        tenant_id = state.get(AUDIT_TENANT) or (principal.tenant_id if principal else None)
        if tenant_id is None:
            return  # no tenant to file it under (e.g. a failed signup): the log has it
        actor = state.get(AUDIT_ACTOR)
        target_type, target_id = _target(scope)
        await write_audit(
            AuditRecord(
                tenant_id=tenant_id,
                action=(handler.opt.get("audit_action") or handler.handler_name)
                if handler
                else "unknown",
                outcome="success"
                if status < 400
                else ("denied" if status in (401, 403) else "failed"),
                actor_id=principal.user_id if principal else (actor[0] if actor else None),
                actor_email=principal.email if principal else (actor[1] if actor else None),
                method=str(scope.get("method")),
                path=scope["path"],
                target_type=target_type,
                target_id=target_id,
                status_code=status,
                source_ip=_client_ip(scope),
            )
        )
