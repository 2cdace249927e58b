"""Customers API (CRM-1), `/api/v1/customers`. Permissions: `customers.read` (everyone in the
tenant but operators), `customers.write` (admin, supervisor, agent: create and edit, also from
the screen pop), `customers.delete` (admin, supervisor).

Numbers (DIAL-6): a number taken from a campaign or click-to-call call is `hidden`: agents and QA
get it masked in every reply; on the screen pop of such a call the call's number is masked on the
record whatever its origin. Who sees numbers masked searches by their last 4 digits only (a
suffix), like the call history. `from-call` takes the number from the call on the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls import masking
from app.calls.history import MASKED_SEARCH_DIGITS, number_digits
from app.crm import customer_schemas as s
from app.crm import customers as c
from app.crm.customers import Customer, CustomerPhone
from app.crm.tickets import number_of_call
from app.db.deps import DbSession
from app.dialer.numbers import NumberError, normalize
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.tenants.auth import current_principal
from app.tenants.models import User
from app.tenants.permissions import Perm
from app.tenants.schemas import Page
from app.tenants.sessions import Principal

READ = {"permission": Perm.CUSTOMERS_READ}
WRITE = {"permission": Perm.CUSTOMERS_WRITE, "audit_target": "customer"}
DELETE = {"permission": Perm.CUSTOMERS_DELETE, "audit_target": "customer"}

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Short = Annotated[str | None, QueryParameter(max_length=100)]


async def _phones(
    session: AsyncSession, tenant_id: UUID, ids: Sequence[UUID]
) -> dict[UUID, list[CustomerPhone]]:
    out: dict[UUID, list[CustomerPhone]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = await session.scalars(
        select(CustomerPhone)
        .where(CustomerPhone.tenant_id == tenant_id, CustomerPhone.customer_id.in_(ids))
        .order_by(CustomerPhone.created_at, CustomerPhone.id)
    )
    for row in rows:
        out[row.customer_id].append(row)
    return out


async def _names(session: AsyncSession, tenant_id: UUID, ids: Iterable[UUID | None]) -> dict:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name).where(User.tenant_id == tenant_id, User.id.in_(wanted))
    )
    return {i: n for i, n in rows}


async def _outs(
    session: AsyncSession, p: Principal, customers: Sequence[Customer], *, also_hide: str = ""
) -> list[s.CustomerOut]:
    phones = await _phones(session, p.tenant_id, [x.id for x in customers])
    names = await _names(
        session, p.tenant_id, [u for x in customers for u in (x.created_by, x.updated_by)]
    )
    return [
        s.CustomerOut(
            id=x.id,
            name=x.name,
            company=x.company,
            phones=[
                s.CustomerPhoneOut(
                    phone=c.shown_phone(ph, p.role, also_hide=also_hide),
                    hidden=ph.hidden or bool(also_hide and ph.phone == also_hide),
                )
                for ph in phones[x.id]
            ],
            email=x.email,
            category=x.category,
            tags=list(x.tags or []),
            custom=c.custom_strings(x.custom),
            notes=x.notes,
            created_by=x.created_by,
            created_by_name=names.get(x.created_by),
            updated_by=x.updated_by,
            updated_by_name=names.get(x.updated_by),
            created_at=x.created_at,
            updated_at=x.updated_at,
        )
        for x in customers
    ]


async def _one_out(
    session: AsyncSession, p: Principal, customer: Customer, *, also_hide: str = ""
) -> s.CustomerOut:
    return (await _outs(session, p, [customer], also_hide=also_hide))[0]


async def _customer(
    session: AsyncSession, p: Principal, customer_id: UUID, *, lock: bool = False
) -> Customer:
    stmt = select(Customer).where(Customer.tenant_id == p.tenant_id, Customer.id == customer_id)
    customer = await session.scalar(stmt.with_for_update() if lock else stmt)
    if customer is None:
        raise Problem(404, "No such customer.")
    return customer


async def _check_free(
    session: AsyncSession,
    tenant_id: UUID,
    phones: Sequence[str],
    mine: UUID | None = None,
    *,
    masked_role: bool = False,
) -> None:
    """One customer per number: a number another record holds is a 409 naming that record.

    DIAL-6: when someone who sees numbers masked TYPES a number that a record holds hidden (a
    campaign or click-to-call number), the 409 does not name the record: it would tie the
    number they guessed to a customer they may only know by a masked number."""
    if not phones:
        return
    stmt = select(CustomerPhone.customer_id, CustomerPhone.phone, CustomerPhone.hidden).where(
        CustomerPhone.tenant_id == tenant_id, CustomerPhone.phone.in_(phones)
    )
    if mine is not None:
        stmt = stmt.where(CustomerPhone.customer_id != mine)
    taken = (await session.execute(stmt.limit(1))).first()
    if taken is not None and masked_role and taken.hidden:
        raise Problem(409, "This number cannot be added: it is on file.", code="duplicate_number")
    if taken is not None:
        raise Problem(
            409,
            "This number belongs to another customer already.",
            code="duplicate_number",
            customerId=str(taken[0]),
        )


def _add_phones(
    session: AsyncSession, customer: Customer, phones: Sequence[str], *, hidden: bool = False
) -> None:
    for phone in phones:
        session.add(
            CustomerPhone(
                tenant_id=customer.tenant_id, customer_id=customer.id, phone=phone, hidden=hidden
            )
        )


def _call_phone(raw: str) -> str:
    try:
        return normalize(raw).e164
    except NumberError:
        return raw


class CustomerController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]

    @get("/", opt=READ)
    async def search(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        q: Short = None,
        phone: Short = None,
        tag: Short = None,
        category: Short = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.CustomerOut]:
        """Customers, by name. `q`: name or company starting with it; `phone`: digits anywhere
        in a number (who sees numbers masked: the last 4 digits at most, matched at the end);
        `tag`, `category`: exact."""
        p = current_principal(request)
        where: list[Any] = [Customer.tenant_id == p.tenant_id]
        if q and q.strip():
            start = q.strip()
            where.append(
                or_(
                    Customer.name.istartswith(start, autoescape=True),
                    Customer.company.istartswith(start, autoescape=True),
                )
            )
        if phone and (digits := number_digits(phone)):
            reveal = masking.reveals_numbers(p.role)
            if not reveal and len(digits) > MASKED_SEARCH_DIGITS:
                raise Problem(
                    403,
                    f"Numbers are masked for your role: search by their last "
                    f"{MASKED_SEARCH_DIGITS} digits only.",
                    code="number_masked",
                )
            match = (
                CustomerPhone.phone.contains(digits, autoescape=True)
                if reveal
                else CustomerPhone.phone.endswith(digits, autoescape=True)
            )
            where.append(
                exists().where(
                    CustomerPhone.tenant_id == Customer.tenant_id,
                    CustomerPhone.customer_id == Customer.id,
                    match,
                )
            )
        if tag and tag.strip():
            where.append(Customer.tags.contains([tag.strip()]))
        if category is not None and category.strip():
            where.append(Customer.category == category.strip())
        total = await db_session.scalar(select(func.count()).select_from(Customer).where(*where))
        rows = list(
            await db_session.scalars(
                select(Customer)
                .where(*where)
                .order_by(Customer.name, Customer.id)
                .limit(limit)
                .offset(offset)
            )
        )
        return Page(
            items=await _outs(db_session, p, rows), total=total or 0, limit=limit, offset=offset
        )

    @post("/", opt=WRITE | {"audit_action": "customer.create"})
    async def create(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.CustomerIn]
    ) -> s.CustomerOut:
        """A new record; numbers are normalized to E.164 and must not belong to another."""
        p = current_principal(request)
        phones = c.normalized_phones(data.phones)
        masked = not masking.reveals_numbers(p.role)
        await _check_free(db_session, p.tenant_id, phones, masked_role=masked)
        customer = Customer(
            tenant_id=p.tenant_id,
            name=data.name.strip() or data.name,
            company=data.company.strip(),
            email=data.email.strip(),
            category=data.category.strip(),
            tags=c.clean_tags(data.tags),
            custom=c.clean_custom(data.custom),
            notes=data.notes,
            created_by=p.user_id,
            updated_by=p.user_id,
        )
        db_session.add(customer)
        await db_session.flush()
        _add_phones(db_session, customer, phones)
        await db_session.commit()
        return await _one_out(db_session, p, customer)

    @get("/for-call/{call_key:str}", opt=READ)
    async def for_call(
        self, request: Request[Any, Any, Any], db_session: DbSession, call_key: FromPath[str]
    ) -> s.CallCustomerOut:
        """The screen pop: the caller's record, found by the call's number on the server."""
        p = current_principal(request)
        known = await number_of_call(db_session, p.tenant_id, call_key)
        if known is None:
            raise Problem(404, "No such call.")
        phone = _call_phone(known.phone) if known.phone else ""
        hide = known.hidden and not masking.reveals_numbers(p.role)
        customer = None
        if phone:
            customer = await db_session.scalar(
                select(Customer).where(
                    Customer.tenant_id == p.tenant_id,
                    exists().where(
                        CustomerPhone.tenant_id == Customer.tenant_id,
                        CustomerPhone.customer_id == Customer.id,
                        CustomerPhone.phone == phone,
                    ),
                )
            )
        out = None
        if customer is not None:
            out = await _one_out(db_session, p, customer, also_hide=phone if hide else "")
        return s.CallCustomerOut(
            call_key=call_key,
            phone=masking.mask_number(phone) if hide and phone else phone,
            phone_hidden=known.hidden,
            customer=out,
        )

    @post("/from-call/{call_key:str}", opt=WRITE | {"audit_action": "customer.create_from_call"})
    async def from_call(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        call_key: FromPath[str],
        data: JSONBody[s.CustomerFromCallIn],
    ) -> s.CustomerOut:
        """A record for the caller of `call_key`, with the call's number (taken on the server;
        hidden for agents and QA when the call's number was masked)."""
        p = current_principal(request)
        known = await number_of_call(db_session, p.tenant_id, call_key)
        if known is None:
            raise Problem(404, "No such call.", code="no_such_call")
        if not known.phone:
            raise Problem(409, "This call has no customer number.", code="no_number")
        phone = _call_phone(known.phone)
        await _check_free(db_session, p.tenant_id, [phone])
        customer = Customer(
            tenant_id=p.tenant_id,
            name=data.name.strip() or data.name,
            company=data.company.strip(),
            email=data.email.strip(),
            category=data.category.strip(),
            tags=c.clean_tags(data.tags),
            custom=c.clean_custom(data.custom),
            notes=data.notes,
            created_by=p.user_id,
            updated_by=p.user_id,
        )
        db_session.add(customer)
        await db_session.flush()
        _add_phones(db_session, customer, [phone], hidden=known.hidden)
        await db_session.commit()
        hide = known.hidden and not masking.reveals_numbers(p.role)
        return await _one_out(db_session, p, customer, also_hide=phone if hide else "")

    @get("/{customer_id:uuid}", opt=READ)
    async def detail(
        self, request: Request[Any, Any, Any], db_session: DbSession, customer_id: FromPath[UUID]
    ) -> s.CustomerOut:
        p = current_principal(request)
        return await _one_out(db_session, p, await _customer(db_session, p, customer_id))

    @patch("/{customer_id:uuid}", opt=WRITE | {"audit_action": "customer.update"})
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        customer_id: FromPath[UUID],
        data: JSONBody[s.CustomerPatch],
    ) -> s.CustomerOut:
        """Change the fields given. `phones` replaces the numbers; numbers shown to the caller
        masked are kept (they cannot send them back)."""
        p = current_principal(request)
        customer = await _customer(db_session, p, customer_id, lock=True)
        if data.name is not None:
            customer.name = data.name.strip() or data.name
        for field in ("company", "email", "category"):
            value = getattr(data, field)
            if value is not None:
                setattr(customer, field, value.strip())
        if data.tags is not None:
            customer.tags = c.clean_tags(data.tags)
        if data.custom is not None:
            customer.custom = c.clean_custom(data.custom)
        if data.notes is not None:
            customer.notes = data.notes
        if data.phones is not None:
            wanted = c.normalized_phones(data.phones)
            masked = not masking.reveals_numbers(p.role)
            await _check_free(db_session, p.tenant_id, wanted, customer.id, masked_role=masked)
            current = (await _phones(db_session, p.tenant_id, [customer.id]))[customer.id]
            reveal = masking.reveals_numbers(p.role)
            have = {ph.phone for ph in current}
            for ph in current:
                if ph.phone not in wanted and (reveal or not ph.hidden):
                    await db_session.delete(ph)
            await db_session.flush()
            _add_phones(db_session, customer, [x for x in wanted if x not in have])
        customer.updated_by = p.user_id
        await db_session.commit()
        return await _one_out(db_session, p, customer)

    @delete("/{customer_id:uuid}", opt=DELETE | {"audit_action": "customer.delete"},
            status_code=204)  # fmt: skip
    async def remove(
        self, request: Request[Any, Any, Any], db_session: DbSession, customer_id: FromPath[UUID]
    ) -> None:
        p = current_principal(request)
        customer = await _customer(db_session, p, customer_id, lock=True)
        await db_session.delete(customer)
        await db_session.commit()
