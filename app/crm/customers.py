"""Customer records (CRM-1): who the tenant's callers are, found by their number on the screen
pop.

- `Customer`: name, company, e-mail, category, tags, custom fields (a flat map of strings),
  notes, who created and last changed it.
- `CustomerPhone`: the customer's numbers, E.164 (`app.dialer.numbers.normalize`), one row each;
  `(tenant_id, phone)` is unique: one customer per number in a tenant. `hidden` marks a number
  taken from a call agents only ever saw masked (a campaign or click-to-call call, DIAL-6):
  agents and QA get it masked, admins and supervisors in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.calls import masking
from app.db.base import TenantOwned
from app.dialer.numbers import NumberError, normalize
from app.lib.problems import Problem


class Customer(TenantOwned):
    __tablename__ = "customer"
    __table_args__ = (
        Index("ix_customer_name", "tenant_id", "name"),
        Index("ix_customer_company", "tenant_id", "company"),
        Index("ix_customer_category", "tenant_id", "category"),
    )

    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    category: Mapped[str] = mapped_column(String(50), default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    custom: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[UUID | None] = mapped_column(nullable=True)
    updated_by: Mapped[UUID | None] = mapped_column(nullable=True)


class CustomerPhone(TenantOwned):
    __tablename__ = "customer_phone"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customer.tenant_id", "customer.id"],
            name="fk_customer_phone_customer",
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "phone", name="uq_customer_phone_number"),
        Index("ix_customer_phone_customer", "tenant_id", "customer_id"),
    )

    customer_id: Mapped[UUID] = mapped_column()
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # DIAL-6


def normalized_phones(raw: Iterable[str]) -> list[str]:
    """Typed numbers -> E.164, in order, without repeats; a bad one is a 400 naming it."""
    out: list[str] = []
    for typed in raw:
        if not typed.strip():
            continue
        try:
            e164 = normalize(typed).e164
        except NumberError as exc:
            raise Problem(
                400, f"Not a phone number: {typed!r} ({exc.reason}).", code="invalid_number"
            ) from exc
        if e164 not in out:
            out.append(e164)
    return out


def clean_tags(tags: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in tags if t.strip()))


def clean_custom(custom: dict[str, str]) -> dict[str, str]:
    """Flat string fields; blank names are dropped, names trimmed."""
    return {k.strip(): v for k, v in custom.items() if k.strip()}


def shown_phone(phone: CustomerPhone, role: str, *, also_hide: str = "") -> str:
    """As `role` may see it: hidden numbers (and `also_hide`, the number of a masked call being
    shown) masked for agents and QA."""
    if masking.reveals_numbers(role):
        return phone.phone
    if phone.hidden or (also_hide and phone.phone == also_hide):
        return masking.mask_number(phone.phone)
    return phone.phone


def custom_strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}
