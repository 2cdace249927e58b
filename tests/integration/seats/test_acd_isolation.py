"""TEN-5 businesses and tenants: an agent is only ever offered its own business's calls."""

from __future__ import annotations

import pytest

from app.lib.keys import tenant_key
from app.seats.acd import (
    Acd,
    BusinessMismatch,
    Call,
    Offered,
    Overflow,
    OverflowKind,
    QueueConfig,
    Queued,
)
from tests.integration.seats.conftest import events, setup_queue

pytestmark = [pytest.mark.feature("TEN-5"), pytest.mark.feature("SEAT-3")]


async def test_an_agent_cannot_join_another_business_queue(acd: Acd) -> None:
    await setup_queue(acd, ["a"], queue_id="sales", business="insurance")
    await acd.put_agent("x", "loans")
    with pytest.raises(BusinessMismatch, match=r"agent x .*loans.* cannot join queue sales"):
        await acd.add_member("sales", "x")


async def test_a_ready_agent_of_another_business_is_never_offered(acd: Acd) -> None:
    await setup_queue(acd, ["ins1"], queue_id="insurance", business="insurance")
    await setup_queue(acd, ["loan1"], queue_id="loans", business="loans")
    await acd.sign_in("ins1", ready=False, reason="login")
    await acd.sign_in("loan1")
    assert isinstance(await acd.offer(Call("c1", "insurance")), Queued)
    assert await acd.agent_ready("loan1") == []  # already ready, nothing of theirs waits
    assert await acd.offer(Call("c2", "loans")) == Offered("c2", "loan1", "loans", 20.0, "")
    assert await acd.agent_ready("ins1") == [Offered("c1", "ins1", "insurance", 20.0, "")]


async def test_overflow_never_crosses_businesses(acd: Acd) -> None:
    await acd.put_queue(QueueConfig("loans", "loans"))
    with pytest.raises(BusinessMismatch, match="cannot overflow into queue loans"):
        await acd.put_queue(
            QueueConfig("insurance", "insurance", overflow=Overflow(OverflowKind.QUEUE, "loans"))
        )


async def test_moving_an_agent_to_another_business_needs_leaving_its_queues(acd: Acd) -> None:
    await setup_queue(acd, ["a"], business="insurance")
    with pytest.raises(BusinessMismatch):
        await acd.put_agent("a", "loans")
    await acd.remove_member("sales", "a")
    await acd.put_agent("a", "loans")
    assert (await acd.agent_status("a")).business_id == "loans"


async def test_tenants_share_nothing_even_with_the_same_ids(acd: Acd, other_acd: Acd) -> None:
    await setup_queue(acd, ["1001"])
    await setup_queue(other_acd, ["1001"])
    await acd.sign_in("1001")
    assert isinstance(await other_acd.offer(Call("c1", "sales")), Queued)
    assert await acd.offer(Call("c1", "sales")) == Offered("c1", "1001", "sales", 20.0, "")
    assert (await other_acd.queue_status("sales")).waiting == 1
    assert {e["tenant"] for e in await events(acd)} == {str(acd.tenant_id)}
    assert {e["tenant"] for e in await events(other_acd)} == {str(other_acd.tenant_id)}
    prefix = tenant_key(acd.tenant_id, "")
    keys = [k async for k in acd.redis.scan_iter(match=prefix + "*", count=1000)]
    assert keys and all(k.startswith(prefix) for k in keys)
