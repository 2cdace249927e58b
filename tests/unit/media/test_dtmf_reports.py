"""Parsing and routing of rtpengine's DTMF log datagrams (format as rtpengine 10.5 sends it)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest

from app.callcontrol.media.dtmf import DtmfEvent, DtmfListener, parse_dtmf_report

pytestmark = pytest.mark.feature("EDGE-2")


def report(event: int, call_id: str = "c1", tag: str = "a") -> bytes:
    return json.dumps({
        "callid": call_id, "source_tag": tag, "tags": [tag, "b"], "type": "DTMF",
        "timestamp": 1795631797, "source_ip": "127.0.0.1", "event": event,
        "duration": 120, "volume": 10,
    }).encode()


@pytest.mark.parametrize(("event", "digit"), [(0, "0"), (9, "9"), (10, "*"), (11, "#"),
                                               (12, "A"), (15, "D")])
def test_rfc4733_event_codes_become_keypad_digits(event: int, digit: str) -> None:
    parsed = parse_dtmf_report(report(event), 1.0)
    assert parsed == DtmfEvent("c1", "a", digit, 120, 10, 1.0)


@pytest.mark.parametrize("data", [b"not json", b"[]", report(16), b'{"event": 1}',
                                  json.dumps({"callid": "c", "event": 1, "type": "x"}).encode()])
def test_reports_that_are_not_digits_are_ignored(data: bytes) -> None:
    assert parse_dtmf_report(data, 0.0) is None


@pytest.fixture
async def listener() -> AsyncIterator[DtmfListener]:
    dtmf = await DtmfListener.listen()
    yield dtmf
    dtmf.close()


def send(listener: DtmfListener, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in datagrams:
            sock.sendto(data, listener.address)


async def test_digits_reach_only_their_calls_subscriber(listener: DtmfListener) -> None:
    one = listener.subscribe("c1")
    two = listener.subscribe("c2")
    send(listener, report(1, "c1"), report(2, "c2"), report(3, "unknown"))
    assert (await one.next_digit(1.0)).digit == "1"
    assert (await two.next_digit(1.0)).digit == "2"
    await asyncio.sleep(0.05)
    assert one.queue.empty() and two.queue.empty()
    assert listener.unrouted == 1


async def test_a_report_delivered_twice_counts_once_but_a_real_double_press_counts_twice(
    listener: DtmfListener,
) -> None:
    sub = listener.subscribe("c1")
    send(listener, report(5), report(5))  # the same report twice, back to back
    assert (await sub.next_digit(1.0)).digit == "5"
    with pytest.raises(TimeoutError):
        await sub.next_digit(0.1)
    send(listener, report(5))  # the caller presses 5 again
    assert (await sub.next_digit(1.0)).digit == "5"


async def test_a_subscriber_can_listen_to_one_party_only(listener: DtmfListener) -> None:
    customer = listener.subscribe("c1", source_tag="a")
    send(listener, report(7, tag="agent"), report(8, tag="a"))
    assert (await customer.next_digit(1.0)).digit == "8"
    assert customer.queue.empty()


async def test_callback_subscribers_and_unsubscribe(listener: DtmfListener) -> None:
    seen: list[str] = []
    sub = listener.subscribe("c1", callback=lambda e: seen.append(e.digit))
    send(listener, report(11))
    await asyncio.sleep(0.05)
    sub.close()
    send(listener, report(10))
    await asyncio.sleep(0.05)
    assert seen == ["#"]
    assert listener.unrouted == 1
