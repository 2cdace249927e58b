"""RFC 3261 messages: model, parser and serializer.

The parser is a hand-written scanner (no backtracking regular expressions). A message is split
into a start line and header fields once; the fields a transaction or dialog always needs (Via,
From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Contact, Expires, Route, Record-Route)
are validated eagerly so that a bad request is answered with 400 before any layer touches it.
Their typed values are cached on the message. Everything else stays a string until asked for.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

SIP_VERSION = "SIP/2.0"
CRLF = "\r\n"
MAGIC_COOKIE = "z9hG4bK"  # RFC 3261 8.1.1.7

_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~")
_DIGITS = frozenset("0123456789")
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
_HEX_CHARS = frozenset("0123456789abcdefABCDEF:.")
_COMMON_SCHEMES = frozenset({"sip", "sips", "tel"})  # already lower case and valid
_WS = " \t"

# RFC 3261 7.3.3 and the IANA registry of compact forms.
COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

_SPECIAL_CASE = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
    "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match",
}

# Header fields whose grammar is a comma-separated list (RFC 3261 7.3.1). Only these are split;
# WWW-Authenticate, Authorization, Date and unknown headers keep their commas.
MULTI_VALUE = frozenset(
    {
        "via",
        "route",
        "record-route",
        "contact",
        "path",
        "allow",
        "supported",
        "require",
        "proxy-require",
        "unsupported",
        "accept",
        "accept-encoding",
        "accept-language",
        "content-encoding",
        "allow-events",
        "in-reply-to",
        "call-info",
        "alert-info",
        "error-info",
        "warning",
        "p-asserted-identity",
    }
)

# RFC 3261 7.3.1: these may appear once; a second copy is a 400 (RFC 4475 3.3.9, 3.3.10).
SINGLE_VALUE = frozenset(
    {"call-id", "cseq", "from", "to", "max-forwards", "content-length", "content-type", "expires"}
)

REASON_PHRASES = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    600: "Busy Everywhere",
    603: "Decline",
}

SUPPORTED_SCHEMES = frozenset({"sip", "sips", "tel"})
MAX_CSEQ = 2**31 - 1  # RFC 3261 8.1.1.5
MAX_DELTA_SECONDS = 2**32 - 1


class SipParseError(ValueError):
    """A message that cannot be accepted; `status` is the response a UAS should send."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


# Every header access goes through here (hundreds of times per call set-up); the names seen are
# few, so the answers are kept, bounded so that a peer sending made-up names cannot grow it.
@functools.lru_cache(maxsize=1024)
def canonical_name(name: str) -> str:
    """Long, conventionally capitalised form of a header name ('v' -> 'Via')."""
    low = name.lower()
    low = COMPACT_FORMS.get(low, low)
    special = _SPECIAL_CASE.get(low)
    if special is not None:
        return special
    return "-".join(part[:1].upper() + part[1:] for part in low.split("-"))


def is_token(text: str) -> bool:
    return bool(text) and _TOKEN_CHARS.issuperset(text)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


def pct_decode(text: str) -> str:
    """Undo %HH escapes (RFC 3261 19.1.4 compares URIs unescaped)."""
    if "%" not in text:
        return text
    out = bytearray()
    raw = text.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and _is_hex2(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _is_hex2(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


# --------------------------------------------------------------------------- scanning helpers


def split_quoted(value: str, sep: str) -> list[str]:
    """Split on `sep` outside quoted strings and <...> (commas inside URIs are not separators)."""
    if sep not in value:
        return [value]
    parts: list[str] = []
    start = 0
    in_quote = False
    in_angle = False
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if in_quote:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_quote = False
        elif ch == '"':
            in_quote = True
        elif ch == "<":
            in_angle = True
        elif ch == ">":
            in_angle = False
        elif ch == sep and not in_angle:
            parts.append(value[start:i])
            start = i + 1
        i += 1
    if in_quote:
        raise SipParseError("unterminated quoted string")
    parts.append(value[start:])
    return parts


def parse_quoted(value: str, start: int) -> tuple[str, int]:
    """Parse a quoted-string starting at value[start] == '"'; return (unescaped text, end)."""
    out: list[str] = []
    i = start + 1
    n = len(value)
    while i < n:
        ch = value[i]
        if ch == "\\":
            if i + 1 >= n:
                break
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise SipParseError("unterminated quoted string")


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


Params: TypeAlias = dict[str, str | None]


_URI_PARAM_FORBIDDEN = frozenset(' \t;?<>"@,')


def parse_params(text: str, what: str) -> Params:
    """Parse ';name[=value]' generic-params (RFC 3261 25.1); LWS around '=' and ';' allowed."""
    params: Params = {}
    if not text.strip():
        return params
    if not text.lstrip().startswith(";"):
        raise SipParseError(f"{what}: junk before parameters")
    for raw in split_quoted(text.lstrip()[1:], ";"):
        name, eq, value = raw.partition("=")
        name = name.strip()
        if not is_token(name):
            raise SipParseError(f"{what}: bad parameter {raw.strip()!r}")
        if not eq:
            params[name.lower()] = None
            continue
        value = value.strip()
        if value.startswith('"'):
            unq, end = parse_quoted(value, 0)
            if value[end:].strip():
                raise SipParseError(f"{what}: junk after quoted parameter")
            params[name.lower()] = unq
        elif value and (is_token(value) or _is_bracket_host(value) or _is_ip(value)):
            params[name.lower()] = value
        elif value and what == "URI" and not any(c in _URI_PARAM_FORBIDDEN for c in value):
            params[name.lower()] = value  # RFC 3261 25.1 paramchar allows '[]/:&+$'
        else:
            raise SipParseError(f"{what}: bad value for parameter {name!r}")
    return params


def _is_ip(value: str) -> bool:
    # Via received= may carry a bare IPv6 address (RFC 3261 20.42).
    return _HEX_CHARS.issuperset(value)


def _is_bracket_host(value: str) -> bool:
    return value.startswith("[") and value.endswith("]") and _HEX_CHARS.issuperset(value[1:-1])


def format_params(params: Params, *, uri: bool = False) -> str:
    parts = []
    for name, value in params.items():
        if value is None:
            parts.append(";" + name)
        elif uri or is_token(value) or _is_bracket_host(value) or _is_ip(value):
            parts.append(f";{name}={value}")
        else:
            parts.append(f";{name}={quote(value)}")
    return "".join(parts)


# --------------------------------------------------------------------------- URIs


@dataclass(slots=True)
class SipUri:
    """A sip:/sips: URI (RFC 3261 19.1). Other schemes keep their text in `opaque`."""

    scheme: str = "sip"
    user: str | None = None
    password: str | None = None
    host: str = ""
    port: int | None = None
    params: Params = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    opaque: str | None = None

    @property
    def is_sip(self) -> bool:
        return self.opaque is None

    @property
    def host_port(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out.append(":" + self.password)
            out.append("@")
        out.append(self.host_port)
        out.append(format_params(self.params, uri=True))
        if self.headers:
            out.append("?" + "&".join(f"{k}={v}" for k, v in self.headers.items()))
        return "".join(out)

    def copy(self) -> SipUri:
        return SipUri(
            self.scheme,
            self.user,
            self.password,
            self.host,
            self.port,
            dict(self.params),
            dict(self.headers),
            self.opaque,
        )


def parse_uri(text: str) -> SipUri:
    """Parse a URI; sip/sips fully, any other scheme as an opaque absoluteURI."""
    scheme, colon, rest = text.partition(":")
    if not colon or not scheme or not scheme[0].isalpha():
        raise SipParseError(f"not a URI: {text[:60]!r}")
    if scheme not in _COMMON_SCHEMES:
        if not all(c.isalnum() or c in "+-." for c in scheme):
            raise SipParseError(f"bad URI scheme {scheme[:30]!r}")
        scheme = scheme.lower()
    if scheme not in ("sip", "sips"):
        if not rest or any(c in ' \t<>"' for c in rest):
            raise SipParseError(f"bad {scheme} URI")
        return SipUri(scheme=scheme, opaque=rest)
    uri = SipUri(scheme=scheme)
    if "@" in rest:
        # RFC 3261 25.1: '@' cannot appear unescaped in params or host, so the first one ends
        # the userinfo even when the user part holds ';', '?' or '/' (RFC 4475 3.1.1.2).
        userinfo, _, rest = rest.partition("@")
        user, has_pw, password = userinfo.partition(":")
        if not user or any(c in ' \t<>"' for c in userinfo):
            raise SipParseError("bad URI userinfo")
        uri.user = user
        uri.password = password if has_pw else None
    rest, qmark, hdrs = rest.partition("?")
    if qmark:
        uri.headers = _parse_uri_headers(hdrs)
    hostport, semi, params = rest.partition(";")
    uri.host, uri.port = _parse_hostport(hostport)
    if semi:
        uri.params = parse_params(";" + params, "URI")
    return uri


def _parse_uri_headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in text.split("&"):
        name, eq, value = item.partition("=")
        if not name or not eq or any(c in ' \t<>"' for c in item):
            raise SipParseError("bad URI header")
        headers[name] = value
    return headers


def _parse_hostport(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not _HEX_CHARS.issuperset(text[1:end]) or end == 1:
            raise SipParseError("bad IPv6 reference")
        host, rest = text[: end + 1], text[end + 1 :]
        if rest and not rest.startswith(":"):
            raise SipParseError("bad host:port")
        port_text = rest[1:] if rest else None
    else:
        host, colon, port_str = text.partition(":")
        port_text = port_str if colon else None
        if not host or not _HOST_CHARS.issuperset(host):
            raise SipParseError(f"bad host {host[:60]!r}")
    if port_text is None:
        return host, None
    if not port_text or len(port_text) > 5 or not _DIGITS.issuperset(port_text):
        raise SipParseError("bad port")
    port = int(port_text)
    if port > 65535:
        raise SipParseError("port out of range")
    return host, port


# --------------------------------------------------------------------------- name-addr


@dataclass(slots=True)
class Address:
    """name-addr or addr-spec with header parameters (From, To, Contact, Route...)."""

    uri: SipUri
    display_name: str | None = None
    params: Params = field(default_factory=dict)
    star: bool = False  # 'Contact: *' (RFC 3261 10.2.2)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def __str__(self) -> str:
        if self.star:
            return "*"
        name = quote(self.display_name) + " " if self.display_name else ""
        return f"{name}<{self.uri}>{format_params(self.params)}"

    def copy(self) -> Address:
        return Address(self.uri.copy(), self.display_name, dict(self.params), self.star)


def parse_address(value: str, *, lenient_spaces: bool = True) -> Address:
    """Parse one name-addr / addr-spec with its header params (RFC 3261 20.10, 25.1)."""
    text = value.strip()
    if text == "*":
        return Address(SipUri(), star=True)
    display: str | None = None
    if text.startswith('"'):
        display, end = parse_quoted(text, 0)
        text = text[end:].lstrip()
        if not text.startswith("<"):
            raise SipParseError("quoted display name without <URI>")
    lt = text.find("<")
    if lt >= 0:
        if lt > 0:
            words = text[:lt].split()
            # RFC 3261 25.1: an unquoted display-name is tokens and LWS (RFC 4475 3.1.2.15).
            if not all(is_token(w) for w in words):
                raise SipParseError("display name has non-token characters; quote it")
            display = " ".join(words)
        gt = text.find(">", lt)
        if gt < 0:
            raise SipParseError("missing '>'")
        inner = text[lt + 1 : gt]
        if lenient_spaces:
            # RFC 4475 3.1.2.14: being liberal, spaces around the addr-spec are ignored.
            inner = inner.strip()
        uri = parse_uri(inner)
        return Address(uri, display, parse_params(text[gt + 1 :], "address"))
    # addr-spec: the URI ends at the first ';' (RFC 3261 20: a URI with ';', ',' or '?' must be
    # in angle brackets, so the rest are header parameters).
    uri_text, semi, params = text.partition(";")
    uri_text = uri_text.strip()
    if "?" in uri_text or " " in uri_text or "\t" in uri_text:
        raise SipParseError("addr-spec with headers or spaces must be in <>")
    uri = parse_uri(uri_text)
    return Address(uri, None, parse_params(";" + params if semi else "", "address"))


# --------------------------------------------------------------------------- Via and CSeq


@dataclass(slots=True)
class Via:
    transport: str
    host: str
    port: int | None = None
    params: Params = field(default_factory=dict)

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return f"SIP/2.0/{self.transport} {self.sent_by}{format_params(self.params)}"


def parse_via(value: str) -> Via:
    """Parse one via-parm (RFC 3261 20.42); LWS is allowed around '/' (RFC 4475 3.1.1.1)."""
    head, semi, params = value.partition(";")
    words = head.replace("/", " / ").split()
    # Expect: SIP / 2.0 / transport host[:port]
    if len(words) != 6 or words[1] != "/" or words[3] != "/":
        raise SipParseError("bad Via sent-protocol or sent-by")
    if words[0].upper() != "SIP" or words[2] != "2.0":
        raise SipParseError("bad Via protocol version", 400)
    if not is_token(words[4]):
        raise SipParseError("bad Via transport")
    host, port = _parse_hostport(words[5])
    via = Via(words[4].upper(), host, port)
    if semi:
        via.params = parse_params(";" + params, "Via")
    return via


@dataclass(slots=True, frozen=True)
class CSeq:
    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(value: str) -> CSeq:
    words = value.split()
    if len(words) != 2 or not words[0].isdigit() or not is_token(words[1]):
        raise SipParseError("bad CSeq")
    if len(words[0]) > 10 or int(words[0]) > MAX_CSEQ:
        raise SipParseError("CSeq number out of range")
    return CSeq(int(words[0]), words[1])


def _parse_bounded_int(value: str, limit: int, what: str) -> int:
    text = value.strip()
    if not text or len(text) > 12 or not all(c in _DIGITS for c in text):
        raise SipParseError(f"bad {what}")
    number = int(text)
    if number > limit:
        raise SipParseError(f"{what} out of range")
    return number


# --------------------------------------------------------------------------- headers


class Headers:
    """Ordered, case-insensitive header fields; list headers hold one entry per element."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = [(canonical_name(n), v) for n, v in items]

    def get(self, name: str, default: str | None = None) -> str | None:
        key = canonical_name(name)
        for n, v in self._items:
            if n == key:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        key = canonical_name(name)
        return [v for n, v in self._items if n == key]

    def count(self, name: str) -> int:
        key = canonical_name(name)
        return [n for n, _ in self._items].count(key)

    def add(self, name: str, value: str, *, first: bool = False) -> None:
        item = (canonical_name(name), value)
        if first:
            self._items.insert(0, item)
        else:
            self._items.append(item)

    def set(self, name: str, value: str | Iterable[str]) -> None:
        """Replace all copies of `name`, keeping the position of the first one."""
        key = canonical_name(name)
        values = [value] if isinstance(value, str) else list(value)
        pos = next((i for i, (n, _) in enumerate(self._items) if n == key), len(self._items))
        kept = [(n, v) for n, v in self._items if n != key]
        pos = min(pos, len(kept))
        kept[pos:pos] = [(key, v) for v in values]
        self._items = kept

    def remove(self, name: str) -> None:
        key = canonical_name(name)
        self._items = [(n, v) for n, v in self._items if n != key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> Headers:
        h = Headers()
        h._items = list(self._items)
        return h


# --------------------------------------------------------------------------- messages


class SipMessage:
    """Common part of requests and responses: headers, body and cached typed header values."""

    __slots__ = ("_cache", "body", "headers")

    def __init__(self, headers: Headers | None = None, body: bytes = b"") -> None:
        self.headers = headers if headers is not None else Headers()
        self.body = body
        self._cache: dict[str, object] = {}

    # Typed accessors. They parse on first use and are cached until `invalidate()`.
    @property
    def vias(self) -> list[Via]:
        cached = self._cache.get("via")
        if cached is None:
            cached = [parse_via(v) for v in self.headers.get_all("Via")]
            self._cache["via"] = cached
        return cached  # type: ignore[return-value]

    @property
    def top_via(self) -> Via:
        vias = self.vias
        if not vias:
            raise SipParseError("missing Via")
        return vias[0]

    @property
    def from_(self) -> Address:
        return self._address("From")

    @property
    def to(self) -> Address:
        return self._address("To")

    @property
    def call_id(self) -> str:
        value = self.headers.get("Call-ID")
        if not value or not value.strip():
            raise SipParseError("missing Call-ID")
        return value.strip()

    @property
    def cseq(self) -> CSeq:
        cached = self._cache.get("cseq")
        if cached is None:
            value = self.headers.get("CSeq")
            if value is None:
                raise SipParseError("missing CSeq")
            cached = parse_cseq(value)
            self._cache["cseq"] = cached
        return cached  # type: ignore[return-value]

    @property
    def contacts(self) -> list[Address]:
        return self._addresses("Contact")

    @property
    def routes(self) -> list[Address]:
        return self._addresses("Route")

    @property
    def record_routes(self) -> list[Address]:
        return self._addresses("Record-Route")

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("Max-Forwards")
        return None if value is None else _parse_bounded_int(value, 255, "Max-Forwards")

    @property
    def expires(self) -> int | None:
        value = self.headers.get("Expires")
        return None if value is None else _parse_bounded_int(value, MAX_DELTA_SECONDS, "Expires")

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return None if value is None else value.split(";")[0].strip().lower()

    def _address(self, name: str) -> Address:
        cached = self._cache.get(name)
        if cached is None:
            value = self.headers.get(name)
            if value is None:
                raise SipParseError(f"missing {name}")
            cached = parse_address(value)
            self._cache[name] = cached
        return cached  # type: ignore[return-value]

    def _addresses(self, name: str) -> list[Address]:
        cached = self._cache.get(name + "*")
        if cached is None:
            cached = [parse_address(v) for v in self.headers.get_all(name)]
            self._cache[name + "*"] = cached
        return cached  # type: ignore[return-value]

    def invalidate(self) -> None:
        """Forget cached typed values after editing `headers`."""
        self._cache.clear()

    def _start_line(self) -> str:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """Serialize; Content-Length is always written from the body (RFC 3261 20.14)."""
        lines = [self._start_line()]
        for name, value in self.headers:
            if name != "Content-Length":
                lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(self.body)}")
        head = CRLF.join(lines) + CRLF + CRLF
        return head.encode("utf-8", "surrogateescape") + self.body

    def __bytes__(self) -> bytes:
        return self.to_bytes()


class Request(SipMessage):
    __slots__ = ("method", "uri")

    def __init__(
        self, method: str, uri: SipUri, headers: Headers | None = None, body: bytes = b""
    ) -> None:
        super().__init__(headers, body)
        self.method = method
        self.uri = uri

    def _start_line(self) -> str:
        return f"{self.method} {self.uri} {SIP_VERSION}"

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.uri}>"


class Response(SipMessage):
    __slots__ = ("reason", "status")

    def __init__(
        self,
        status: int,
        reason: str | None = None,
        headers: Headers | None = None,
        body: bytes = b"",
    ) -> None:
        super().__init__(headers, body)
        self.status = status
        self.reason = REASON_PHRASES.get(status, "Unknown") if reason is None else reason

    def _start_line(self) -> str:
        return f"{SIP_VERSION} {self.status} {self.reason}"

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.reason}>"


# --------------------------------------------------------------------------- parsing


def parse_message(data: bytes, *, stream: bool = False) -> Request | Response:
    """Parse one message from a datagram (or one framed stream message).

    Datagram rules (RFC 3261 18.3): without Content-Length the body is the rest of the datagram;
    a Content-Length larger than what arrived is a 400 (RFC 4475 3.1.2.2); octets past it are
    ignored (RFC 4475 3.1.1.8). With `stream=True` the body must be exactly Content-Length.
    """
    head_end = data.find(b"\r\n\r\n")
    if head_end >= 0:
        head_bytes, rest = data[:head_end], data[head_end + 4 :]
    elif data.endswith(b"\r\n"):
        head_bytes, rest = data[:-2], b""  # lenient: datagram ending right after the headers
    else:
        raise SipParseError("no end of header section")
    head = head_bytes.decode("utf-8", "surrogateescape")
    lines = _unfold(head)
    if not lines or not lines[0]:
        raise SipParseError("empty start line")
    headers = _parse_header_lines(lines[1:])
    msg = _parse_start_line(lines[0], headers)
    msg.body = _frame_body(headers, rest, stream)
    if isinstance(msg, Request):
        validate_request(msg)
    else:
        validate_response(msg)
    return msg


def _unfold(head: str) -> list[str]:
    """Split into lines and join continuation lines (RFC 3261 7.3.1: LWS folding)."""
    raw = head.split("\n")
    lines: list[str] = []
    for line in raw:
        if line.endswith("\r"):
            line = line[:-1]
        if line[:1] in (" ", "\t") and lines:
            lines[-1] = lines[-1].rstrip(_WS) + " " + line.strip(_WS)
        else:
            lines.append(line)
    return lines


def _parse_header_lines(lines: list[str]) -> Headers:
    items: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        name = name.strip(_WS)
        if not colon or not is_token(name):
            raise SipParseError(f"malformed header line {line[:40]!r}")
        key = canonical_name(name)
        value = value.strip(_WS)
        if key.lower() in MULTI_VALUE:
            parts = split_quoted(value, ",")
            items.extend((key, p.strip(_WS)) for p in parts)
        else:
            items.append((key, value))
    headers = Headers()
    headers._items = items
    return headers


def _parse_start_line(line: str, headers: Headers) -> Request | Response:
    if line.startswith("SIP/"):
        return _parse_status_line(line, headers)
    # RFC 3261 7.1: exactly single SP between the elements (RFC 4475 3.1.2.7-3.1.2.10).
    parts = line.split(" ")
    if len(parts) != 3:
        raise SipParseError("malformed Request-Line")
    method, uri_text, version = parts
    if not is_token(method):
        raise SipParseError("bad method")
    _check_version(version)
    if uri_text.startswith("<"):
        raise SipParseError("Request-URI in <>")
    uri = parse_uri(uri_text)
    if uri.scheme not in SUPPORTED_SCHEMES:
        raise SipParseError(f"unsupported URI scheme {uri.scheme}", 416)
    if uri.headers:
        # RFC 3261 19.1.1 table: headers are not allowed in a Request-URI (RFC 4475 3.1.2.11).
        raise SipParseError("headers in Request-URI")
    return Request(method, uri, headers)


def _check_version(version: str) -> None:
    if version == SIP_VERSION:
        return
    proto, _, number = version.partition("/")
    major, dot, minor = number.partition(".")
    if proto.upper() == "SIP" and dot and major.isdigit() and minor.isdigit():
        raise SipParseError(f"unsupported version {version}", 505)
    raise SipParseError("bad SIP version")


def _parse_status_line(line: str, headers: Headers) -> Response:
    version, _, rest = line.partition(" ")
    code, _, reason = rest.partition(" ")
    if version != SIP_VERSION:
        raise SipParseError("bad response version", 505)
    if len(code) != 3 or not code.isdigit() or not 100 <= int(code) <= 699:
        raise SipParseError("bad status code")
    return Response(int(code), reason, headers)


def _frame_body(headers: Headers, rest: bytes, stream: bool) -> bytes:
    values = headers.get_all("Content-Length")
    if len(set(v.strip() for v in values)) > 1:
        raise SipParseError("conflicting Content-Length values")
    if not values:
        return b"" if stream else rest
    length = _parse_bounded_int(values[0], MAX_DELTA_SECONDS, "Content-Length")
    if length > len(rest):
        raise SipParseError("Content-Length larger than the message")
    return rest[:length]


def validate_request(req: Request) -> None:
    """Check the fields every UAS relies on; raise SipParseError with the response status."""
    _check_common(req)
    if req.cseq.method != req.method:
        raise SipParseError("CSeq method does not match the Request-Line")  # RFC 4475 3.1.2.17
    req.max_forwards  # noqa: B018 - parse for range (RFC 4475 3.1.2.4)
    req.expires  # noqa: B018
    for contact in req.contacts:
        expires = contact.params.get("expires")
        if expires is not None:
            _parse_bounded_int(expires, MAX_DELTA_SECONDS, "Contact expires")
    req.routes  # noqa: B018
    req.record_routes  # noqa: B018


def validate_response(resp: Response) -> None:
    _check_common(resp)
    resp.contacts  # noqa: B018
    resp.record_routes  # noqa: B018


def _check_common(msg: SipMessage) -> None:
    names = [n for n, _ in msg.headers]
    if len(set(names)) < len(names):  # some header repeats: may it? (RFC 4475 3.3.9)
        for name in SINGLE_VALUE:
            if names.count(canonical_name(name)) > 1:
                raise SipParseError(f"more than one {canonical_name(name)}")
    if not msg.vias:
        raise SipParseError("missing Via")
    msg.from_  # noqa: B018
    msg.to  # noqa: B018
    msg.call_id  # noqa: B018
    msg.cseq  # noqa: B018


# --------------------------------------------------------------------------- stream framing


class StreamParser:
    """Frames messages on a byte stream by Content-Length (RFC 3261 18.3).

    `feed` returns complete messages; a framing error (bad Content-Length) is fatal for the
    connection and raised as SipParseError, as RFC 4475 3.1.2.3 says the stream cannot recover.
    Per-message syntax errors are returned as (raw bytes, error) so the caller can answer 400.
    """

    MAX_HEAD = 64 * 1024

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Request | Response | tuple[bytes, SipParseError]]:
        self._buf += data
        out: list[Request | Response | tuple[bytes, SipParseError]] = []
        while True:
            # RFC 5626 keepalives (CRLF) between messages are skipped.
            while self._buf[:2] == b"\r\n":
                del self._buf[:2]
            head_end = self._buf.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._buf) > self.MAX_HEAD:
                    raise SipParseError("header section too large")
                return out
            length = _stream_content_length(bytes(self._buf[:head_end]))
            total = head_end + 4 + length
            if len(self._buf) < total:
                return out
            raw = bytes(self._buf[:total])
            del self._buf[:total]
            try:
                out.append(parse_message(raw, stream=True))
            except SipParseError as exc:
                out.append((raw, exc))


def _stream_content_length(head: bytes) -> int:
    lines = _unfold(head.decode("utf-8", "surrogateescape"))
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if canonical_name(name.strip(_WS)) == "Content-Length":
            return _parse_bounded_int(value, 16 * 1024 * 1024, "Content-Length")
    return 0


# --------------------------------------------------------------------------- building


def make_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> Response:
    """Build a response per RFC 3261 8.2.6.2: copy Via, From, To, Call-ID, CSeq; add To tag."""
    headers = Headers()
    for value in request.headers.get_all("Via"):
        headers.add("Via", value)
    headers.add("From", request.headers.get("From") or "")
    to_value = request.headers.get("To") or ""
    if to_tag and status > 100 and request.to.tag is None:
        to_value = f"{to_value};tag={to_tag}"
    headers.add("To", to_value)
    headers.add("Call-ID", request.headers.get("Call-ID") or "")
    headers.add("CSeq", request.headers.get("CSeq") or "")
    if 100 < status < 300:
        # RFC 3261 12.1.1: dialog-creating responses copy Record-Route.
        for value in request.headers.get_all("Record-Route"):
            headers.add("Record-Route", value)
    for name, value in extra:
        headers.add(name, value)
    if content_type and body:
        headers.add("Content-Type", content_type)
    return Response(status, reason, headers, body)


def response_for_bad_request(
    raw: bytes, error: SipParseError | None = None, *, to_tag: str | None = None
) -> bytes | None:
    """Build the error response for a request that failed to parse, or None.

    None when the message parses fine, is a response (never answered, RFC 4475 3.1.2.5), is an
    ACK (never answered, RFC 3261 17.2.1), or lacks a Via or CSeq: those two are what the sender's
    client transaction matches on (RFC 3261 17.1.3). From, To and Call-ID are copied when present
    so that RFC 4475 3.3.2 (missing From/To/Call-ID) still gets its 400.
    """
    if error is None:
        try:
            parse_message(raw)
        except SipParseError as exc:
            error = exc
        else:
            return None
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "surrogateescape")
    lines = _unfold(head)
    if not lines or lines[0].startswith("SIP/") or lines[0].split(" ")[0] == "ACK":
        return None
    fields: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon and is_token(name.strip(_WS)):
            fields.setdefault(canonical_name(name.strip(_WS)), []).append(value.strip(_WS))
    if not fields.get("Via") or not fields.get("CSeq"):
        return None
    reason = REASON_PHRASES.get(error.status, "Bad Request")
    detail = "".join(c for c in error.reason if c.isprintable())[:100]
    out = [f"{SIP_VERSION} {error.status} {reason} ({detail})"]
    out += [f"Via: {v}" for v in fields["Via"]]
    if fields.get("From"):
        out.append(f"From: {fields['From'][0]}")
    if fields.get("To"):
        to_value = fields["To"][0]
        if ";tag=" not in to_value.replace(" ", "").lower():
            to_value += f";tag={to_tag or new_tag()}"  # RFC 3261 8.2.6.2
        out.append(f"To: {to_value}")
    if fields.get("Call-ID"):
        out.append(f"Call-ID: {fields['Call-ID'][0]}")
    out += [f"CSeq: {fields['CSeq'][0]}", "Content-Length: 0"]
    return (CRLF.join(out) + CRLF + CRLF).encode("utf-8", "surrogateescape")
