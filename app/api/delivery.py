"""API-2: one POST of one webhook delivery, recorded, and when to try again.

Retries: on a non-2xx answer, a timeout or a connection error, again after
`backoff * 2^(attempt-1)` (FASTLINE_WEBHOOK_BACKOFF_MS, default 10 s: 10 s, 20 s, 40 s, ...)
until FASTLINE_WEBHOOK_MAX_ATTEMPTS (default 8) attempts, then the delivery is `failed`; an
endpoint disabled meanwhile ends its pending deliveries as `cancelled` (test events excepted).
Each attempt is a `webhook_attempt` row (outcome, status code, latency, error).

Targets: addresses that are loopback, private, link-local or reserved are refused (a tenant
must not make our workers call our own network) unless FASTLINE_WEBHOOK_ALLOW_PRIVATE=1
(tests, single-machine installs). The check resolves the name just before the POST.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

import httpx
from sqlalchemy import select

from app.api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.api.signing import SIGNATURE_HEADER, sign
from app.db.session import tenant_session

USER_AGENT = "Fastline-Webhooks/1"


def max_attempts() -> int:
    return max(int(os.environ.get("FASTLINE_WEBHOOK_MAX_ATTEMPTS", "8")), 1)


def backoff_seconds(attempt: int) -> float:
    base = float(os.environ.get("FASTLINE_WEBHOOK_BACKOFF_MS", "10000")) / 1000
    return float(base * 2 ** (attempt - 1))


def timeout_seconds() -> float:
    return float(os.environ.get("FASTLINE_WEBHOOK_TIMEOUT_S", "10"))


def private_allowed() -> bool:
    return os.environ.get("FASTLINE_WEBHOOK_ALLOW_PRIVATE", "0") == "1"


class RefusedTarget(Exception):
    pass


async def check_target(url: str) -> None:
    if private_allowed():
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise RefusedTarget(f"refused: {host} resolves to a non-public address ({address})")


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str  # ok | http_error | timeout | error
    status_code: int | None
    latency_ms: int
    error: str | None


async def post_once(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(endpoint.secret, body),
        "Fastline-Event": delivery.event_type,
        "Fastline-Delivery": str(delivery.id),
    }
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        await check_target(endpoint.url)
        async with httpx.AsyncClient(timeout=timeout_seconds(), follow_redirects=False) as http:
            response = await http.post(endpoint.url, content=body, headers=headers)
    except RefusedTarget as exc:
        return Outcome("error", None, elapsed(), str(exc))
    except httpx.TimeoutException:
        return Outcome("timeout", None, elapsed(), "timed out")
    except (httpx.HTTPError, OSError) as exc:
        return Outcome("error", None, elapsed(), f"{type(exc).__name__}: {exc}"[:500])
    ok = 200 <= response.status_code < 300
    return Outcome("ok" if ok else "http_error", response.status_code, elapsed(), None)


async def attempt_delivery(tenant_id: UUID, delivery_id: UUID) -> float | None:
    """POST the delivery once (unless it is already settled); the seconds until the next
    attempt, or None when there is none (delivered, failed for good, gone)."""
    async with tenant_session(tenant_id) as session:
        delivery = await session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == delivery_id
            )
        )
        if delivery is None or delivery.status != "pending":
            return None
        endpoint = await session.scalar(
            select(WebhookEndpoint).where(
                WebhookEndpoint.tenant_id == tenant_id,
                WebhookEndpoint.id == delivery.endpoint_id,
            )
        )
    if endpoint is None:
        return None
    if not endpoint.enabled and delivery.event_type != "webhook.test":
        # Disabled since: the admin wants it quiet; the delivery ends without a POST.
        async with tenant_session(tenant_id) as session:
            row = await session.get(WebhookDelivery, (tenant_id, delivery_id), with_for_update=True)
            if row is not None and row.status == "pending":
                row.status, row.next_attempt_at = "cancelled", None
        return None
    result = await post_once(endpoint, delivery)
    now = datetime.now(UTC)
    async with tenant_session(tenant_id) as session:
        row = await session.scalar(
            select(WebhookDelivery)
            .where(WebhookDelivery.tenant_id == tenant_id, WebhookDelivery.id == delivery_id)
            .with_for_update()
        )
        if row is None or row.status != "pending":
            return None  # a duplicate message settled it meanwhile
        row.attempts += 1
        row.last_status_code = result.status_code
        session.add(
            WebhookAttempt(
                tenant_id=tenant_id,
                delivery_id=delivery_id,
                attempt=row.attempts,
                outcome=result.outcome,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                error=result.error,
            )
        )
        if result.outcome == "ok":
            row.status, row.delivered_at, row.next_attempt_at = "delivered", now, None
            return None
        if row.attempts >= max_attempts():
            row.status, row.next_attempt_at = "failed", None
            return None
        delay = backoff_seconds(row.attempts)
        row.next_attempt_at = now + timedelta(seconds=delay)
        return delay
