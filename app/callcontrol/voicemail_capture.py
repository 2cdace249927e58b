"""IVR-2 voicemail node (and SEAT-5 overflow to voicemail): record the caller, store the message.

rtpengine records with the pcap method: the capture holds the packets each endpoint SENT, so
during the IVR (the other side is a black hole) it is the caller's voice alone. Recording stops
at `#`, at the time limit, or when the caller hangs up — the usual way to finish a message.
The capture is complete only once rtpengine has closed it (`delete` at the call's end), so the
message is stored by a task of its own that waits for the end of the call; this call's task is
cancelled by the hang-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from app.recordings.pcap_to_wav import CustomerSide, convert_pcap_to_stereo_wav
from app.recordings.services import find_capture

if TYPE_CHECKING:
    from app.callcontrol.ivr_runner import IvrRunner

log = logging.getLogger(__name__)

END_KEY = "#"
MIN_MESSAGE_SECONDS = 0.5  # shorter is a hang-up right after the beep: no message
CAPTURE_SETTLE = 0.3  # rtpengine closes the pcap just after the delete reply


async def record(runner: IvrRunner, mailbox: str, *, by_id: bool = False) -> None:
    from app.ivr_builder.voicemail import box_for_mailbox

    b2bua, session = runner.b2bua, runner.session
    box_id: UUID | None
    if by_id:
        try:
            box_id = UUID(mailbox)
        except ValueError:
            box_id = None
    else:
        box_id = await box_for_mailbox(runner.tenant_id, mailbox)
    if box_id is None:
        log.warning("call %s: no voicemail box %r", session.call.key, mailbox)
        await b2bua.hangup(session, "voicemail box missing", "system")
        return
    await runner.play_file(await beep(runner), barge_in=False)
    await b2bua.ng.start_recording(session.media_id, metadata=f"voicemail:{session.call.key}")
    runner.recording_since = time.monotonic()
    b2bua._spawn(store_when_ended(runner, box_id))
    assert runner.digits is not None
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(b2bua.ivr.voicemail_max_seconds):
            while (await runner.digits.next_digit()).digit != END_KEY:
                pass
    await b2bua.hangup(session, "voicemail", "system")


async def beep(runner: IvrRunner) -> Path:
    from app.callcontrol.prompts import write_prompt

    path = runner.b2bua.config.prompt_dir / "beep.wav"
    if not path.exists():
        write_prompt(path, ((1000.0, 0.4),))
    return path.resolve()


async def store_when_ended(runner: IvrRunner, box_id: UUID) -> UUID | None:
    """After the call: the caller's side of the capture -> WAV -> `store_voicemail`."""
    from app.callcontrol.b2bua import _audio_ports
    from app.ivr_builder.voicemail import store_voicemail

    session = runner.session
    await session.done.wait()
    await asyncio.sleep(CAPTURE_SETTLE)
    capture = find_capture(runner.b2bua.config.recording_dir, session.call.key)
    if capture is None:
        log.error("call %s: voicemail capture missing", session.call.key)
        return None
    customer = CustomerSide(rtpengine_ports=frozenset(_audio_ports(session.customer_sdps)))
    with tempfile.TemporaryDirectory(prefix="fastline-vm-") as tmp:
        out = Path(tmp) / "message.wav"
        info = await asyncio.to_thread(convert_pcap_to_stereo_wav, capture, out, customer)
        if info.duration_s < MIN_MESSAGE_SECONDS or info.customer_packets == 0:
            log.info("call %s: empty voicemail dropped", session.call.key)
            return None
        try:
            message_id = await store_voicemail(
                runner.tenant_id, box_id, session.call.from_number, "", out,
                call_key=session.call.key,
            )  # fmt: skip
        except (ValueError, LookupError) as exc:
            log.error("call %s: voicemail not stored: %s", session.call.key, exc)
            return None
    with contextlib.suppress(OSError):
        capture.unlink()  # the message is stored; the raw capture is not a call recording
    return message_id

