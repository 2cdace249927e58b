"""DTMF-to-action latency of the live IVR (IVR-2), against rtpengine's own DTMF report.

    .venv/bin/python bench/dtmf_latency.py        (about 30 s; rtpengine and Redis on 127.0.0.1)

A real rtpengine 10.5 (started here, stopped by PID) anchors one call the way callcontrol does
for the IVR (offer from the caller, answer from a black hole). The caller is a Python RTP peer
that presses a key 300 ms into each menu prompt (RFC 4733: three end packets, 2.5.1.4). The
live IVR runner (app/callcontrol/ivr_runner.py, the code calls run) drives a one-node menu that
loops on itself, so every key stops the prompt (barge-in) and starts the menu's prompt again.

Measured from the caller's last RFC 4733 end packet (t0), over DIGITS presses:
- baseline: rtpengine's DTMF report reaching our DtmfListener (nothing of ours on the path
  but one UDP socket);
- step: the runner starting the next action (the menu again: `ivr.step` published first);
- audio: the first RTP packet of the new prompt arriving back at the caller.
The goal is audio p95 < 100 ms. No SIP here: signalling is not on the digit's path.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.callcontrol import ivr_runner
from app.callcontrol.b2bua import BLACK_HOLE_SDP, B2bua, CallSession
from app.callcontrol.call import Call
from app.callcontrol.config import CallcontrolConfig
from app.callcontrol.live import call_key_name, live_set_name
from app.callcontrol.media import g711
from app.callcontrol.media.dtmf import DtmfEvent, DtmfListener
from app.callcontrol.media.ng import TOWARD_SIP, NgClient
from app.callcontrol.media.tones import band_energy
from app.callcontrol.prompts import write_prompt
from app.ivr_builder.flow import FlowDocument, Node
from app.lib.events import events_stream
from app.lib.redis import get_redis
from tests.integration.media.media_rtp_peer import (
    RtpPacket,
    RtpPeer,
    plain_sdp,
    sdp_media_address,
)
from tests.integration.rtpengine_server import free_udp_port, run_rtpengine

DIGITS = 50
PRESS_AFTER = 0.3  # seconds into the prompt
PROMPT_SECONDS = 1.2
TONES = (600.0, 1400.0)


class BenchRunner(ivr_runner.IvrRunner):
    """The live runner with local prompt files (no tenant database in a bench), two tones in
    turn so that the next prompt's first packet cannot be mistaken for the last one's."""

    prompts: tuple[Path, Path]
    played = 0

    async def prompt_file(self, prompt: str, said: str, voice: str) -> Path | None:
        self.played += 1
        return self.prompts[(self.played - 1) % 2]


def is_tone(packet: RtpPacket, freq: float) -> bool:
    """Does this G.711 µ-law packet carry `freq` rather than the other prompt's tone?"""
    if packet.payload_type != 0:
        return False
    pcm = g711.ulaw_decode(packet.payload)
    other = TONES[1] if freq == TONES[0] else TONES[0]
    return band_energy(pcm, freq) > 10 * band_energy(pcm, other)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def show(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(f"{name:<34} n={len(ms):3d}  p50 {statistics.median(ms):6.1f} ms"
          f"  p95 {pct(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")  # fmt: skip


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fastline-dtmf-bench-") as tmp:
        workdir = Path(tmp)
        dtmf_port = free_udp_port()
        with run_rtpengine(workdir / "rtpengine", dtmf_port=dtmf_port) as rtp:
            await asyncio.sleep(0.3)
            await measure(workdir, rtp.ng_address, dtmf_port)


async def measure(workdir: Path, ng_address: tuple[str, int], dtmf_port: int) -> None:
    redis = get_redis()
    config = CallcontrolConfig(
        sip_host="127.0.0.1", sip_port=free_udp_port(), rtpengine_ng=ng_address,
        dtmf_listen=("127.0.0.1", dtmf_port), recording_dir=workdir / "rec",
        prompt_dir=workdir / "prompts", webrtc_seats=False,  # no browser here
    )  # fmt: skip
    folder = workdir / "prompts"
    prompts = (
        write_prompt(folder / "a.wav", ((TONES[0], PROMPT_SECONDS),)),
        write_prompt(folder / "b.wav", ((TONES[1], PROMPT_SECONDS),)),
    )
    prompt = prompts[0]
    dtmf = await DtmfListener.listen("127.0.0.1", dtmf_port)
    ng = NgClient(ng_address)
    b2bua = B2bua(config, redis=redis, ng=ng, dtmf=dtmf, prompt=prompt)
    tenant_id = uuid.uuid4()
    call = Call(key=uuid.uuid4().hex, tenant_id=tenant_id, direction="inbound",
                from_number="+8613800138000", to_number="+861012345678")  # fmt: skip
    session = CallSession(call)
    caller = await RtpPeer.open()
    await ng.offer(session.media_id, "c", plain_sdp(caller.port), TOWARD_SIP)
    toward_caller = await ng.answer(session.media_id, "c", "ivr", BLACK_HOLE_SDP, TOWARD_SIP)
    caller.remote = sdp_media_address(toward_caller.sdp)
    document = FlowDocument(start="m", nodes=[Node(
        id="m", type="menu", params={"prompt": "menu", "timeoutSeconds": 5, "maxRetries": 3},
        exits={**{str(d): "m" for d in range(10)}, "max_retries": "m"})])  # fmt: skip
    runner = BenchRunner(b2bua, session, None, "", uuid.uuid4(), document)  # type: ignore[arg-type]
    runner.prompts = prompts
    reports: list[DtmfEvent] = []
    watch = dtmf.subscribe(session.media_id, source_tag="c", callback=reports.append)
    task = asyncio.ensure_future(runner.run())
    baseline: list[float] = []
    step: list[float] = []
    audio: list[float] = []
    try:
        for i in range(DIGITS):
            await until(lambda i=i: collects(runner) >= i + 1)
            await asyncio.sleep(PRESS_AFTER)
            seen, heard = len(reports), len(caller.received)
            await caller.send_dtmf(i % 10, duration_ms=60)
            t0 = time.monotonic()  # the last end packet just left
            await until(lambda i=i: collects(runner) >= i + 2)
            started = [t for t, name in runner.action_started if name == "CollectDigits"][i + 1]
            tone = TONES[(i + 1) % 2]
            await until(lambda t=tone, h=heard: any(is_tone(p, t) for p in caller.received[h:]))
            first = next(p.arrived for p in caller.received[heard:] if is_tone(p, tone))
            baseline.append(reports[seen].received_at - t0)
            step.append(started - t0)
            audio.append(first - t0)
    finally:
        task.cancel()
        watch.close()
        caller.close()
        await ng.delete(session.media_id)
        ng.close()
        dtmf.close()
        await redis.delete(call_key_name(tenant_id, call.key), live_set_name(tenant_id),
                           events_stream(tenant_id))  # fmt: skip
    print(f"DTMF to action, {DIGITS} digits pressed {PRESS_AFTER * 1000:.0f} ms into a prompt")
    show("baseline: rtpengine DTMF report", baseline)
    show("IVR next action (ivr.step)", step)
    show("next prompt's first RTP packet", audio)
    print(f"extra over baseline, p95: {(pct(audio, 0.95) - pct(baseline, 0.95)) * 1000:.1f} ms"
          f"; goal p95 < 100 ms: {'met' if pct(audio, 0.95) < 0.1 else 'NOT met'}")  # fmt: skip


def collects(runner: ivr_runner.IvrRunner) -> int:
    return sum(1 for _, name in runner.action_started if name == "CollectDigits")


async def until(predicate: object, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the IVR did not move on")
        await asyncio.sleep(0.001)


if __name__ == "__main__":
    asyncio.run(main())
