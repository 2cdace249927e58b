"""Sealed secrets (app/lib/sealed.py): a trunk password or webhook secret stored sealed opens
to the same value with the right key only; older plain values still read; empty stays empty."""

from __future__ import annotations

import pytest

from app.lib.sealed import PREFIX, SealError, seal, unseal

pytestmark = [pytest.mark.feature("EDGE-3"), pytest.mark.feature("API-2")]


def test_a_sealed_secret_opens_only_with_its_key() -> None:
    stored = seal("carrier-pass-九", secret_key="key one")
    assert stored.startswith(PREFIX) and "carrier-pass" not in stored
    assert unseal(stored, secret_key="key one") == "carrier-pass-九"
    assert seal("carrier-pass-九", secret_key="key one") != stored  # a fresh IV every time
    with pytest.raises(SealError, match="FASTLINE_SECRET_KEY"):
        unseal(stored, secret_key="key two")


def test_plain_values_from_before_and_empty_values_pass_through() -> None:
    assert unseal("written-before-0018") == "written-before-0018"
    assert seal("") == "" and unseal("") == ""
    once = seal("s3cret")
    assert seal(once) == once, "sealing twice would lose the secret"
