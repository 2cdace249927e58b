"""Billing fixtures: a real localstripe (protocol-level fake Stripe, an aiohttp server) on a free
loopback port, started as a subprocess and stopped by its PID; seeded campaigns."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from app.db.session import tenant_session
from tests.fixtures.server import free_port

STRIPE_KEY = "sk_test_fastline"
WEBHOOK_SECRET = "whsec_fastline_test"


def localstripe_command(port: int) -> list[str]:
    exe = shutil.which("localstripe", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("localstripe is not installed: pip install -e '.[dev]'")
    return [exe, "--port", str(port), "--from-scratch"]


@pytest.fixture
def localstripe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A fresh localstripe per test; FASTLINE_STRIPE_* point the app at it."""
    port = free_port()
    log = (tmp_path / "localstripe.log").open("wb")
    # localstripe keeps its store in /tmp/localstripe.pickle: run it in its own cwd anyway,
    # and --from-scratch so that it never loads another run's objects.
    proc = subprocess.Popen(
        localstripe_command(port), stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                req = urllib.request.Request(
                    f"{url}/v1/balance", headers={"Authorization": f"Bearer {STRIPE_KEY}"}
                )
                with urllib.request.urlopen(req, timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("localstripe did not start") from None
                time.sleep(0.1)
        monkeypatch.setenv("FASTLINE_STRIPE_API_KEY", STRIPE_KEY)
        monkeypatch.setenv("FASTLINE_STRIPE_API_BASE", url)
        monkeypatch.setenv("FASTLINE_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def seed_campaign_attempt(tenant_id: UUID, name: str, call_key: str) -> UUID:
    """A campaign with one lead whose attempt placed the call `call_key`."""
    from app.dialer.models import Campaign, Lead, LeadAttempt, LeadList

    async with tenant_session(tenant_id) as session:
        campaign = Campaign(tenant_id=tenant_id, name=name)
        session.add(campaign)
        await session.flush()
        lead_list = LeadList(tenant_id=tenant_id, campaign_id=campaign.id, name="list")
        session.add(lead_list)
        await session.flush()
        lead = Lead(
            tenant_id=tenant_id,
            campaign_id=campaign.id,
            list_id=lead_list.id,
            phone=f"+86138{uuid4().int % 10**8:08d}",
        )
        session.add(lead)
        await session.flush()
        session.add(
            LeadAttempt(
                tenant_id=tenant_id,
                lead_id=lead.id,
                campaign_id=campaign.id,
                list_id=lead_list.id,
                call_key=call_key,
                started_at=datetime.now(UTC),
            )
        )
        return campaign.id
