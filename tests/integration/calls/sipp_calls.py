"""SIPp scenarios for whole calls: a customer (UAC) and a seat or trunk (UAS).

SIPp does the signalling; the SDP names the port of a Python RTP peer (tests/integration/media/
media_rtp_peer.py) so that media can be counted and analysed at each end. The customer's
RFC 4733 digit is played by SIPp from the sip-tester package's pcap. Route sets are honoured
(`rrs`, `[next_url]`, `[routes]`) so the same scenarios work through Kamailio.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

SIPP_DATA = Path("/usr/share/sip-tester")
SIPP_AVAILABLE = shutil.which("sipp") is not None and (SIPP_DATA / "dtmf_2833_1.pcap").exists()


def _sdp(port: int) -> str:
    return (
        "v=0\n"
        "o=- 1 1 IN IP4 127.0.0.1\n"
        "s=-\n"
        "c=IN IP4 127.0.0.1\n"
        "t=0 0\n"
        f"m=audio {port} RTP/AVP 0 8 101\n"
        "a=rtpmap:0 PCMU/8000\n"
        "a=rtpmap:8 PCMA/8000\n"
        "a=rtpmap:101 telephone-event/8000\n"
        "a=fmtp:101 0-15\n"
        "a=sendrecv\n"
    )


def _headers(extra: dict[str, str]) -> str:
    return "".join(f"      {name}: {value}\n" for name, value in extra.items())


def customer_scenario(
    *,
    caller: str,
    media_port: int,
    digit: str | None = "1",
    dtmf_after_ms: int = 600,
    talk_ms: int = 3000,
    hangs_up: bool = True,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> str:
    """INVITE [service], ACK, optionally a digit, then BYE after talk_ms (or wait for BYE)."""
    head = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="customer">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Customer" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
{_headers(headers or {})}      Content-Type: application/sdp
      Content-Length: [len]

{_sdp(media_port)}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
"""
    if expect != 200:
        return (
            head
            + f"""  <recv response="{expect}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Customer" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
        )
    body = (
        head
        + f"""  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Customer" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""
    )
    if digit is not None:
        body += f"""  <pause milliseconds="{dtmf_after_ms}"/>
  <nop><action><exec play_pcap_audio="{SIPP_DATA / f"dtmf_2833_{digit}.pcap"}"/></action></nop>
"""
    if hangs_up:
        body += f"""  <pause milliseconds="{talk_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Customer" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""
    else:
        body += _answer_bye() + "</scenario>\n"
    return body


def _answer_bye() -> str:
    return """  <recv request="BYE" timeout="30000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
"""


def seat_scenario(
    *,
    media_port: int | None,
    hangs_up_after_ms: int | None = None,
    reject: int | None = None,
    ring_ms: int = 200,
    expect_call_key: bool = False,
) -> str:
    """A phone that rings, answers (with an SDP, or with an offer if the INVITE had none:
    media_port is used either way), and waits for BYE or hangs up itself. With
    `expect_call_key` the scenario fails unless the INVITE names the call (X-Call-Key, added
    by the edge for seats)."""
    tag = "[pid]SIPpTag01[call_number]"
    actions = []
    # SIPp's [peer_tag_param] is empty on the UAS side: keep the caller's tag for our BYE.
    if hangs_up_after_ms is not None:
        actions.append(
            '<ereg regexp="[^=]+$" search_in="hdr" header="From:" assign_to="caller_tag"/>'
        )
    if expect_call_key:
        actions.append(
            '<ereg regexp="[0-9a-f]{16,}" search_in="hdr" header="X-Call-Key:"'
            ' check_it="true" assign_to="call_key"/>'
        )
    keep_tag = f"""
    <action>
      {" ".join(actions)}
    </action>
  """ if actions else ""  # fmt: skip
    ringing = f"""  <recv request="INVITE" crlf="true" rrs="true">{keep_tag}</recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:seat@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="{ring_ms}"/>
"""
    if reject is not None:
        return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seat rejects">
{ringing}  <send>
    <![CDATA[
      SIP/2.0 {reject} Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""
    body = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seat">
{ringing}  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag={tag}
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:seat@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

{_sdp(media_port or 9)}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
"""
    if hangs_up_after_ms is not None:
        body += f"""  <pause milliseconds="{hangs_up_after_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: <sip:seat@[local_ip]:[local_port]>;tag={tag}
      To: <sip:caller@[local_ip]>;tag=[$caller_tag]
      Call-ID: [call_id]
      CSeq: 1 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""
    else:
        body += _answer_bye() + "</scenario>\n"
    if expect_call_key:  # SIPp refuses a variable that is set but never used
        body = body.replace("</scenario>", '  <Reference variables="call_key"/>\n</scenario>')
    return body


@dataclass
class SippRun:
    returncode: int
    output: str


class Sipp:
    """One SIPp process (one call, -m 1), run as an asyncio subprocess, killed by PID if late."""

    def __init__(self, workdir: Path, name: str, scenario: str, args: list[str]) -> None:
        self.path = workdir / f"{name}.xml"
        self.path.write_text(scenario)
        self.args = [
            "-sf",
            str(self.path),
            "-m",
            "1",
            "-nostdin",
            "-trace_err",
            "-error_file",
            str(workdir / f"{name}.err"),
            *args,
        ]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Sipp:
        self.proc = await asyncio.create_subprocess_exec(
            "sipp",
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        return self

    async def wait(self, limit: float = 30.0) -> SippRun:
        assert self.proc is not None
        try:
            out, _ = await asyncio.wait_for(self.proc.communicate(), limit)
        finally:
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        text = out.decode(errors="replace")
        err = self.path.with_suffix(".err")
        if err.exists():
            text += err.read_text(errors="replace")
        return SippRun(self.proc.returncode or 0, text)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uas_args(port: int) -> list[str]:
    # -mp: SIPp binds its own media (echo) port; a free one per process avoids clashes.
    return ["-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(_free_udp_port())]


def uac_args(port: int, target: tuple[str, int], service: str) -> list[str]:
    return [
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-mi",
        "127.0.0.1",
        "-mp",
        str(_free_udp_port()),
        "-s",
        service,
        f"{target[0]}:{target[1]}",
    ]
