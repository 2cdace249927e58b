"""The B2BUA in the test's event loop with a real rtpengine (the calls tests' fixtures), and
the dialer runtimes a test starts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.dialer.runtime import DialerRuntime
from tests.integration.calls.conftest import (  # noqa: F401  (fixtures used by the tests)
    b2bua,
    cc_config,
    dtmf_port,
    rtpengine,
    seat_port,
)


@pytest.fixture
async def runtime() -> AsyncIterator[list[DialerRuntime]]:
    """Runtimes started by the test (one tenant each), closed after it."""
    started: list[DialerRuntime] = []
    yield started
    for r in started:
        await r.close()
