"""TEN-3: argon2 hashing, weak-password rejection, TOTP second factor."""

from __future__ import annotations

import string

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
# The most common leaked passwords that still pass the length and class rules.
_COMMON = {
    "password123!",
    "password1234",
    "qwerty123456",
    "p@ssw0rd1234",
    "1qaz2wsx3edc",
    "iloveyou1234",
    "welcome12345",
    "admin1234567",
    "abc123456789",
    "changeme1234",
}


class WeakPasswordError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A constant hash to verify against when the user does not exist, so timing reveals nothing.
_DUMMY_HASH = hash_password("not-a-real-password-Zx9!")


def verify_dummy(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


def check_strength(password: str, *, email: str = "") -> None:
    """Raise WeakPasswordError with a message a user can act on."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(f"Use at least {MIN_LENGTH} characters.")
    classes = sum(
        any(c in group for c in password)
        for group in (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    ) + any(not c.isalnum() for c in password)
    if classes < 3:
        raise WeakPasswordError("Mix at least three of: lower-case, upper-case, digits, symbols.")
    lowered = password.lower()
    if lowered in _COMMON:
        raise WeakPasswordError("This password is too common.")
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in lowered:
        raise WeakPasswordError("The password must not contain your e-mail name.")
    if len(set(password)) < 5:
        raise WeakPasswordError("Use more different characters.")


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str, issuer: str = "Fastline") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def verify_totp(secret: str, code: str) -> bool:
    # One step either side tolerates a phone clock 30 s off.
    return pyotp.TOTP(secret).verify(code.strip(), valid_window=1)
