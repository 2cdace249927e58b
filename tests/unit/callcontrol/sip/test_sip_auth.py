"""Digest auth against the published test vectors and a UAC/verifier round trip."""

from __future__ import annotations

import pytest

from app.callcontrol.sip.auth import (
    Challenge,
    DigestVerifier,
    authorization_value,
    authorize_request,
    compute_ha1,
    compute_response,
    parse_auth_params,
    parse_challenge,
)
from app.callcontrol.sip.dialog import new_request
from app.callcontrol.sip.message import Address, Response, make_response, parse_uri

pytestmark = pytest.mark.feature("EDGE-1")


def test_rfc2617_section_3_5_vector() -> None:
    ha1 = compute_ha1("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life")
    digest = compute_response(
        algorithm="MD5", ha1=ha1, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", method="GET",
        uri="/dir/index.html", qop="auth", nc="00000001", cnonce="0a4f113b",
    )  # fmt: skip
    assert digest == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_section_3_9_1_vectors(algorithm: str, expected: str) -> None:
    challenge = parse_challenge(
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    value = authorization_value(
        challenge, method="GET", uri="/dir/index.html", username="Mufasa",
        password="Circle of Life", nc=1, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )  # fmt: skip
    _, params = parse_auth_params(value)
    assert params["response"] == expected
    assert params["qop"] == "auth" and params["nc"] == "00000001"
    assert params["opaque"] == "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def _register() -> tuple:  # type: ignore[type-arg]
    req = new_request(
        "REGISTER", parse_uri("sip:example.com"),
        from_=Address(parse_uri("sip:alice@example.com")),
        to=Address(parse_uri("sip:alice@example.com")), call_id="reg-1", cseq=1,
    )  # fmt: skip
    req.headers.add("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa1", first=True)
    return req, DigestVerifier("example.com", "SHA-256")


@pytest.mark.parametrize("status", [401, 407])
def test_uac_answers_challenge_and_verifier_accepts(status: int) -> None:
    req, verifier = _register()
    header = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
    challenge = make_response(req, status, to_tag="x", extra=[(header, str(verifier.challenge()))])
    retry = authorize_request(req, challenge, "alice", "s3cret")
    assert retry is not None
    assert retry.cseq.seq == 2 and retry.call_id == "reg-1"  # RFC 3261 22.2
    assert retry.headers.get("Via") is None  # a fresh branch is added when sent
    answer = retry.headers.get("Authorization" if status == 401 else "Proxy-Authorization")
    assert answer is not None
    ha1 = compute_ha1("SHA-256", "alice", "example.com", "s3cret")
    assert verifier.verify(answer, "REGISTER", ha1)
    assert not verifier.verify(answer, "INVITE", ha1)
    wrong = compute_ha1("SHA-256", "alice", "example.com", "wrong")
    assert not verifier.verify(answer, "REGISTER", wrong)


def test_sha256_preferred_over_md5_when_both_offered() -> None:
    req, _ = _register()
    md5 = Challenge(realm="r", nonce="n1", algorithm="MD5", qop=["auth"])
    sha = Challenge(realm="r", nonce="n2", algorithm="SHA-256", qop=["auth"])
    resp = make_response(
        req, 401, extra=[("WWW-Authenticate", str(md5)), ("WWW-Authenticate", str(sha))]
    )
    retry = authorize_request(req, resp, "alice", "pw")
    assert retry is not None
    assert "algorithm=SHA-256" in (retry.headers.get("Authorization") or "")


def test_unknown_scheme_or_status_is_not_answered() -> None:
    req, _ = _register()
    resp = make_response(req, 401, extra=[("WWW-Authenticate", 'Basic realm="x"')])
    assert authorize_request(req, resp, "a", "b") is None
    assert authorize_request(req, Response(403), "a", "b") is None
