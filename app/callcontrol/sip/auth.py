"""HTTP Digest for SIP: UAC answers to 401/407 (RFC 3261 22.2, RFC 2617, RFC 8760) and a
server-side verifier working from a stored HA1."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from .message import Request, Response, SipParseError, parse_quoted

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


@dataclass(slots=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: list[str] = field(default_factory=list)
    opaque: str | None = None
    stale: bool = False
    scheme: str = "Digest"

    def __str__(self) -> str:
        parts = [f'realm="{self.realm}"', f'nonce="{self.nonce}"', f"algorithm={self.algorithm}"]
        if self.qop:
            parts.append(f'qop="{",".join(self.qop)}"')
        if self.opaque is not None:
            parts.append(f'opaque="{self.opaque}"')
        if self.stale:
            parts.append("stale=true")
        return f"{self.scheme} " + ", ".join(parts)


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """Split 'Digest a=b, c="d, e"' into the scheme and its auth-params (RFC 2617 1.2)."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t,":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        name = rest[i:eq].strip().lower()
        i = eq + 1
        while i < n and rest[i] in " \t":
            i += 1
        if i < n and rest[i] == '"':
            val, i = parse_quoted(rest, i)
        else:
            end = rest.find(",", i)
            end = n if end < 0 else end
            val, i = rest[i:end].strip(), end
        params[name] = val
    return scheme, params


def parse_challenge(value: str) -> Challenge:
    scheme, params = parse_auth_params(value)
    if scheme.lower() != "digest" or "nonce" not in params:
        raise SipParseError("not a Digest challenge")
    return Challenge(
        realm=params.get("realm", ""),
        nonce=params["nonce"],
        algorithm=params.get("algorithm", "MD5").upper(),
        qop=[q.strip() for q in params.get("qop", "").split(",") if q.strip()],
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
    )


def _h(algorithm: str, text: str) -> str:
    base = algorithm.upper().removesuffix("-SESS")
    if base not in _HASHES:
        raise ValueError(f"unsupported digest algorithm {algorithm}")
    return _HASHES[base](text.encode("utf-8")).hexdigest()


def compute_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    return _h(algorithm, f"{username}:{realm}:{password}")


def compute_response(
    *,
    algorithm: str,
    ha1: str,
    nonce: str,
    method: str,
    uri: str,
    qop: str | None,
    nc: str = "",
    cnonce: str = "",
) -> str:
    """request-digest of RFC 2617 3.2.2.1 (RFC 7616 3.4.1 for SHA-256)."""
    if algorithm.upper().endswith("-SESS"):
        ha1 = _h(algorithm, f"{ha1}:{nonce}:{cnonce}")
    ha2 = _h(algorithm, f"{method}:{uri}")
    if qop:
        return _h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _h(algorithm, f"{ha1}:{nonce}:{ha2}")


def authorization_value(
    challenge: Challenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int = 1,
    cnonce: str | None = None,
) -> str:
    """The Authorization / Proxy-Authorization value answering `challenge`."""
    qop = "auth" if "auth" in challenge.qop else None
    cnonce = cnonce or secrets.token_hex(8)
    nc_text = f"{nc:08x}"
    ha1 = compute_ha1(challenge.algorithm, username, challenge.realm, password)
    digest = compute_response(
        algorithm=challenge.algorithm,
        ha1=ha1,
        nonce=challenge.nonce,
        method=method,
        uri=uri,
        qop=qop,
        nc=nc_text,
        cnonce=cnonce,
    )
    parts = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f'response="{digest}"',
        f"algorithm={challenge.algorithm}",
    ]
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f'cnonce="{cnonce}"']
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)


def authorize_request(
    request: Request,
    response: Response,
    username: str,
    password: str,
    *,
    nc: int = 1,
) -> Request | None:
    """A copy of `request` answering a 401/407 (RFC 3261 22.2), or None if it cannot be.

    The copy has CSeq + 1 and no Via; the endpoint adds a fresh Via and branch when sending.
    SHA-256 is preferred when offered (RFC 8760 2.4).
    """
    if response.status == 401:
        challenge_name, answer_name = "WWW-Authenticate", "Authorization"
    elif response.status == 407:
        challenge_name, answer_name = "Proxy-Authenticate", "Proxy-Authorization"
    else:
        return None
    challenges = []
    for value in response.headers.get_all(challenge_name):
        try:
            challenges.append(parse_challenge(value))
        except SipParseError:
            continue
    usable = [c for c in challenges if c.algorithm.removesuffix("-SESS") in _HASHES]
    if not usable:
        return None
    usable.sort(key=lambda c: c.algorithm.startswith("SHA-256"), reverse=True)
    challenge = usable[0]
    headers = request.headers.copy()
    headers.remove("Via")
    headers.set(
        answer_name,
        authorization_value(
            challenge,
            method=request.method,
            uri=str(request.uri),
            username=username,
            password=password,
            nc=nc,
        ),
    )
    headers.set("CSeq", f"{request.cseq.seq + 1} {request.method}")
    return Request(request.method, request.uri.copy(), headers, request.body)


class DigestVerifier:
    """Server side: issue challenges and check answers against a stored HA1."""

    def __init__(self, realm: str, algorithm: str = "MD5") -> None:
        self.realm = realm
        self.algorithm = algorithm

    def challenge(self, *, stale: bool = False) -> Challenge:
        return Challenge(
            realm=self.realm,
            nonce=secrets.token_urlsafe(24),
            algorithm=self.algorithm,
            qop=["auth"],
            opaque=secrets.token_hex(8),
            stale=stale,
        )

    def verify(self, authorization: str, method: str, ha1: str) -> bool:
        """True if `authorization` is a correct answer for `method` given the user's HA1.

        Nonce freshness and nc replay tracking belong to the caller, which issued the nonce.
        """
        try:
            scheme, params = parse_auth_params(authorization)
        except SipParseError:
            return False
        if scheme.lower() != "digest" or params.get("realm") != self.realm:
            return False
        required = ("nonce", "uri", "response")
        if any(name not in params for name in required):
            return False
        qop = params.get("qop")
        if qop is not None and ("nc" not in params or "cnonce" not in params):
            return False
        try:
            expected = compute_response(
                algorithm=params.get("algorithm", "MD5"),
                ha1=ha1,
                nonce=params["nonce"],
                method=method,
                uri=params["uri"],
                qop=qop,
                nc=params.get("nc", ""),
                cnonce=params.get("cnonce", ""),
            )
        except ValueError:
            return False
        return hmac.compare_digest(expected, params["response"].lower())
