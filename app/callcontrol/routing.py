"""Who a call belongs to and where it goes (TEN-9, SEAT-6).

The tenant of an inbound INVITE comes from Kamailio's `X-Fastline-Tenant` header when the
request's source is a trusted Kamailio address; from anyone else the headers are ignored and the
dialed number decides (`route_for_number`, a SECURITY DEFINER function that sees every tenant's
numbers and returns one row). Everything after that runs in a tenant session.

Until the ACD exists, an inbound call to a DID rings one extension, chosen in this order:
1. the Redis hash `t:<tenant>:callcontrol:did_targets` (field = DID, value = extension), which an
   admin or a test may set;
2. the lowest-numbered active extension of the DID's business;
3. the tenant's lowest-numbered active extension.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy import case, select, text

from app.db.session import get_engine, get_sessionmaker, tenant_session
from app.edge.models import Trunk
from app.lib.keys import tenant_key
from app.lib.numbers import InvalidNumberError, normalize_number
from app.seats.models import Extension
from app.tenants.models import Tenant

T = TypeVar("T")


@dataclass(frozen=True)
class NumberRoute:
    tenant_id: UUID
    number_id: UUID
    business_id: UUID | None


@dataclass(frozen=True)
class SeatTarget:
    number: str
    user_id: UUID | None
    seat_type: str
    business_id: UUID | None = None  # the seat's business: its calls out use its trunk


@dataclass(frozen=True)
class TrunkTarget:
    trunk_id: UUID
    host: str
    port: int
    transport: str
    username: str
    password: str
    caller_id: str


def is_extension(user: str) -> bool:
    """SEAT-6: extensions are 3 to 6 digits; anything longer is a phone number."""
    return user.isdigit() and 3 <= len(user) <= 6


def did_targets_key(tenant_id: UUID) -> str:
    return tenant_key(tenant_id, "callcontrol", "did_targets")


async def route_for_number(dialed: str) -> NumberRoute | None:
    try:
        number = normalize_number(dialed)
    except InvalidNumberError:
        return None
    async with get_sessionmaker()() as session:
        row = (
            await session.execute(
                text("SELECT tenant_id, number_id, business_id FROM route_for_number(:n)"),
                {"n": number},
            )
        ).first()
    return NumberRoute(row.tenant_id, row.number_id, row.business_id) if row else None


# A tenant's SIP domain is set at sign-up and never changes, so both directions are cached in
# the process: two database sessions less per call set-up (bench/sip_setup.py measured the ORM
# round trips as callcontrol's largest cost). Only hits are kept, for DOMAIN_TTL seconds, so a
# new tenant is seen at once and a deleted one is forgotten soon.
DOMAIN_TTL = 60.0
_domain_of_tenant: dict[UUID, tuple[float, str]] = {}
_tenant_of_domain: dict[str, tuple[float, UUID]] = {}


def _fresh(entry: tuple[float, T] | None) -> T | None:
    if entry is None or entry[0] < time.monotonic():
        return None
    return entry[1]


async def tenant_for_sip_domain(domain: str) -> UUID | None:
    domain = domain.lower()
    cached = _fresh(_tenant_of_domain.get(domain))
    if cached is not None:
        return cached
    async with get_sessionmaker()() as session:
        tenant_id = await session.scalar(text("SELECT tenant_for_sip_domain(:d)"), {"d": domain})
    if tenant_id is not None:
        _tenant_of_domain[domain] = (time.monotonic() + DOMAIN_TTL, tenant_id)
    return tenant_id


async def sip_domain(tenant_id: UUID) -> str:
    cached = _fresh(_domain_of_tenant.get(tenant_id))
    if cached is not None:
        return cached
    async with tenant_session(tenant_id) as session:
        tenant = await session.get_one(Tenant, tenant_id)
        domain = tenant.sip_domain or ""
    if domain:
        _domain_of_tenant[tenant_id] = (time.monotonic() + DOMAIN_TTL, domain)
    return domain


# A seat is looked up on every call set-up; at a few hundred calls a second an ORM session per
# look-up was callcontrol's largest CPU cost (bench/sip_setup.py --profile). Active seats are
# kept for SEAT_TTL seconds: a seat deactivated (or changed) elsewhere stops ringing from this
# node within SEAT_TTL, and `forget_seats` drops a tenant's entries at once. Misses are not
# kept, so a new extension rings at once.
SEAT_TTL = 5.0
_seats: dict[tuple[UUID, str], tuple[float, SeatTarget]] = {}

_SEAT_QUERY = text(
    "SELECT number, user_id, seat_type, business_id FROM extension"
    " WHERE tenant_id = :tenant AND number = :number AND is_active"
)


def forget_seats(tenant_id: UUID | None = None) -> None:
    """Drop cached seats (one tenant's, or all): the next look-up reads the database."""
    for key in [k for k in _seats if tenant_id is None or k[0] == tenant_id]:
        del _seats[key]


async def find_seat(tenant_id: UUID, number: str) -> SeatTarget | None:
    cached = _fresh(_seats.get((tenant_id, number)))
    if cached is not None:
        return cached
    seat = await _load_seat(tenant_id, number)
    if seat is not None:
        _seats[(tenant_id, number)] = (time.monotonic() + SEAT_TTL, seat)
    return seat


async def _load_seat(tenant_id: UUID, number: str) -> SeatTarget | None:
    # One Core statement on a pooled connection, in a transaction scoped to the tenant the same
    # way `tenant_session` does (RLS still applies): no ORM session or identity map.
    async with get_engine().begin() as conn:
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)}
        )
        row = (await conn.execute(_SEAT_QUERY, {"tenant": tenant_id, "number": number})).first()
    return SeatTarget(row.number, row.user_id, row.seat_type, row.business_id) if row else None


async def seat_for_user(tenant_id: UUID, user_id: UUID) -> SeatTarget | None:
    async with tenant_session(tenant_id) as session:
        ext = await session.scalar(
            select(Extension)
            .where(Extension.tenant_id == tenant_id, Extension.user_id == user_id)
            .order_by(Extension.number)
        )
    return SeatTarget(ext.number, ext.user_id, ext.seat_type, ext.business_id) if ext else None


async def target_for_did(
    redis: Redis, tenant_id: UUID, did: str, business_id: UUID | None
) -> SeatTarget | None:
    configured = await redis.hget(did_targets_key(tenant_id), did)  # type: ignore[misc]
    if configured:
        return await find_seat(tenant_id, str(configured))
    async with tenant_session(tenant_id) as session:
        base = select(Extension).where(
            Extension.tenant_id == tenant_id, Extension.is_active.is_(True)
        )
        ext = None
        if business_id is not None:
            ext = await session.scalar(
                base.where(Extension.business_id == business_id).order_by(Extension.number)
            )
        if ext is None:
            ext = await session.scalar(base.order_by(Extension.number))
    return SeatTarget(ext.number, ext.user_id, ext.seat_type, ext.business_id) if ext else None


async def outbound_trunk(tenant_id: UUID, business_id: UUID | None = None) -> TrunkTarget | None:
    """The active carrier trunk a call of `business_id` goes out on: the business's own trunk,
    else one shared by the tenant (no business), else any other; by kind and name within each
    (routing by prefix comes later)."""
    if business_id is not None:
        preference = case(
            (Trunk.business_id == business_id, 0), (Trunk.business_id.is_(None), 1), else_=2
        )
    else:
        preference = case((Trunk.business_id.is_(None), 0), else_=1)
    async with tenant_session(tenant_id) as session:
        trunk = await session.scalar(
            select(Trunk)
            .where(Trunk.tenant_id == tenant_id, Trunk.is_active.is_(True))
            .order_by(preference, Trunk.kind, Trunk.name)
        )
    if trunk is None:
        return None
    return TrunkTarget(
        trunk.id,
        trunk.host,
        trunk.port,
        trunk.transport,
        trunk.username,
        trunk.password,
        trunk.caller_id,
    )
