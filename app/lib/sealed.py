"""Secrets the platform must use again in clear are kept sealed at rest.

A carrier trunk's digest password (callcontrol answers the carrier's challenge with it) and a
webhook's signing secret (each delivery is signed with it) cannot be stored as hashes. They are
sealed with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`) under a key derived with
HKDF-SHA256 from `FASTLINE_SECRET_KEY`, so a database dump or backup alone reveals none of them;
RLS still keeps each row in its tenant.

`Sealed()` is the column type: values are sealed on the way in and opened on the way out, so
the code using `trunk.password` or `endpoint.secret` is unchanged. A stored value is
`sealed:v1:<token>`; a value without the prefix (written before migration 0018 sealed them) is
read as it is. Changing `FASTLINE_SECRET_KEY` makes the stored secrets unreadable: opening one
then raises `SealError` saying so (re-enter the passwords and secrets, or keep the old key).
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from app.settings import get_settings

PREFIX = "sealed:v1:"
_INFO = b"fastline sealed secrets v1"


class SealError(ValueError):
    pass


@functools.lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, *, secret_key: str | None = None) -> str:
    """`value` sealed; an empty value stays empty (no secret set) and a sealed one as it is."""
    if not value or value.startswith(PREFIX):
        return value
    token = _fernet(secret_key or get_settings().secret_key).encrypt(value.encode())
    return PREFIX + token.decode()


def unseal(stored: str, *, secret_key: str | None = None) -> str:
    if not stored.startswith(PREFIX):
        return stored  # empty, or written before secrets were sealed
    try:
        plain = _fernet(secret_key or get_settings().secret_key).decrypt(stored[len(PREFIX) :])
    except InvalidToken:
        raise SealError(
            "A stored secret cannot be opened: FASTLINE_SECRET_KEY is not the key it was "
            "sealed with."
        ) from None
    return plain.decode()


class Sealed(TypeDecorator[str]):
    """A text column whose values are sealed at rest (see the module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else unseal(str(value))
