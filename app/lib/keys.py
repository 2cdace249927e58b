"""Redis and object-storage keys. Every key starts with the tenant: `t:<tenant_id>:...`."""

from __future__ import annotations

from uuid import UUID


def tenant_key(tenant_id: UUID, *parts: str) -> str:
    if tenant_id is None:
        raise ValueError("a tenant key needs a tenant")
    return ":".join(("t", str(tenant_id), *parts))


def tenant_object_key(tenant_id: UUID, *parts: str) -> str:
    """Object storage (S3 or the local folder): `tenant/<id>/<parts...>`."""
    if tenant_id is None:
        raise ValueError("an object key needs a tenant")
    for part in parts:
        if not part or part in {".", ".."} or "/" in part:
            raise ValueError(f"unsafe object key part: {part!r}")
    return "/".join(("tenant", str(tenant_id), *parts))
