"""Helpers for the live IVR and ACD call tests: flows published through the API, a customer
(SIPp signalling + a Python RTP peer that presses RFC 4733 keys), seats that answer or not."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from app.callcontrol.b2bua import B2bua, CallSession
from tests.integration.calls.conftest import Line, free_udp_port
from tests.integration.calls.sipp_calls import Sipp, _sdp, customer_scenario, uac_args
from tests.integration.media.media_rtp_peer import RtpPeer, sdp_media_address

_flows = itertools.count(1)
KEY_EVENTS = {str(d): d for d in range(10)} | {"*": 10, "#": 11}


async def wait_for(predicate: Callable[[], Any], limit: float = 8.0, step: float = 0.02) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(step)


async def publish_flow(client: httpx.AsyncClient, line: Line, document: dict[str, Any]) -> str:
    """Create, publish and bind a flow to the line's DID, as an admin does in the portal."""
    headers = line.tenant.headers
    r = await client.post(
        "/api/v1/ivr/flows",
        headers=headers,
        json={"name": f"live flow {next(_flows)}", "document": document},
    )
    assert r.status_code == 201, r.text
    flow_id = r.json()["id"]
    r = await client.post(f"/api/v1/ivr/flows/{flow_id}/publish", headers=headers)
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/numbers/", headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"] if isinstance(r.json(), dict) else r.json()
    number_id = next(n["id"] for n in items if n["number"] == line.did)
    r = await client.put(f"/api/v1/ivr/flows/{flow_id}/numbers/{number_id}", headers=headers)
    assert r.status_code == 200, r.text
    return str(flow_id)


def menu(node_id: str, text: str, exits: dict[str, str], **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "menu", "params": {"text": text, "voice": "en"} | params,
            "exits": exits}  # fmt: skip


def node(node_id: str, type_: str, exits: dict[str, str] | None = None,
         **params: Any) -> dict[str, Any]:  # fmt: skip
    return {"id": node_id, "type": type_, "params": params, "exits": exits or {}}


class Customer:
    """A caller: SIPp for SIP, an RtpPeer for media (it counts what it hears, presses keys)."""

    def __init__(self, b2bua: B2bua, line: Line, workdir: Path, name: str, caller: str,
                 ended: list[CallSession] | None = None) -> None:  # fmt: skip
        self.b2bua = b2bua
        self.ended = ended if ended is not None else []
        self.line = line
        self.workdir = workdir
        self.name = name
        self.caller = caller
        self.peer: RtpPeer | None = None
        self.sipp: Sipp | None = None
        self.session: CallSession | None = None

    async def call(self, *, talk_ms: int | None = None, expect: int = 200) -> Customer:
        """Dial the DID; hang up after talk_ms, or (None) wait for our BYE; `expect` another
        final status to be refused."""
        self.peer = await RtpPeer.open()
        before = set(self.b2bua.sessions) | {s.call.key for s in self.ended}
        scenario = customer_scenario(
            caller=self.caller, media_port=self.peer.port, digit=None,
            talk_ms=talk_ms or 0, hangs_up=talk_ms is not None, expect=expect,
        )  # fmt: skip
        self.sipp = await Sipp(
            self.workdir, self.name, scenario,
            uac_args(free_udp_port(), ("127.0.0.1", self.b2bua.endpoint.port), self.line.did),
        ).start()  # fmt: skip
        await wait_for(lambda: self._find(before) is not None)
        self.session = self._find(before)
        await wait_for(lambda: bool(self.customer_sdp()))
        self.peer.remote = sdp_media_address(self.customer_sdp())
        return self

    def _find(self, before: set[str]) -> CallSession | None:
        """Our call among the live ones, or among those already ended (a quick refusal)."""
        candidates = [*self.b2bua.sessions.values(), *self.ended]
        return next((s for s in candidates if s.call.key not in before
                     and s.call.from_number == self.caller), None)  # fmt: skip

    def customer_sdp(self) -> str:
        assert self.session is not None
        rt = self.session.legs.get("c")
        return rt.local_sdp if rt else ""

    @property
    def key(self) -> str:
        assert self.session is not None
        return self.session.call.key

    async def press(self, digits: str) -> None:
        assert self.peer is not None
        for digit in digits:
            await self.peer.send_dtmf(KEY_EVENTS[digit])
            await asyncio.sleep(0.08)

    def heard(self) -> int:
        assert self.peer is not None
        return len(self.peer.audio_packets())

    async def finish(self, limit: float = 30.0) -> str:
        assert self.sipp is not None
        run = await self.sipp.wait(limit)
        assert run.returncode == 0, run.output
        return run.output

    async def stop(self) -> None:
        if self.sipp is not None:
            await self.sipp.stop()
        if self.peer is not None:
            self.peer.close()


def runner_actions(b2bua: B2bua, key: str) -> list[str]:
    runner = b2bua.ivr.runners.get(key)
    return [name for _, name in runner.action_started] if runner else []


async def wait_collect(b2bua: B2bua, key: str, count: int, limit: float = 10.0) -> None:
    """Until the call's IVR has started its `count`-th digit collection."""
    await wait_for(lambda: runner_actions(b2bua, key).count("CollectDigits") >= count, limit)


def seats_scenario(no_answer: str | None, media_port: int) -> str:
    """A SIPp UAS standing for several seats behind one proxy: the extension `no_answer` rings
    until CANCELled (RFC 3261 9.2: 200 to the CANCEL, 487 to the INVITE); any other answers
    and waits for BYE."""
    tag = "[pid]SIPpTag01[call_number]"
    # SIPp needs the variable defined either way: a user part no seat has never matches.
    branch = f"""    <action>
      <ereg regexp="^INVITE sip:{no_answer or "nobody"}@" search_in="msg" check_it="false"
            assign_to="silent"/>
    </action>
"""
    reply = """      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
"""
    reply = reply.replace("{tag}", tag)
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seats">
  <recv request="INVITE" crlf="true" rrs="true">
{branch}  </recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
{reply}      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:seat@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <nop next="silent" test="silent"/>
  <pause milliseconds="200"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
{reply}      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:seat@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

{_sdp(media_port)}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE" timeout="60000"/>
  <send next="done">
    <![CDATA[
      SIP/2.0 200 OK
{reply}      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <label id="silent"/>
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
{reply}      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
{reply}      CSeq: 1 INVITE
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
  <label id="done"/>
  <pause milliseconds="10"/>
</scenario>
"""
