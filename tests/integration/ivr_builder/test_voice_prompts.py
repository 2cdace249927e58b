"""IVR-4: recorded prompts through the API against real Postgres, storage and sox: uploads
become 8 kHz mono WAV, bad files are refused with nothing stored, tenants stay apart."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from app.ivr_builder.prompts import MAX_UPLOAD_BYTES, prompt_path
from app.ivr_builder.voice_controllers import UPLOAD_BODY_LIMIT
from app.lib.storage import get_storage

pytestmark = pytest.mark.feature("IVR-4")
API = "/api/v1/ivr/prompts"


def sine_wav(seconds: float, rate: int = 44100, channels: int = 2) -> bytes:
    frames = int(seconds * rate)
    one = [int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            struct.pack(f"<{frames * channels}h", *[s for s in one for _ in range(channels)])
        )
    return out.getvalue()


def silent_wav(seconds: float, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


def wav_format(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return (
            w.getframerate(),
            w.getnchannels(),
            w.getsampwidth(),
            w.getnframes() / w.getframerate(),
        )


def make_mp3(path: Path) -> None:
    args = ["-r", "44100", "-c", "2", str(path), "synth", "1.5", "sine", "440"]
    subprocess.run(["sox", "-n", *args], check=True)


async def upload(client, tenant, name, data, filename="welcome.wav", language="zh"):
    return await client.post(
        f"{API}/",
        headers=tenant.headers,
        files={"file": (filename, data, "application/octet-stream")},
        data={"name": name, "language": language},
    )


def stored_prompts(tenant) -> list[Path]:
    folder = get_storage().root / "tenant" / str(tenant.tenant_id) / "prompts"
    return sorted(folder.glob("*")) if folder.exists() else []


async def test_a_wav_upload_is_stored_as_telephone_audio_and_listed(client, tenant):
    r = await upload(client, tenant, "欢迎-zh", sine_wav(2.0))
    assert r.status_code == 201, r.text
    prompt = r.json()
    assert prompt["name"] == "欢迎-zh" and prompt["language"] == "zh"
    assert prompt["durationSeconds"] == pytest.approx(2.0, abs=0.01)
    assert prompt["originalFormat"] == "wav" and prompt["originalFilename"] == "welcome.wav"

    listed = (await client.get(f"{API}/", headers=tenant.headers)).json()
    assert [p["name"] for p in listed["items"]] == ["欢迎-zh"]
    audio = await client.get(f"{API}/{prompt['id']}/audio", headers=tenant.headers)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert wav_format(audio.content)[:3] == (8000, 1, 2)
    assert "filename*=UTF-8''%E6%AC%A2" in audio.headers["content-disposition"]

    # callcontrol's view: the file rtpengine plays, under the tenant's prompts folder.
    path = await prompt_path(tenant.tenant_id, "欢迎-zh")
    assert path is not None and path.read_bytes() == audio.content
    assert f"tenant/{tenant.tenant_id}/prompts/" in str(path)
    assert await prompt_path(tenant.tenant_id, "nothing-by-that-name") is None


async def test_an_mp3_upload_is_converted(client, tenant, tmp_path):
    mp3 = tmp_path / "menu.mp3"
    make_mp3(mp3)
    r = await upload(client, tenant, "menu-en", mp3.read_bytes(), "menu.mp3", "en")
    assert r.status_code == 201, r.text
    assert r.json()["originalFormat"] == "mp3"
    audio = await client.get(f"{API}/{r.json()['id']}/audio", headers=tenant.headers)
    rate, channels, width, seconds = wav_format(audio.content)
    assert (rate, channels, width) == (8000, 1, 2) and seconds == pytest.approx(1.5, abs=0.1)
    english = (await client.get(f"{API}/?language=en", headers=tenant.headers)).json()
    assert [p["name"] for p in english["items"]] == ["menu-en"]


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (lambda: b"this is a text file, not a recording", "not_audio", "not a WAV or MP3"),
        (lambda: b"RIFF\x24\0\0\0WAVEfmt garbage garbage", "not_audio", "could not be decoded"),
        (lambda: silent_wav(601, rate=8000), "too_long", "longer than 10 minutes"),
        (lambda: b"RIFF" + b"\0" * MAX_UPLOAD_BYTES, "too_big", "larger than 20 MB"),
    ],
    ids=["text", "broken-wav", "over-10-minutes", "over-20-MB"],
)
async def test_bad_files_get_a_clear_400_and_nothing_is_stored(client, tenant, make, code, words):
    r = await upload(client, tenant, "bad", make())
    assert r.status_code == 400, r.text
    assert r.json()["code"] == code and words in r.json()["detail"]
    assert (await client.get(f"{API}/", headers=tenant.headers)).json()["total"] == 0
    assert stored_prompts(tenant) == []


async def test_a_body_past_the_server_limit_is_refused_before_it_is_read(client, tenant):
    r = await upload(client, tenant, "huge", b"RIFF" + b"\0" * UPLOAD_BODY_LIMIT)
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert stored_prompts(tenant) == []


async def test_names_are_unique_and_checked(client, tenant):
    assert (await upload(client, tenant, "hold", sine_wav(0.5))).status_code == 201
    again = await upload(client, tenant, "hold", sine_wav(0.5))
    assert again.status_code == 409 and "delete it first" in again.json()["detail"]
    bad = await upload(client, tenant, "../etc/passwd", sine_wav(0.5))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_name"
    assert len(stored_prompts(tenant)) == 1


async def test_delete_removes_the_row_and_the_file(client, tenant):
    prompt = (await upload(client, tenant, "old", sine_wav(0.5))).json()
    [file] = stored_prompts(tenant)
    r = await client.delete(f"{API}/{prompt['id']}", headers=tenant.headers)
    assert r.status_code == 204
    assert not file.exists()
    assert (await client.get(f"{API}/{prompt['id']}", headers=tenant.headers)).status_code == 404


async def test_another_tenant_cannot_see_play_or_delete_a_prompt(client, tenant, other_tenant):
    prompt = (await upload(client, tenant, "private", sine_wav(0.5))).json()
    for method, path in [
        ("GET", prompt["id"]),
        ("GET", f"{prompt['id']}/audio"),
        ("DELETE", prompt["id"]),
    ]:
        r = await client.request(method, f"{API}/{path}", headers=other_tenant.headers)
        assert r.status_code == 404, (method, path)
    assert (await client.get(f"{API}/", headers=other_tenant.headers)).json()["total"] == 0
    assert await prompt_path(other_tenant.tenant_id, "private") is None
    assert len(stored_prompts(tenant)) == 1
