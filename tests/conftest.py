"""Shared fixtures. Tests use real Postgres and Redis (`make test` starts them where missing).

The test database `fastline_test_<pid>` is created and migrated once per run, through Alembic,
exactly as production is. Each run gets its own Redis database, away from a dev instance's db 0.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

# One database and one set of job queues per test run, so that runs side by side (several
# engineers, or CI and a developer) never drop each other's data.
RUN_ID = os.environ.setdefault("FASTLINE_TEST_RUN", str(os.getpid()))
TEST_DB = f"fastline_test_{RUN_ID}"
os.environ.setdefault(
    "FASTLINE_DATABASE_URL",
    f"postgresql+asyncpg://fastline_app:fastline_app@127.0.0.1:5432/{TEST_DB}",
)
os.environ.setdefault(
    "FASTLINE_DATABASE_OWNER_URL",
    f"postgresql+asyncpg://fastline_owner:fastline_owner@127.0.0.1:5432/{TEST_DB}",
)
os.environ.setdefault("FASTLINE_QUEUE_NAMESPACE", f"fastline-test-{RUN_ID}")
# A Redis database per run too (1-15; db 0 is `make run`'s): a callcontrol started by another
# run must not take this run's commands off its lists. Pub/sub is server-wide, but wake-ups
# only say "look at your list", and each run's lists live in its own database.
os.environ.setdefault("FASTLINE_REDIS_URL", f"redis://127.0.0.1:6379/{1 + int(RUN_ID) % 15}")
os.environ.setdefault("FASTLINE_LOG_JSON", "1")
os.environ.setdefault("FASTLINE_LOCKOUT_THRESHOLD", "3")

pytest_plugins = ["tests.fixtures.app", "tests.fixtures.s3"]


@pytest.fixture(autouse=True)
def _sockets_closed_by_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A telephony test must close every socket it (or the code under test) opened. Collect
    garbage as it ends, so an unclosed transport's ResourceWarning fails *that* test instead
    of surfacing at the end of the run with no name attached."""
    yield
    if request.node.get_closest_marker("telephony") is not None:
        gc.collect()
