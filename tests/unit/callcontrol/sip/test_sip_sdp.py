"""SDP parse/build and the G.711 offer/answer, including hold directions."""

from __future__ import annotations

import pytest

from app.callcontrol.sip.sdp import build_answer, build_offer, parse_sdp, with_direction

pytestmark = pytest.mark.feature("EDGE-1")

OFFER = (
    b"v=0\r\no=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\ns=-\r\n"
    b"c=IN IP4 198.51.100.1\r\nt=0 0\r\n"
    b"m=audio 49170 RTP/AVP 9 8 0 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendonly\r\n"
    b"m=video 51372 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n"
)


def test_parse_fields() -> None:
    sdp = parse_sdp(OFFER)
    assert sdp.origin.username == "alice" and sdp.origin.version == 2890844526
    assert sdp.connection == "198.51.100.1"
    audio = sdp.media[0]
    assert (audio.kind, audio.port, audio.proto) == ("audio", 49170, "RTP/AVP")
    assert audio.formats == ["9", "8", "0", "101"]
    assert audio.rtpmap()["0"] == ("PCMU", 8000)  # static, no rtpmap line
    assert audio.rtpmap()["101"] == ("telephone-event", 8000)
    assert audio.fmtp() == {"101": "0-15"}
    assert audio.direction == "sendonly"
    assert parse_sdp(parse_sdp(OFFER).to_bytes()) == sdp


def test_answer_picks_g711_and_dtmf_mirrors_direction_and_rejects_video() -> None:
    answer = build_answer(parse_sdp(OFFER), "203.0.113.5", 30000)
    assert answer is not None
    audio, video = answer.media
    assert audio.port == 30000 and audio.formats == ["8", "0", "101"]  # offerer's order
    assert audio.direction == "recvonly"  # offer was sendonly (hold)
    assert audio.fmtp() == {"101": "0-15"}
    assert video.port == 0  # RFC 3264 6: rejected stream
    assert answer.connection == "203.0.113.5"


def test_no_common_codec_means_none() -> None:
    offer = parse_sdp(OFFER.replace(b"RTP/AVP 9 8 0 101", b"RTP/AVP 9"))
    assert build_answer(offer, "203.0.113.5", 30000) is None


def test_hold_and_resume_offers() -> None:
    offer = build_offer("192.0.2.10", 40000)
    audio = offer.media[0]
    assert audio.formats == ["0", "8", "101"]
    assert audio.rtpmap()["101"] == ("telephone-event", 8000)
    held = with_direction(offer, "sendonly")
    assert held.media[0].direction == "sendonly" and held.origin.version == offer.origin.version + 1
    assert b"a=sendonly" in held.to_bytes()
    resumed = with_direction(held, "sendrecv")
    assert resumed.media[0].direction == "sendrecv"
    inactive = build_answer(with_direction(offer, "inactive"), "192.0.2.20", 40002)
    assert inactive is not None and inactive.media[0].direction == "inactive"
