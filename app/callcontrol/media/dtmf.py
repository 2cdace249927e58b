"""Digits pressed by callers, as rtpengine reports them on ``--dtmf-log-dest``.

rtpengine 10.5 sends one JSON datagram per RFC 4733 event when the event ENDS (its
``dtmf_json_print`` returns nothing for non-end packets), and only once although RFC 4733
2.5.1.4 makes the sender repeat the end packet three times. Seen on the wire::

    {"callid":"c1","source_tag":"a","tags":["a","b"],"type":"DTMF","timestamp":1795631797,
     "source_ip":"127.0.0.1","event":5,"duration":120,"volume":10}

``timestamp`` has one-second resolution, so two quick presses of the same key look identical:
de-duplication must be by arrival time, not by content. We drop a repeat of the same digit
from the same party within ``DUPLICATE_WINDOW`` (shorter than any real key press plus pause,
ITU-T Q.24 asks receivers to accept 40 ms tones with 40 ms pauses), which guards against a
report delivered twice without eating a real double press.

A digit WE inject with ``play DTMF`` (from-tag X) is reported too, exactly as if X had pressed
it. Call ``expect_injected`` before injecting so that the report is not taken for the caller's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

log = logging.getLogger(__name__)

# RFC 4733 3.2: events 0-9, 10 = '*', 11 = '#', 12-15 = A-D.
EVENT_DIGITS = "0123456789*#ABCD"
DUPLICATE_WINDOW = 0.04
INJECTED_REPORT_WINDOW = 5.0  # an injected digit's report arrives after its duration ends


@dataclass(frozen=True)
class DtmfEvent:
    call_id: str
    source_tag: str
    digit: str
    duration_ms: int
    volume: int
    received_at: float  # time.monotonic() when the datagram arrived


def parse_dtmf_report(data: bytes, received_at: float) -> DtmfEvent | None:
    """One rtpengine DTMF datagram to an event, or None when it is not a digit we can use."""
    try:
        report = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        log.warning("dtmf report is not JSON: %r", data[:200])
        return None
    if not isinstance(report, dict) or report.get("type", "DTMF") != "DTMF":
        return None
    event = report.get("event")
    call_id = report.get("callid")
    if not isinstance(event, int) or not 0 <= event < len(EVENT_DIGITS) or not call_id:
        # 16 is hook flash (RFC 4733 3.2); nothing in an IVR or dialer waits for it.
        return None
    return DtmfEvent(
        call_id=str(call_id),
        source_tag=str(report.get("source_tag", "")),
        digit=EVENT_DIGITS[event],
        duration_ms=_int(report.get("duration")),
        volume=_int(report.get("volume")),
        received_at=received_at,
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


DigitCallback = Callable[[DtmfEvent], None]


@dataclass
class DtmfSubscription:
    """Digits of one call, optionally only those pressed by one party (``source_tag``)."""

    call_id: str
    source_tag: str | None
    callback: DigitCallback | None
    queue: asyncio.Queue[DtmfEvent] = field(default_factory=asyncio.Queue)
    _listener: DtmfListener | None = None

    def deliver(self, event: DtmfEvent) -> None:
        if self.source_tag is not None and event.source_tag != self.source_tag:
            return
        if self.callback is not None:
            self.callback(event)
        else:
            self.queue.put_nowait(event)

    async def next_digit(self, wait_s: float | None = None) -> DtmfEvent:
        """Wait for the next digit; raises TimeoutError after ``wait_s`` (IVR no-input)."""
        return await asyncio.wait_for(self.queue.get(), wait_s)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.unsubscribe(self)
            self._listener = None


class DtmfListener(asyncio.DatagramProtocol):
    """UDP server for rtpengine's DTMF log; routes each digit to its call's subscribers."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[DtmfSubscription]] = {}
        self._last_seen: dict[tuple[str, str, str], float] = {}
        self._injected: dict[tuple[str, str, str], list[float]] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self.unrouted = 0

    @classmethod
    async def listen(cls, host: str = "127.0.0.1", port: int = 0) -> DtmfListener:
        loop = asyncio.get_running_loop()
        _, listener = await loop.create_datagram_endpoint(cls, local_addr=(host, port))
        return listener

    @property
    def address(self) -> tuple[str, int]:
        assert self._transport is not None, "listener not started"
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def subscribe(self, call_id: str, source_tag: str | None = None,
                  callback: DigitCallback | None = None) -> DtmfSubscription:
        sub = DtmfSubscription(call_id, source_tag, callback, _listener=self)
        self._subscriptions.setdefault(call_id, []).append(sub)
        return sub

    def unsubscribe(self, sub: DtmfSubscription) -> None:
        subs = self._subscriptions.get(sub.call_id, [])
        if sub in subs:
            subs.remove(sub)
        if not subs:
            self._subscriptions.pop(sub.call_id, None)
            self._forget_call(sub.call_id)

    def expect_injected(self, call_id: str, source_tag: str, digits: str) -> None:
        """Swallow the reports of ``digits`` about to be injected on behalf of ``source_tag``."""
        deadline = time.monotonic() + INJECTED_REPORT_WINDOW
        for digit in digits.upper():
            self._injected.setdefault((call_id, source_tag, digit), []).append(deadline)

    def _was_injected(self, event: DtmfEvent) -> bool:
        key = (event.call_id, event.source_tag, event.digit)
        deadlines = [d for d in self._injected.get(key, []) if d >= event.received_at]
        if not deadlines:
            self._injected.pop(key, None)
            return False
        self._injected[key] = deadlines[1:]
        return True

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        event = parse_dtmf_report(data, time.monotonic())
        if event is None:
            return
        subs = self._subscriptions.get(event.call_id)
        if not subs:
            self.unrouted += 1
            log.debug("dtmf %s for call %s with no subscriber", event.digit, event.call_id)
            return
        if self._is_duplicate(event) or self._was_injected(event):
            return
        for sub in list(subs):
            sub.deliver(event)

    def _is_duplicate(self, event: DtmfEvent) -> bool:
        key = (event.call_id, event.source_tag, event.digit)
        last = self._last_seen.get(key)
        self._last_seen[key] = event.received_at
        return last is not None and event.received_at - last < DUPLICATE_WINDOW

    def _forget_call(self, call_id: str) -> None:
        for key in [k for k in self._last_seen if k[0] == call_id]:
            del self._last_seen[key]
        for key in [k for k in self._injected if k[0] == call_id]:
            del self._injected[key]
