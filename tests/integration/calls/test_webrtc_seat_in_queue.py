"""A browser seat answering a caller that an IVR flow queued (the usual inbound path) is offered
ICE + DTLS-SRTP, as a browser requires (RFC 8827), not the plain RTP a desk phone gets; a desk
phone in the same queue still gets plain RTP. Before, only calls routed straight to a seat were
shaped for browsers, so a browser agent could not take a queued call (EDGE-2, SEAT-3)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import update

from app.callcontrol import routing
from app.callcontrol.b2bua import B2bua
from app.callcontrol.call import CallState
from app.callcontrol.config import CallcontrolConfig
from app.db.session import tenant_session
from app.seats.models import Extension
from tests.integration.calls.conftest import Line
from tests.integration.calls.cti_phones import Phones
from tests.integration.calls.ivr_live_helpers import Customer, wait_for
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE
from tests.integration.calls.test_acd_live_queue import queue_flow, sign_in
from tests.integration.seats.acd_setup import agent, business, queue

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("EDGE-2"),
    pytest.mark.feature("SEAT-3"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


@pytest.fixture(scope="module")
def cc_config(cc_config: CallcontrolConfig) -> CallcontrolConfig:
    return dataclasses.replace(cc_config, webrtc_seats=True)  # as in production


@pytest.fixture
async def phones(seat_port: int) -> AsyncIterator[Phones]:
    phones = await Phones(seat_port).start()
    yield phones
    await phones.close()


def is_webrtc_offer(sdp: str) -> bool:
    return all(part in sdp for part in ("UDP/TLS/RTP/SAVPF", "a=fingerprint:", "a=ice-ufrag:"))


async def desk_phone(tenant_id: UUID, number: str) -> None:
    async with tenant_session(tenant_id) as db:
        await db.execute(
            update(Extension).where(Extension.number == number).values(seat_type="sip")
        )
    routing.forget_seats()


async def test_a_queued_caller_reaches_a_browser_seat_with_webrtc_media(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, phones: Phones, workdir: Path,
) -> None:  # fmt: skip
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "browsers", announcePosition=False,
                    announceWait=False)  # fmt: skip
    browser = await agent(client, line.tenant, sales, [q["id"]])  # seat type "webrtc"
    await phones.add(browser.extension)
    await sign_in(client, browser)
    await queue_flow(client, line, q["id"])
    customer = Customer(b2bua, line, workdir, "customer", "+8613800138201")
    try:
        await customer.call(talk_ms=2500)
        await wait_for(lambda: browser.extension in phones.answered)
        [offer] = phones.offers[browser.extension]
        assert is_webrtc_offer(offer), offer
        await wait_for(lambda: customer.session is not None
                       and customer.session.call.state is CallState.BRIDGED)  # fmt: skip
        await customer.finish()
    finally:
        await customer.stop()


async def test_a_desk_phone_in_the_same_kind_of_queue_still_gets_plain_rtp(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, phones: Phones, workdir: Path,
) -> None:  # fmt: skip
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "desks", announcePosition=False,
                    announceWait=False)  # fmt: skip
    desk = await agent(client, line.tenant, sales, [q["id"]])
    await desk_phone(line.tenant.tenant_id, desk.extension)
    await phones.add(desk.extension)
    await sign_in(client, desk)
    await queue_flow(client, line, q["id"])
    customer = Customer(b2bua, line, workdir, "customer2", "+8613800138202")
    try:
        await customer.call(talk_ms=2500)
        await wait_for(lambda: desk.extension in phones.answered)
        [offer] = phones.offers[desk.extension]
        assert "RTP/AVP" in offer and not is_webrtc_offer(offer), offer
        await wait_for(lambda: customer.session is not None
                       and customer.session.call.state is CallState.BRIDGED)  # fmt: skip
        await customer.finish()
    finally:
        await customer.stop()
