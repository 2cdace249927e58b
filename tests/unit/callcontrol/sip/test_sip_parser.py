"""Parser tests on the RFC 4475 torture messages (files in rfc4475/, byte-exact from the RFC's
appendix archive) plus serializer round trips and a fuzz test."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.callcontrol.sip.message import (
    Request,
    Response,
    SipParseError,
    StreamParser,
    parse_address,
    parse_message,
    parse_uri,
    pct_decode,
    response_for_bad_request,
)

pytestmark = pytest.mark.feature("EDGE-1")

DATA = Path(__file__).parent / "rfc4475"


def load(name: str) -> bytes:
    return (DATA / f"{name}.dat").read_bytes()


# RFC 4475 3.1.1 valid messages and 3.3 messages that are syntactically valid.
VALID = [
    "wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq", "dblreq", "semiuri",
    "transports", "mpart01", "unreason", "noreason",
    "inv2543", "bext01", "invut", "regaut01", "bcast", "zeromf", "cparam01",
    "cparam02", "regescrt", "sdp01", "unksm2", "badbranch",
]  # fmt: skip

# RFC 4475 3.1.2 invalid messages (and 3.3 ones rejected at parse time) with the response the
# RFC gives; None means "drop, never answer" (a response, RFC 4475 3.1.2.5 and 3.1.2.19).
INVALID = {
    "badinv01": 400,  # 3.1.2.1 extraneous ;,; in Via and Contact
    "clerr": 400,  # 3.1.2.2 Content-Length larger than the datagram
    "ncl": 400,  # 3.1.2.3 negative Content-Length
    "scalar02": 400,  # 3.1.2.4 overlarge CSeq / Max-Forwards / Expires
    "scalarlg": None,  # 3.1.2.5 response with overlarge values: discard
    "quotbal": 400,  # 3.1.2.6 unterminated quoted display name
    "ltgtruri": 400,  # 3.1.2.7 <> around the Request-URI
    "lwsruri": 400,  # 3.1.2.8 LWS inside the Request-URI
    "lwsstart": 400,  # 3.1.2.9 multiple SP in the Request-Line (rejecting is acceptable)
    "trws": 400,  # 3.1.2.10 SP at end of Request-Line (rejecting is acceptable)
    "escruri": 400,  # 3.1.2.11 escaped headers in the Request-URI
    "regbadct": 400,  # 3.1.2.13 addr-spec with headers not in <>
    "baddn": 400,  # 3.1.2.15 unquoted non-token display name
    "badvers": 505,  # 3.1.2.16 SIP/7.0
    "mismatch01": 400,  # 3.1.2.17 CSeq method differs from the Request-Line
    "mismatch02": 400,  # 3.1.2.18 unknown method + CSeq mismatch (501 preferred, 400 allowed)
    "bigcode": None,  # 3.1.2.19 response code > 699: drop
    "insuf": 400,  # 3.3.2 missing To, From, Call-ID
    "unkscm": 416,  # 3.3.3 unknown Request-URI scheme
    "novelsc": 416,  # 3.3.4 known but atypical scheme we do not serve
    "multi01": 400,  # 3.3.9 several values in single-value fields
    "mcl01": 400,  # 3.3.10 several Content-Length values
}

# Accepted liberally, as the RFC allows: 3.1.2.12 baddate (we do not use Date) and
# 3.1.2.14 badaspec (spaces around the addr-spec are ignored).
LENIENT = ["baddate", "badaspec"]


@pytest.mark.parametrize("name", VALID + LENIENT)
def test_rfc4475_valid_messages_parse(name: str) -> None:
    msg = parse_message(load(name))
    assert msg.vias and msg.call_id and msg.cseq.seq >= 0
    again = parse_message(msg.to_bytes())
    assert again.call_id == msg.call_id
    assert [str(v) for v in again.vias] == [str(v) for v in msg.vias]


@pytest.mark.parametrize(("name", "status"), sorted(INVALID.items()))
def test_rfc4475_invalid_messages_get_the_rfc_response(name: str, status: int | None) -> None:
    raw = load(name)
    with pytest.raises(SipParseError) as info:
        parse_message(raw)
    reply = response_for_bad_request(raw, info.value)
    if status is None:
        assert reply is None
        return
    assert info.value.status == status
    assert reply is not None
    # From/To are copied verbatim even when they are the malformed part (RFC 3261 8.2.6.2), so
    # check the reply line by line rather than with our own strict parser.
    lines = reply.split(b"\r\n")
    assert lines[0].startswith(b"SIP/2.0 %d " % status)
    original_via = raw.split(b"Via:", 1)[1].split(b"\r\n", 1)[0].strip()
    assert lines[1] == b"Via: " + original_via  # copied verbatim
    assert any(line.startswith(b"CSeq: ") for line in lines)


def test_wsinv_fields() -> None:
    msg = parse_message(load("wsinv"))
    assert isinstance(msg, Request)
    assert msg.method == "INVITE"
    assert msg.uri.user == "vivekg" and msg.uri.params == {"unknownparam": None}
    assert msg.to.tag == "1918181833n"
    assert str(msg.to.uri) == "sip:vivekg@chair-dnrc.example.com"
    assert msg.from_.display_name == 'J Rosenberg \\"'
    assert msg.from_.tag == "98asjd8"
    assert msg.max_forwards == 68
    assert (msg.cseq.seq, msg.cseq.method) == (9, "INVITE")
    assert [v.transport for v in msg.vias] == ["UDP", "TCP", "UDP"]
    assert [v.branch for v in msg.vias] == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]
    assert msg.headers.get("Subject") == ""
    assert msg.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert msg.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    contact = msg.contacts[0]
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == {"newparam": "newvalue", "secondparam": None, "q": "0.33"}
    assert msg.routes[0].uri.params["unknownwith"] == "value"
    assert len(msg.body) == 150


def test_intmeth_fields() -> None:
    msg = parse_message(load("intmeth"))
    assert isinstance(msg, Request)
    assert msg.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert msg.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert msg.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert msg.uri.host == "example.com"
    assert msg.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert msg.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert msg.from_.tag == "_token~1'+`*%!-."
    assert msg.max_forwards == 255
    assert msg.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"
    assert msg.vias[0].branch == "z9hG4bK-.!%66*_+`'~"


def test_escapes_and_compact_forms() -> None:
    esc01 = parse_message(load("esc01"))
    assert isinstance(esc01, Request)
    assert pct_decode(esc01.uri.user or "") == "sips:user@example.com"
    assert pct_decode(esc01.to.uri.user or "") == "user"
    assert esc01.call_id == "esc01.239409asdfakjkn23onasd0-3234"  # compact i:
    assert esc01.content_type == "application/sdp"  # compact C:
    escnull = parse_message(load("escnull"))
    assert [pct_decode(c.uri.user or "") for c in escnull.contacts] == ["\x00", "\x00\x00"]
    esc02 = parse_message(load("esc02"))
    assert len(esc02.contacts) == 2  # 'C%6Fntact' is an unknown header, not Contact


def test_datagram_body_rules() -> None:
    dblreq = parse_message(load("dblreq"))
    assert isinstance(dblreq, Request) and dblreq.method == "REGISTER"
    assert dblreq.body == b""  # RFC 4475 3.1.1.8: octets past Content-Length are ignored
    inv = parse_message(load("inv2543"))  # no Content-Length over UDP: body is the rest
    assert inv.body.startswith(b"v=0")


def test_long_values_and_many_vias() -> None:
    msg = parse_message(load("longreq"))
    assert len(msg.vias) == 34
    assert msg.vias[-1].params["received"] == "192.0.2.5"
    assert msg.call_id == "longreq.one" + "really" * 20 + "longcallid"


def test_other_valid_fields() -> None:
    semi = parse_message(load("semiuri"))
    assert isinstance(semi, Request)
    assert semi.uri.user == "user;par=u%40example.net" and semi.uri.host == "example.com"
    assert semi.headers.get_all("Accept")[-1] == "message/sipfrag"
    lws = parse_message(load("lwsdisp"))
    assert lws.from_.display_name == "caller" and lws.from_.tag == "323"
    transports = parse_message(load("transports"))
    assert [v.transport for v in transports.vias] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    unreason = parse_message(load("unreason"))
    assert isinstance(unreason, Response)
    assert unreason.status == 200 and unreason.reason.startswith("= 2**3 * 5**2 но")
    noreason = parse_message(load("noreason"))
    assert isinstance(noreason, Response) and noreason.reason == ""
    mpart = parse_message(load("mpart01"))
    assert len(mpart.body) == 553 and mpart.headers.get("Date") == "Sat, 15 Oct 2005 04:44:56 GMT"
    aspec = parse_message(load("badaspec"))
    assert str(aspec.to.uri) == "sip:t.watson@example.org"
    assert aspec.from_.display_name == "Bell, Alexander"
    reg = parse_message(load("regescrt"))
    assert reg.contacts[0].uri.headers == {"Route": "%3Csip:sip.example.com%3E"}
    cparam = parse_message(load("cparam01"))
    assert cparam.contacts[0].params == {"unknownparam": None}  # header param, not URI param
    assert parse_message(load("cparam02")).contacts[0].uri.params == {"unknownparam": None}
    unksm2 = parse_message(load("unksm2"))
    assert unksm2.to.uri.scheme == "isbn" and unksm2.to.uri.opaque == "2983792873"
    auth = parse_message(load("regaut01"))
    assert auth.headers.get("Authorization") == "NoOneKnowsThisScheme opaque-data=here"


def test_uri_forms() -> None:
    uri = parse_uri("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?Subject=hi&X=1")
    assert (uri.scheme, uri.user, uri.password) == ("sips", "alice", "secret")
    assert (uri.host, uri.port) == ("[2001:db8::1]", 5061)
    assert uri.params == {"transport": "tcp", "lr": None}
    assert uri.headers == {"Subject": "hi", "X": "1"}
    assert str(uri) == "sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?Subject=hi&X=1"
    with pytest.raises(SipParseError):
        parse_uri("sip:host:99999")
    tel = parse_uri("tel:+1-201-555-0123")
    assert tel.scheme == "tel" and tel.opaque == "+1-201-555-0123"


def test_header_value_commas_kept_where_grammar_requires() -> None:
    raw = (
        b"SIP/2.0 401 Unauthorized\r\n"
        b"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com\r\n"
        b'WWW-Authenticate: Digest realm="x", nonce="a,b", qop="auth,auth-int"\r\n'
        b"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
        b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n"
        b'Contact: "Doe, J" <sip:j@h1>;q=0.5, <sip:k,x@h2>\r\n'
        b"Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
    )
    msg = parse_message(raw)
    assert len(msg.vias) == 2
    assert (
        msg.headers.get("WWW-Authenticate") == 'Digest realm="x", nonce="a,b", qop="auth,auth-int"'
    )
    assert msg.headers.get("Date") == "Sat, 13 Nov 2010 23:29:00 GMT"
    assert [c.display_name for c in msg.contacts] == ["Doe, J", None]


def test_address_round_trip() -> None:
    addr = parse_address('"Alice \\"A\\"" <sip:alice@example.com;transport=tcp>;tag=abc;x="y z"')
    assert addr.display_name == 'Alice "A"'
    assert str(addr) == '"Alice \\"A\\"" <sip:alice@example.com;transport=tcp>;tag=abc;x="y z"'


def test_stream_framing_by_content_length() -> None:
    one = load("esc01")
    two = load("lwsdisp")
    parser = StreamParser()
    got = parser.feed(b"\r\n\r\n" + one[:100])
    assert got == []
    got = parser.feed(one[100:] + two[:10])
    assert len(got) == 1 and isinstance(got[0], Request) and len(got[0].body) == 150
    got = parser.feed(two[10:])
    assert len(got) == 1 and isinstance(got[0], Request) and got[0].method == "OPTIONS"


def test_stream_framing_error_is_fatal() -> None:
    with pytest.raises(SipParseError):
        StreamParser().feed(load("ncl"))


def test_stream_bad_message_is_reported_not_raised() -> None:
    items = StreamParser().feed(load("mismatch01"))
    assert len(items) == 1 and isinstance(items[0], tuple)
    raw, error = items[0]
    assert error.status == 400 and response_for_bad_request(raw, error) is not None


# --------------------------------------------------------------------------- fuzzing

SEEDS = [load(n) for n in ("wsinv", "esc01", "longreq", "unreason", "intmeth", "mpart01")]


def _parse_or_reject(data: bytes) -> None:
    try:
        parse_message(data)
    except SipParseError:
        response_for_bad_request(data)
    try:
        StreamParser().feed(data)
    except SipParseError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_fuzz_random_bytes_only_raise_sip_parse_error(data: bytes) -> None:
    _parse_or_reject(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 40), st.binary(max_size=8)), max_size=6
    ),
)
def test_fuzz_mutated_messages_only_raise_sip_parse_error(
    seed: bytes, edits: list[tuple[int, int, bytes]]
) -> None:
    data = bytearray(seed)
    for pos, cut, insert in edits:
        pos %= len(data) + 1
        data[pos : pos + cut] = insert
    _parse_or_reject(bytes(data))
