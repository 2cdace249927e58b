"""The agents' motivational marquee (DIAL-9): short messages a supervisor sets ("3 sales to go
for the team bonus!") that scroll across every agent's console.

- `GET /api/v1/cti/marquee` (cti): the messages, in order;
- `PUT /api/v1/marquee` (marquee.write: admins and supervisors): replace them (at most 20, each
  up to 200 characters); the change is published as a `marquee` event on the tenant's stream,
  so consoles update at once.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import JSONBody
from sqlalchemy import Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned
from app.db.deps import DbSession
from app.lib.events import add_event
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm
from app.tenants.schemas import Camel

MAX_MESSAGES = 20


class MarqueeMessage(TenantOwned):
    __tablename__ = "marquee_message"

    text: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class MarqueeIn(Camel):
    messages: list[Annotated[str, msgspec.Meta(max_length=200)]]


class MarqueeOut(Camel):
    messages: list[str]


async def messages(session: AsyncSession, tenant_id: Any) -> list[str]:
    rows = await session.scalars(
        select(MarqueeMessage.text)
        .where(MarqueeMessage.tenant_id == tenant_id)
        .order_by(MarqueeMessage.position)
    )
    return list(rows)


class MarqueeController(Controller):
    path = "/api/v1"
    tags = ["cti"]

    @get("/cti/marquee", opt={"permission": Perm.CTI})
    async def get_marquee(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> MarqueeOut:
        return MarqueeOut(await messages(db_session, current_principal(request).tenant_id))

    @put("/marquee", opt={"permission": Perm.MARQUEE_WRITE})
    async def put_marquee(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[MarqueeIn]
    ) -> MarqueeOut:
        tenant_id = current_principal(request).tenant_id
        wanted = [m.strip() for m in data.messages if m.strip()]
        if len(wanted) > MAX_MESSAGES:
            raise Problem(400, f"At most {MAX_MESSAGES} messages.")
        await db_session.execute(
            delete(MarqueeMessage).where(MarqueeMessage.tenant_id == tenant_id)
        )
        for position, text in enumerate(wanted):
            db_session.add(MarqueeMessage(tenant_id=tenant_id, text=text, position=position))
        await db_session.commit()
        await add_event(get_redis(), tenant_id, "marquee", messages=wanted)
        return MarqueeOut(wanted)
