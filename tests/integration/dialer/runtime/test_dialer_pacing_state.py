"""A predictive campaign's pacer survives a callcontrol restart (DIAL-4): what it learnt
(answer rate and delays, talk and wrap-up times, the rolling abandonment window, its tuned
threshold) is saved in Redis at each refresh and on close, and the next runtime goes on from
it instead of dialling 1:1 again while it relearns. A saved state from another campaign or a
corrupt one is never used."""

from __future__ import annotations

import time

import httpx
import pytest

from app.callcontrol.b2bua import B2bua
from app.dialer.runtime import DialerRuntime, pacing_key
from app.lib.redis import get_redis
from tests.integration.calls.conftest import free_udp_port
from tests.integration.dialer.runtime_setup import campaign_with_leads, dialer_tenant

pytestmark = [pytest.mark.telephony, pytest.mark.feature("DIAL-4")]


async def test_a_restarted_dialer_goes_on_pacing_from_what_it_had_learnt(
    b2bua: B2bua, client: httpx.AsyncClient
) -> None:
    t = await dialer_tenant(client, free_udp_port())
    campaign, _ = await campaign_with_leads(client, t, [], mode="predictive")
    first = DialerRuntime(b2bua, tenants=[t.tenant.tenant_id])
    await first.refresh()
    (live,) = first.campaigns.values()
    assert live.model is not None
    model = live.model
    for n in range(40):  # a day of outcomes: one answer in four, after 9 s
        model.stats.record_attempt(n % 4 == 0, 9.0 if n % 4 == 0 else 25.0)
    for _ in range(10):
        model.stats.record_talk(95.0)
        model.stats.record_wrap_up(12.0)
        model.record_answer(time.monotonic(), abandoned=False)
    model.record_answer(time.monotonic(), abandoned=True)
    await first.close()  # saves

    redis = get_redis()
    key = pacing_key(t.tenant.tenant_id, live.id)
    assert 0 < await redis.ttl(key)
    second = DialerRuntime(b2bua, tenants=[t.tenant.tenant_id])
    await second.refresh()
    (again,) = second.campaigns.values()
    assert again.model is not None and again.model is not model
    restored = again.model
    assert list(restored.stats.answer_delays) == list(model.stats.answer_delays)
    assert list(restored.stats.talk_times) == list(model.stats.talk_times)
    assert restored.ledger.counts(time.monotonic()) == model.ledger.counts(time.monotonic())
    assert restored.threshold == pytest.approx(model.threshold)
    await second.close()

    await redis.set(key, "{not json")  # a corrupt state: a fresh model, no crash
    third = DialerRuntime(b2bua, tenants=[t.tenant.tenant_id])
    await third.refresh()
    (fresh,) = third.campaigns.values()
    assert fresh.model is not None and len(fresh.model.stats.talk_times) == 0
    await third.close()
    await redis.delete(key)
    assert campaign == str(live.id)
