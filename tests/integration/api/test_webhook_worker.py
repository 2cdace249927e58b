"""API-2 end to end through the real processes: `fastline worker` (Dramatiq workers plus the
webhook dispatcher fork) takes an event off the tenant stream, POSTs it signed to a loopback
receiver, gets a 500, and its own delayed retry delivers it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.api.signing import SIGNATURE_HEADER, verify
from app.lib.events import add_event
from app.lib.redis import get_redis
from tests.integration.api.helpers import Receiver

pytestmark = pytest.mark.feature("API-2")
ROOT = Path(__file__).resolve().parents[3]


async def test_worker_and_dispatcher_deliver_and_retry(client, tenant, tmp_path):
    async with Receiver(statuses=[500]) as receiver:
        r = await client.post(
            "/api/v1/webhooks/",
            headers=tenant.headers,
            json={"url": receiver.url, "eventTypes": ["call.state"]},
        )
        hook = r.json()
        env = os.environ | {
            "FASTLINE_WEBHOOK_ALLOW_PRIVATE": "1",
            "FASTLINE_WEBHOOK_BACKOFF_MS": "200",
            "FASTLINE_SCHEDULER": "0",
        }
        log = (tmp_path / "worker.log").open("wb")
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "worker", "--processes", "1", "--threads", "1",
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            # Published before or after the dispatcher is up: the group was made with the hook.
            await add_event(get_redis(), tenant.tenant_id, "call.state", callKey="k9", state="up")
            started = time.monotonic()
            await receiver.wait_for(2, within=60)
            elapsed = time.monotonic() - started
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(worker.wait(), 20)
            except TimeoutError:
                os.killpg(worker.pid, signal.SIGKILL)
                await worker.wait()
            log.close()
        output = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
        assert len(receiver.received) == 2, output
    print(f"event to delivered (worker start included): {elapsed:.1f} s")
    for got in receiver.received:
        assert verify(hook["secret"], got.body, got.headers[SIGNATURE_HEADER.lower()])
        assert json.loads(got.body)["data"] == {"callKey": "k9", "state": "up"}
    r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=tenant.headers)
    [delivery] = r.json()
    assert delivery["status"] == "delivered"
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [500, 200]
