"""Calls through a real Kamailio edge: the stack, registrations, and the SIPp scenarios the
direct tests (sipp_calls.py) do not have.

The stack is what production runs on one host: Kamailio (edge/kamailio, the test database)
dispatches to our B2BUA; the B2BUA trusts Kamailio's `X-Fastline-*` headers because they come
from Kamailio's address, and sends every INVITE it originates (to seats and to trunks) back
through Kamailio. Customers, trunks and seats never talk to callcontrol directly: each has its
own 127.0.0.x source address, so Kamailio tells trunks (by source) from seats (by digest auth).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.call import CallState
from app.callcontrol.config import CallcontrolConfig
from app.callcontrol.server import running_b2bua
from tests.integration.calls.conftest import Line, drop_stale_commands, make_line
from tests.integration.calls.sipp_calls import _sdp
from tests.integration.edge.sipp import injection_file, run_sipp
from tests.integration.kamailio_server import (
    KamailioError,
    KamailioServer,
    db_name_of,
    free_port,
    run_kamailio,
)
from tests.integration.media.media_rtp_peer import sdp_media_address
from tests.integration.rtpengine_server import RtpengineServer

# Each trunk gets its own source address: Kamailio's address table maps a source to ONE
# tenant, and every test makes a new tenant (edge tests use 127.0.0.5; we stay clear of it).
_trunk_ips = (f"127.0.0.{n}" for n in itertools.count(41))
_seat_ips = (f"127.0.0.{n}" for n in itertools.count(21))
SEAT_PASSWORDS = {"101": "Seat-Pass-101", "102": "Seat-Pass-102"}  # as make_line sets them
CARRIER_USER, CARRIER_PASSWORD = "fastline-trunk", "Carrier-Secret-9"


def next_trunk_ip() -> str:
    return next(_trunk_ips)


def next_seat_ip() -> str:
    return next(_seat_ips)


@dataclass
class EdgeStack:
    kamailio: KamailioServer
    b2bua: B2bua
    workdir: Path
    ended: list[CallSession]

    @property
    def remote(self) -> tuple[str, int]:
        return self.kamailio.sip_address

    def session(self) -> CallSession | None:
        return next(iter(self.b2bua.sessions.values()), None)

    def bridged(self) -> bool:
        session = self.session()
        return session is not None and session.call.state is CallState.BRIDGED

    def sdp_given_to(self, tag: str) -> Callable[[], tuple[str, int] | None]:
        """Where the party on leg `tag` was told to send its media (rtpengine's port)."""

        def get() -> tuple[str, int] | None:
            session = self.session()
            rt = session.legs.get(tag) if session else None
            return sdp_media_address(rt.local_sdp) if rt and rt.local_sdp else None

        return get

    def register(self, ext: str, line: Line, seat: tuple[str, int]) -> None:
        """REGISTER ext@domain from `seat` through Kamailio, answering its 401 (RFC 3261 22)."""
        auth = f"[authentication username={ext} password={SEAT_PASSWORDS[ext]}]"
        inf = injection_file(self.workdir, f"reg-{ext}-{seat[0]}", [(ext, line.domain, auth)])
        host, port = self.remote
        run = run_sipp(
            "register.xml",
            self.workdir,
            local=seat,
            remote=f"{host}:{port}",
            args=("-inf", str(inf)),
        )
        assert run.final == 200, (run.log, run.errors, self.kamailio.log_text()[-2000:])
        assert self.kamailio.contacts(f"{ext}@{line.domain}"), "registered in Kamailio"

    async def add_line(self, client: httpx.AsyncClient, **trunk: Any) -> Line:
        """A tenant (DID, extensions 101/102, optionally a trunk) Kamailio knows about."""
        line = await make_line(client, **trunk)
        if trunk.get("source_ips"):
            await self.reload_trunks()
        return line

    async def reload_trunks(self) -> None:
        """Kamailio loads trunk addresses at start (edge/kamailio/README.md) and refuses a
        reload within `reload_delta` (5 s) of the last one: "ongoing reload". Retry."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 8
        while True:
            try:
                self.kamailio.rpc("permissions.addressReload")
                return
            except KamailioError as exc:
                if "ongoing reload" not in str(exc) or loop.time() > deadline:
                    raise
            await asyncio.sleep(0.5)


def _wait_active(kamailio: KamailioServer, uri: str, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = kamailio.rpc("dispatcher.list")
        flags = {
            dest["DEST"]["URI"]: dest["DEST"]["FLAGS"]
            for record in result["RECORDS"]
            for dest in record["SET"]["TARGETS"]
        }
        if flags.get(uri, "").startswith("A"):
            return
        time.sleep(0.1)
    raise AssertionError(f"Kamailio never saw callcontrol {uri} alive: {flags}")


@pytest.fixture(scope="module")
def short_dir() -> Iterator[Path]:
    # Kamailio's Unix sockets live in its run dir: the path must stay under 108 bytes.
    with tempfile.TemporaryDirectory(prefix="te") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="module")
async def edge_stack(
    rtpengine: RtpengineServer, dtmf_port: int, short_dir: Path, migrated_db: str
) -> AsyncIterator[EdgeStack]:
    cc_port, edge_port = free_port(), free_port()
    config = CallcontrolConfig(
        sip_host="127.0.0.1",
        sip_port=cc_port,
        outbound_proxy=("127.0.0.1", edge_port),
        trunks_via_proxy=True,
        trusted_proxies=frozenset({"127.0.0.1"}),  # Kamailio's address
        rtpengine_ng=rtpengine.ng_address,
        dtmf_listen=("127.0.0.1", dtmf_port),
        recording_dir=rtpengine.recording_dir,
        prompt_dir=short_dir / "prompts",
        ring_timeout=5.0,
        digit_timeout=1.5,
        record_calls=False,  # recordings are proven by test_inbound_call.py
        # Every seat here is a SIPp/Python phone speaking plain RTP, whatever its seat type.
        webrtc_seats=False,
    )
    workdir = short_dir / "work"
    workdir.mkdir()
    with run_kamailio(
        short_dir / "kam",
        db_name=db_name_of(migrated_db),
        callcontrol=[f"127.0.0.1:{cc_port}"],
        sip_port=edge_port,
        tls_port=0,
        wss_port=0,
    ) as kamailio:
        await drop_stale_commands()
        async with running_b2bua(config) as b2bua:
            await asyncio.to_thread(_wait_active, kamailio, f"sip:127.0.0.1:{cc_port}")
            stack = EdgeStack(kamailio, b2bua, workdir, [])

            async def record(session: CallSession) -> None:
                stack.ended.append(session)

            b2bua.on_call_end = record
            yield stack


@pytest.fixture
def stack(edge_stack: EdgeStack) -> Iterator[EdgeStack]:
    """The module's stack with a fresh list of ended calls."""
    edge_stack.ended.clear()
    yield edge_stack
    assert not edge_stack.b2bua.sessions, "a call outlived its test"


async def wait_for(predicate: Callable[[], object], limit: float = 5.0, step: float = 0.02) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(step)


def sipp_media_port() -> int:
    """A port for SIPp's own media sockets (-mp: it binds the port and the next three) below
    32000: outside the kernel's ephemeral range and the test rtpengine's port range. rtpengine
    and SIPp both bind with SO_REUSEADDR, so on Linux they can share a UDP port, and then one
    steals the other's packets (a call that loses one direction of audio)."""
    for _ in range(100):
        base = random.randrange(20000, 31990, 4)
        if all(_udp_free(base + n) for n in range(4)):
            return base
    raise RuntimeError("no free port for SIPp media")


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def sipp_args(ip: str, port: int, remote: tuple[str, int] | None = None) -> list[str]:
    args = ["-i", ip, "-p", str(port), "-mi", "127.0.0.1", "-mp", str(sipp_media_port())]
    if remote is not None:
        args.append(f"{remote[0]}:{remote[1]}")
    return args


# ---------------------------------------------------------------------- SIPp scenarios


def _ack_bye(from_: str, to: str, talk_ms: int, cseq: int) -> str:
    """ACK the 2xx along the route set, talk, BYE, expect 200 (RFC 3261 12.2.1.1)."""
    return f"""  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: {from_};tag=[pid]SIPpTag00[call_number]
      To: {to}[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: {from_};tag=[pid]SIPpTag00[call_number]
      To: {to}[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq + 1} BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
"""


def seat_caller_scenario(
    *,
    ext: str,
    password: str,
    domain: str,
    target: str,
    media_port: int,
    talk_ms: int = 2500,
    expect: int = 200,
) -> str:
    """A desk phone calling `target` (sip:user@domain) through Kamailio: INVITE, Kamailio's
    407 (RFC 3261 22.3), INVITE again with Proxy-Authorization, then a call or `expect`."""
    from_ = f"<sip:{ext}@{domain}>"
    to = f"<sip:{target}>"

    def invite(cseq: int, auth: str) -> str:
        return f"""  <send retrans="500">
    <![CDATA[
      INVITE sip:{target} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: {from_};tag=[pid]SIPpTag00[call_number]
      To: {to}
      Call-ID: [call_id]
      CSeq: {cseq} INVITE
      Contact: <sip:{ext}@[local_ip]:[local_port]>
{auth}      Max-Forwards: 70
      User-Agent: fastline-test-phone
      Content-Type: application/sdp
      Content-Length: [len]

{_sdp(media_port)}
    ]]>
  </send>
  <recv response="100" optional="true"/>
"""

    credentials = f"      [authentication username={ext} password={password}]\n"
    body = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seat caller">
{invite(1, "")}  <recv response="407" auth="true"/>
  <send>
    <![CDATA[
      ACK sip:{target} SIP/2.0
      [last_Via:]
      From: {from_};tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
{invite(2, credentials)}"""
    body += """  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
"""
    if expect != 200:
        return (
            body
            + f"""  <recv response="{expect}"/>
  <send>
    <![CDATA[
      ACK sip:{target} SIP/2.0
      [last_Via:]
      From: {from_};tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
        )
    answered = '  <recv response="200" rrs="true"/>\n' + _ack_bye(from_, to, talk_ms, 2)
    return body + answered + "</scenario>\n"


def challenging_carrier_scenario(
    *, media_port: int, user: str, password: str, hangs_up_after_ms: int, realm: str
) -> str:
    """A carrier trunk that answers the first INVITE with 401 (a UAS challenge, RFC 3261 22.2)
    and only takes one whose Authorization checks out (SIPp's verifyauth); anything else gets
    403 and the scenario fails. It answers with an SDP and hangs up after `hangs_up_after_ms`.
    401 rather than 407 and no qop: SIPp 3.6's verifyauth reads only the Authorization header
    and checks RFC 2069-style responses (our qop=auth answer is unit-tested instead)."""
    tag = "[pid]SIPpTag07[call_number]"
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="challenging carrier">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="[^=]+$" search_in="hdr" header="From:" assign_to="caller_tag"/>
      <ereg regexp="X-(Fastline-[A-Za-z]+|Call-Key):" search_in="msg" check_it_inverse="true"
            assign_to="leaked"/>
    </action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 401 Unauthorized
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      WWW-Authenticate: Digest realm="{realm}", nonce="[pid]n[call_number]x7", algorithm=MD5
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="INVITE" crlf="true" rrs="true">
    <action>
      <verifyauth assign_to="authvalid" username="{user}" password="{password}"/>
      <!-- RFC 3261 16.4: the edge removes the Route to itself; a carrier SBC (a proxy) would
           follow a stale one straight back to us. Its presence fails the call. (A header
           search for "Route:" would also match Record-Route: hence a line start.) -->
      <ereg regexp="[[:cntrl:]]Route:" search_in="msg" check_it_inverse="true"
            assign_to="stale_route"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
  <nop><action><log message="bad credentials"/></action></nop>
  <send next="refused">
    <![CDATA[
      SIP/2.0 403 Wrong Credentials
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <label id="good"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

{_sdp(media_port)}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <pause milliseconds="{hangs_up_after_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:carrier@[local_ip]:[local_port]>;tag={tag}
      To: <sip:caller@[local_ip]>;tag=[$caller_tag]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true" next="end"/>
  <label id="refused"/>
  <recv request="ACK"/>
  <!-- Nothing more comes: the timeout marks this call failed, so SIPp exits non-zero. -->
  <recv request="INFO" timeout="100"/>
  <label id="end"/>
  <Reference variables="stale_route"/>
  <Reference variables="leaked"/>
</scenario>
"""


__all__ = [
    "CARRIER_PASSWORD",
    "CARRIER_USER",
    "EdgeStack",
    "challenging_carrier_scenario",
    "edge_stack",
    "next_seat_ip",
    "next_trunk_ip",
    "seat_caller_scenario",
    "short_dir",
    "sipp_args",
    "stack",
    "wait_for",
]
