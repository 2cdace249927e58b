"""IVR-4: TTS through the API and a real Dramatiq worker (real espeak-ng and sox): rendered
once per tenant and text, fetched as 8 kHz WAV; the function callcontrol calls renders in
process when the text is not cached yet."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import wave
from collections.abc import Iterator

import pytest

from app.ivr_builder import tts
from app.worker.idempotency import job_status

pytestmark = pytest.mark.feature("IVR-4")
API = "/api/v1/ivr/tts"


@pytest.fixture(scope="module")
def worker() -> Iterator[subprocess.Popen[bytes]]:
    """`fastline worker` as a real subprocess on the test Redis; stopped by its PID."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--processes", "1", "--threads", "1"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rate_and_channels(data: bytes) -> tuple[int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnchannels()


async def fetch_when_ready(client, tenant, digest: str):
    for _ in range(200):
        r = await client.get(f"{API}/{digest}", headers=tenant.headers)
        if r.status_code != 202:
            return r
        await asyncio.sleep(0.1)
    raise AssertionError(f"rendering {digest} still queued")


async def test_a_rendering_is_queued_rendered_by_the_worker_and_then_cached(
    client, tenant, other_tenant, worker
):
    body = {"text": "您好，您的订单已发货。", "voice": "zh"}  # noqa: RUF001
    r = await client.post(API, headers=tenant.headers, json=body)
    assert r.status_code == 202 and r.json()["state"] == "queued"
    digest = r.json()["digest"]
    audio = await fetch_when_ready(client, tenant, digest)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert rate_and_channels(audio.content) == (8000, 1)

    again = await client.post(API, headers=tenant.headers, json=body)
    assert again.status_code == 200 and again.json() == {"digest": digest, "state": "ready"}
    job = await job_status(tenant.tenant_id, tts.job_key(digest))
    assert job is not None and job.status == "done"
    assert job.result["objectKey"] == f"tenant/{tenant.tenant_id}/tts/{digest}.wav"
    # Cached per tenant: another tenant neither sees this rendering nor shares its file.
    r = await client.get(f"{API}/{digest}", headers=other_tenant.headers)
    assert r.status_code == 404


async def test_a_duplicate_job_does_not_render_again(client, tenant, worker):
    from app.ivr_builder.actors import render_tts

    body = {"text": "Your call is important to us.", "voice": "en"}
    digest = (await client.post(API, headers=tenant.headers, json=body)).json()["digest"]
    assert (await fetch_when_ready(client, tenant, digest)).status_code == 200
    path = await tts.tts_path(tenant.tenant_id, body["text"], "en")
    first = path.stat().st_mtime_ns
    render_tts.send(str(tenant.tenant_id), body["text"], "en")
    # A fresh job behind the duplicate on the queue: once it is done, the duplicate ran.
    fresh = await client.post(API, headers=tenant.headers, json={"text": "Bye.", "voice": "en"})
    assert (await fetch_when_ready(client, tenant, fresh.json()["digest"])).status_code == 200
    assert path.stat().st_mtime_ns == first


async def test_callcontrol_gets_a_file_rendered_in_process_once(tenant, other_tenant):
    text = "Press 1 for sales."
    path = await tts.tts_path(tenant.tenant_id, text, "en", max_seconds=10)
    assert path.exists() and rate_and_channels(path.read_bytes()) == (8000, 1)
    assert str(path).endswith(f"tenant/{tenant.tenant_id}/tts/{tts.digest_of('en', text)}.wav")
    mtime = path.stat().st_mtime_ns
    assert await tts.tts_path(tenant.tenant_id, text, "en") == path
    assert path.stat().st_mtime_ns == mtime  # cached, not rendered again
    other = await tts.tts_path(other_tenant.tenant_id, text, "en")
    assert other != path and str(other_tenant.tenant_id) in str(other)
    # Purged from storage behind the job's back: rendered again rather than lost.
    path.unlink()
    assert (await tts.tts_path(tenant.tenant_id, text, "en")).exists()


async def test_rendering_that_overruns_its_budget_raises_timeout(tenant):
    with pytest.raises(TimeoutError):
        await tts.tts_path(tenant.tenant_id, "A long sentence. " * 50, "en", max_seconds=0.01)


async def test_bad_requests_are_refused(client, tenant):
    r = await client.post(API, headers=tenant.headers, json={"text": "Bonjour", "voice": "fr"})
    assert r.status_code == 400
    r = await client.post(API, headers=tenant.headers, json={"text": "   ", "voice": "en"})
    assert r.status_code == 400
    r = await client.get(f"{API}/not-a-digest", headers=tenant.headers)
    assert r.status_code in (400, 404)
