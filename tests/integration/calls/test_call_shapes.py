"""Click-to-call, internal calls, refusals and hang-ups from the seat side, with real SIPp and
rtpengine (SEAT-6, API-3, TEN-9)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.callcontrol.b2bua import B2bua, CallSession
from app.calls.models import CallRecord
from app.db.session import tenant_session
from tests.integration.calls.conftest import Line, free_udp_port, make_line
from tests.integration.calls.sipp_calls import (
    SIPP_AVAILABLE,
    Sipp,
    customer_scenario,
    seat_scenario,
    uac_args,
    uas_args,
)
from tests.integration.calls.test_inbound_call import talk, wait_for
from tests.integration.media.media_rtp_peer import RtpPeer, sdp_media_address

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


def remote_of(b2bua: B2bua, tag: str):  # type: ignore[no-untyped-def]
    def get():  # type: ignore[no-untyped-def]
        session = next(iter(b2bua.sessions.values()), None)
        rt = session.legs.get(tag) if session else None
        return sdp_media_address(rt.local_sdp) if rt and rt.local_sdp else None

    return get


async def cdrs(line: Line) -> list[CallRecord]:
    async with tenant_session(line.tenant.tenant_id) as db:
        return list(await db.scalars(select(CallRecord)))


def seat_headers(line: Line, ext: str) -> dict[str, str]:
    """What Kamailio adds to a seat's INVITE after authenticating it."""
    return {
        "X-Fastline-Tenant": str(line.tenant.tenant_id),
        "X-Fastline-Source": "seat",
        "X-Fastline-Ext": ext,
    }


@pytest.mark.feature("SEAT-6")
async def test_internal_call_between_two_extensions_of_one_tenant(
    b2bua: B2bua, line: Line, seat_port: int, workdir: Path, ended: list[CallSession]
) -> None:
    caller_media, callee_media = await RtpPeer.open(), await RtpPeer.open()
    callee = await Sipp(
        workdir, "ext101", seat_scenario(media_port=callee_media.port), uas_args(seat_port)
    ).start()
    await asyncio.sleep(0.2)
    caller = await Sipp(
        workdir,
        "ext102",
        customer_scenario(
            caller="102",
            media_port=caller_media.port,
            digit=None,
            talk_ms=2500,
            headers=seat_headers(line, "102"),
        ),
        uac_args(free_udp_port(), ("127.0.0.1", b2bua.endpoint.port), "101"),
    ).start()
    try:
        await asyncio.gather(
            talk(caller_media, 440, 2.0, remote_of(b2bua, "c")),
            talk(callee_media, 1000, 2.0, remote_of(b2bua, "a")),
        )
        uac, uas = await asyncio.gather(caller.wait(), callee.wait())
    finally:
        await caller.stop()
        await callee.stop()
    assert uac.returncode == 0, uac.output
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(ended), limit=10)
    caller_media.close()
    callee_media.close()
    assert len(callee_media.audio_packets()) >= 60, "the caller was heard"
    assert len(caller_media.audio_packets()) >= 60, "the callee was heard"
    [cdr] = await cdrs(line)
    assert (cdr.direction, cdr.from_number, cdr.to_number, cdr.hangup_side) == (
        "internal",
        "102",
        "101",
        "other",
    )
    assert cdr.bridged_at is not None


@pytest.mark.feature("SEAT-6")
async def test_a_seat_cannot_call_another_tenants_extension(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, workdir: Path
) -> None:
    other = await make_line(client)
    media = await RtpPeer.open()
    for service, host_args, expect in (
        ("101", [], 403),  # addressed to the other tenant's SIP domain
        ("555", None, 404),  # no such extension in the caller's own tenant
    ):
        scenario = customer_scenario(
            caller="102",
            media_port=media.port,
            digit=None,
            expect=expect,
            headers=seat_headers(line, "102"),
        )
        if host_args is not None:
            scenario = scenario.replace(
                "INVITE sip:[service]@[remote_ip]:[remote_port]",
                f"INVITE sip:[service]@{other.domain}",
            )
        run = await (
            await Sipp(
                workdir,
                f"x{expect}",
                scenario,
                uac_args(free_udp_port(), ("127.0.0.1", b2bua.endpoint.port), service),
            ).start()
        ).wait()
        assert run.returncode == 0, run.output
    media.close()
    assert await cdrs(other) == []


@pytest.mark.feature("TEN-9")
async def test_a_number_nobody_owns_is_refused(b2bua: B2bua, workdir: Path) -> None:
    media = await RtpPeer.open()
    run = await (
        await Sipp(
            workdir,
            "unknown",
            customer_scenario(caller="1380000", media_port=media.port, digit=None, expect=404),
            uac_args(free_udp_port(), ("127.0.0.1", b2bua.endpoint.port), "+861099999999"),
        ).start()
    ).wait()
    media.close()
    assert run.returncode == 0, run.output


@pytest.mark.feature("EDGE-2")
async def test_the_seat_hangs_up_and_the_customer_gets_bye(
    b2bua: B2bua, line: Line, seat_port: int, workdir: Path, ended: list[CallSession]
) -> None:
    customer, agent = await RtpPeer.open(), await RtpPeer.open()
    seat = await Sipp(
        workdir,
        "seat",
        seat_scenario(media_port=agent.port, hangs_up_after_ms=1000),
        uas_args(seat_port),
    ).start()
    await asyncio.sleep(0.2)
    caller = await Sipp(
        workdir,
        "customer",
        customer_scenario(
            caller="13800138000",
            media_port=customer.port,
            digit="5",
            dtmf_after_ms=300,
            hangs_up=False,
        ),
        uac_args(free_udp_port(), ("127.0.0.1", b2bua.endpoint.port), line.did),
    ).start()
    try:
        uac, uas = await asyncio.gather(caller.wait(), seat.wait())
    finally:
        await caller.stop()
        await seat.stop()
    customer.close()
    agent.close()
    assert uac.returncode == 0, uac.output
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(ended), limit=10)
    [cdr] = await cdrs(line)
    assert (cdr.hangup_side, cdr.dtmf) == ("agent", "5")


@pytest.mark.feature("EDGE-2")
async def test_a_busy_seat_ends_the_call_and_the_customer_gets_bye(
    b2bua: B2bua, line: Line, seat_port: int, workdir: Path, ended: list[CallSession]
) -> None:
    media = await RtpPeer.open()
    seat = await Sipp(
        workdir, "busy", seat_scenario(media_port=None, reject=486), uas_args(seat_port)
    ).start()
    await asyncio.sleep(0.2)
    caller = await Sipp(
        workdir,
        "customer",
        customer_scenario(
            caller="13800138000",
            media_port=media.port,
            digit="2",
            dtmf_after_ms=300,
            hangs_up=False,
        ),
        uac_args(free_udp_port(), ("127.0.0.1", b2bua.endpoint.port), line.did),
    ).start()
    try:
        uac, uas = await asyncio.gather(caller.wait(), seat.wait())
    finally:
        await caller.stop()
        await seat.stop()
    media.close()
    assert uac.returncode == 0, uac.output
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(ended), limit=10)
    [cdr] = await cdrs(line)
    assert (cdr.hangup_cause, cdr.hangup_side, cdr.bridged_at) == ("sip 486", "agent", None)
    assert [leg["sipStatus"] for leg in cdr.legs] == [200, 486]


@pytest.mark.feature("API-3")
async def test_click_to_call_rings_the_agent_then_dials_the_customer_through_the_trunk(
    b2bua: B2bua,
    client: httpx.AsyncClient,
    seat_port: int,
    workdir: Path,
    ended: list[CallSession],
) -> None:
    trunk_port = free_udp_port()
    line = await make_line(client, host="127.0.0.1", port=trunk_port, caller_id="+861088880000")
    agent_media, customer_media = await RtpPeer.open(), await RtpPeer.open()
    seat = await Sipp(
        workdir, "agent", seat_scenario(media_port=agent_media.port), uas_args(seat_port)
    ).start()
    trunk = await Sipp(
        workdir,
        "carrier",
        seat_scenario(media_port=customer_media.port, hangs_up_after_ms=2500),
        uas_args(trunk_port),
    ).start()
    await asyncio.sleep(0.2)
    r = await client.post(
        "/api/v1/calls/click-to-call",
        headers=line.tenant.headers,
        json={"extension": "101", "number": "139 0013 9000"},
    )
    assert r.status_code == 202, r.text
    assert r.json()["number"] == "13900139000"
    try:
        await asyncio.gather(
            talk(agent_media, 1000, 2.0, remote_of(b2bua, "a")),
            talk(customer_media, 440, 2.0, remote_of(b2bua, "c")),
        )
        agent_run, trunk_run = await asyncio.gather(seat.wait(), trunk.wait())
    finally:
        await seat.stop()
        await trunk.stop()
    agent_media.close()
    customer_media.close()
    assert agent_run.returncode == 0, agent_run.output
    assert trunk_run.returncode == 0, trunk_run.output
    await wait_for(lambda: bool(ended), limit=10)
    assert len(customer_media.audio_packets()) >= 50, "the agent was heard by the customer"
    assert len(agent_media.audio_packets()) >= 50, "the customer was heard by the agent"
    [cdr] = await cdrs(line)
    assert (cdr.direction, cdr.extension, cdr.to_number, cdr.hangup_side) == (
        "outbound",
        "101",
        "13900139000",
        "customer",
    )
    assert [leg["role"] for leg in cdr.legs] == ["agent", "customer"]
    assert "+861088880000" in cdr.legs[1]["from"]
