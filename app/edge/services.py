"""A tenant's trunks (EDGE-3, TEN-9): validation, source-address claims, DIAL-10 budget.

Source addresses identify a trunk's tenant at the edge (Kamailio's permissions address table),
so one address can belong to one tenant only. Whether another tenant holds an address is asked
through `trunk_source_claims` (migration 0013), which answers yes/no per address and never who.
Claims are checked under a transaction-scoped advisory lock so two tenants adding the same
address at once are checked one after the other.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from uuid import UUID

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repository import TenantRepository
from app.edge import schemas as s
from app.edge.models import Trunk
from app.tenants.models import Business

# pg_advisory_xact_lock key serialising every change of trunk source addresses ("trunk").
SOURCE_LOCK_KEY = 0x7472756E6B
# A block wider than this would claim a whole provider (or the internet) for one tenant.
MIN_PREFIX = {4: 16, 6: 48}
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@dataclass
class TrunkError(Exception):
    """A request the tenant admin can correct: becomes problem+json."""

    status: int
    detail: str
    code: str
    field: str | None = None


class TrunkRepository(TenantRepository[Trunk]):
    model_type = Trunk


class BusinessRepository(TenantRepository[Business]):
    model_type = Business


def check_host(host: str) -> str:
    """An IP address or a DNS name, nothing else (no scheme, port or user part)."""
    host = host.strip()
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        raise TrunkError(400, f"{host!r} is not a host name or IP address.", "invalid_host", "host")
    return host.lower()


def normalise_sources(raw: list[str]) -> list[str]:
    """Addresses as written ("1.2.3.4"), blocks as networks ("1.2.3.0/24"); duplicates out."""
    out: list[str] = []
    for item in raw:
        value = item.strip()
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as exc:
            hint = ""
            try:
                loose = ipaddress.ip_network(value, strict=False)
                hint = f" Did you mean {loose}?"
            except ValueError:
                pass
            raise TrunkError(
                400,
                f"{value!r} is not an IP address or CIDR block ({exc}).{hint}",
                "invalid_source",
                "sourceIps",
            ) from exc
        if net.prefixlen < MIN_PREFIX[net.version]:
            raise TrunkError(
                400,
                f"{net} is too wide: at most /{MIN_PREFIX[net.version]} for IPv{net.version}.",
                "source_too_wide",
                "sourceIps",
            )
        if net.network_address.is_unspecified or net.is_multicast:
            raise TrunkError(400, f"{net} cannot send calls.", "invalid_source", "sourceIps")
        text_form = str(net.network_address) if net.num_addresses == 1 else str(net)
        if text_form not in out:
            out.append(text_form)
    return out


def _overlap(a: str, b: str) -> bool:
    na, nb = ipaddress.ip_network(a), ipaddress.ip_network(b)
    return na.version == nb.version and na.overlaps(nb)


async def _check_sources(
    session: AsyncSession, tenant_id: UUID, sources: list[str], trunk_id: UUID | None
) -> None:
    if not sources:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SOURCE_LOCK_KEY})
    claimed = list(
        await session.scalars(
            text("SELECT trunk_source_claims(:t, CAST(:s AS text[]))"),
            {"t": tenant_id, "s": sources},
        )
    )
    if claimed:
        # Deliberately the same answer whoever holds it: a tenant learns nothing of another.
        raise TrunkError(
            409, f"Address {claimed[0]} is not available.", "address_not_available", "sourceIps"
        )
    mine = await TrunkRepository(session=session, tenant_id=tenant_id).get_many()
    for other in mine:
        if other.id == trunk_id:
            continue
        for source in sources:
            for held in other.source_ips:
                if _overlap(source, held):
                    raise TrunkError(
                        409,
                        f"Address {source} is already used by your trunk {other.name!r}.",
                        "address_in_use",
                        "sourceIps",
                    )


async def _check_business(session: AsyncSession, tenant_id: UUID, business_id: UUID) -> None:
    if not await BusinessRepository(session=session, tenant_id=tenant_id).find_by_id(business_id):
        raise TrunkError(404, "No such business.", "no_such_business", "businessId")


async def _check_name(
    session: AsyncSession, tenant_id: UUID, name: str, trunk_id: UUID | None
) -> None:
    query = select(Trunk.id).where(Trunk.tenant_id == tenant_id, Trunk.name == name)
    found = await session.scalar(query)
    if found is not None and found != trunk_id:
        raise TrunkError(409, f"A trunk named {name!r} exists.", "name_in_use", "name")


async def _channels_held(session: AsyncSession, tenant_id: UUID, trunk_id: UUID) -> int:
    """DIAL-10: channels the running campaigns on this trunk hold (the dialer's budget)."""
    from app.dialer.models import Campaign, CampaignStatus

    held = await session.scalar(
        select(func.coalesce(func.sum(Campaign.max_channels), 0)).where(
            Campaign.tenant_id == tenant_id,
            Campaign.trunk_id == trunk_id,
            Campaign.status == CampaignStatus.RUNNING,
        )
    )
    return int(held or 0)


async def _campaigns_using(session: AsyncSession, tenant_id: UUID, trunk_id: UUID) -> list[str]:
    from app.dialer.models import Campaign, CampaignStatus

    names = await session.scalars(
        select(Campaign.name).where(
            Campaign.tenant_id == tenant_id,
            Campaign.trunk_id == trunk_id,
            Campaign.status.in_([CampaignStatus.RUNNING, CampaignStatus.PAUSED]),
        )
    )
    return list(names)


async def create_trunk(session: AsyncSession, tenant_id: UUID, data: s.TrunkIn) -> Trunk:
    values = msgspec.structs.asdict(data)
    values["host"] = check_host(data.host)
    values["source_ips"] = normalise_sources(data.source_ips)
    values["name"] = data.name.strip()
    await _check_name(session, tenant_id, values["name"], None)
    if data.business_id is not None:
        await _check_business(session, tenant_id, data.business_id)
    await _check_sources(session, tenant_id, values["source_ips"], None)
    return await TrunkRepository(session=session, tenant_id=tenant_id).add_owned(Trunk(**values))


async def update_trunk(
    session: AsyncSession, tenant_id: UUID, trunk_id: UUID, patch: s.TrunkPatch
) -> tuple[Trunk, bool]:
    """The updated trunk, and whether the edge must reload its address table."""
    repo = TrunkRepository(session=session, tenant_id=tenant_id)
    trunk = await repo.get_one_by_id(trunk_id)
    # Lock the row as campaign start does (DIAL-10), so the budget below stays true.
    await session.execute(
        select(Trunk.id).where(Trunk.tenant_id == tenant_id, Trunk.id == trunk_id).with_for_update()
    )
    values = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not None}
    values.pop("clear_business", None)
    if "name" in values:
        values["name"] = values["name"].strip()
        await _check_name(session, tenant_id, values["name"], trunk_id)
    if "host" in values:
        values["host"] = check_host(values["host"])
    if "business_id" in values:
        await _check_business(session, tenant_id, values["business_id"])
    if patch.clear_business:
        values["business_id"] = None
    if "source_ips" in values:
        values["source_ips"] = normalise_sources(values["source_ips"])
        await _check_sources(session, tenant_id, values["source_ips"], trunk_id)
    if "max_channels" in values:
        held = await _channels_held(session, tenant_id, trunk_id)
        if values["max_channels"] < held:
            raise TrunkError(
                409,
                f"Running campaigns hold {held} channels of this trunk; pause them or keep "
                f"at least {held}.",
                "channels_in_use",
                "maxChannels",
            )
    reload = ("source_ips" in values and values["source_ips"] != trunk.source_ips) or (
        "is_active" in values and values["is_active"] != trunk.is_active
    )
    for name, value in values.items():
        setattr(trunk, name, value)
    await session.flush()
    return trunk, reload


async def delete_trunk(session: AsyncSession, tenant_id: UUID, trunk_id: UUID) -> Trunk:
    repo = TrunkRepository(session=session, tenant_id=tenant_id)
    trunk = await repo.get_one_by_id(trunk_id)
    campaigns = await _campaigns_using(session, tenant_id, trunk_id)
    if campaigns:
        raise TrunkError(
            409,
            f"Campaign {campaigns[0]!r} dials through this trunk; move it to another trunk or "
            "finish it first.",
            "trunk_in_use",
        )
    return await repo.delete_by_id(trunk.id)


def trunk_out(t: Trunk) -> s.TrunkOut:
    return s.TrunkOut(
        id=t.id,
        name=t.name,
        kind=t.kind,
        host=t.host,
        port=t.port,
        transport=t.transport,
        business_id=t.business_id,
        source_ips=list(t.source_ips or []),
        username=t.username,
        has_password=bool(t.password),
        caller_id=t.caller_id,
        max_channels=t.max_channels,
        is_active=t.is_active,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )
