"""Object storage (REC-1): the same contract from a local folder and from S3 (a real S3 protocol
server, moto, reached through boto3 over HTTP); S3 objects encrypted at rest; the app writes
to S3 when FASTLINE_STORAGE_URL says so, and programs that need a file get a local copy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from app.ivr_builder.prompts import prompt_path
from app.lib.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    get_storage,
    local_copy,
    local_file,
)
from app.settings import get_settings
from tests.integration.ivr_builder.test_voice_prompts import sine_wav, upload, wav_format

pytestmark = pytest.mark.feature("REC-1")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path)
    s3: S3Storage = request.getfixturevalue("s3_storage")
    return s3


def key() -> str:
    return f"tenant/{uuid.uuid4()}/recordings/{uuid.uuid4().hex}.wav"


def test_put_get_size_exists_delete(store: Storage) -> None:
    k = key()
    assert not store.exists(k)
    with pytest.raises(FileNotFoundError):
        store.get(k)
    with pytest.raises(FileNotFoundError):
        store.size(k)
    data = bytes(range(256)) * 1000
    store.put(k, data, "audio/wav")
    assert store.exists(k) and store.size(k) == len(data) and store.get(k) == data
    store.put(k, b"replaced")  # a second write replaces the object whole
    assert store.get(k) == b"replaced"
    store.delete(k)
    store.delete(k)  # already gone: not an error
    assert not store.exists(k)


def test_byte_ranges_for_seeking(store: Storage) -> None:
    k = key()
    data = bytes(i % 251 for i in range(300_000))
    store.put(k, data)
    assert b"".join(store.iter_range(k, 0, 99)) == data[:100]
    assert b"".join(store.iter_range(k, 123_456, 299_999, chunk=4096)) == data[123_456:]
    assert b"".join(store.iter_range(k, 299_999, 299_999)) == data[-1:]


async def test_a_prompt_file_to_play_is_there_or_none(
    store: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTLINE_STORAGE_DIR", str(tmp_path / "cache-root"))
    get_settings.cache_clear()
    try:
        k = key()
        assert await local_file(store, k) is None, "a missing object is no file to play"
        store.put(k, b"RIFF prompt")
        path = await local_file(store, k)
        assert path is not None and path.read_bytes() == b"RIFF prompt"
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("bad", ["../escape.wav", "tenant/x/../../../etc/passwd", "/etc/passwd"])
def test_keys_cannot_leave_the_store(store: Storage, bad: str) -> None:
    with pytest.raises(ValueError, match="escapes"):
        store.put(bad, b"x")


def test_s3_objects_are_encrypted_at_rest_under_the_prefix(
    s3_storage: S3Storage, s3_url: str
) -> None:
    k = key()
    s3_storage.put(k, b"RIFF....WAVE", "audio/wav")
    client = boto3.client("s3", endpoint_url=s3_url)
    head = client.head_object(Bucket=s3_storage.bucket, Key=f"rec/{k}")
    assert head["ServerSideEncryption"] == "AES256"
    assert head["ContentType"] == "audio/wav"
    listed = client.list_objects_v2(Bucket=s3_storage.bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"rec/{k}"]


def test_local_copy_of_an_s3_object_follows_a_replaced_object(
    s3_storage: S3Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTLINE_STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        k = key()
        s3_storage.put(k, b"first version")
        path = local_copy(s3_storage, k)
        assert path.read_bytes() == b"first version" and tmp_path in path.parents
        s3_storage.put(k, b"second, longer version")
        assert local_copy(s3_storage, k).read_bytes() == b"second, longer version"
    finally:
        get_settings.cache_clear()


@pytest.fixture
def app_on_s3(
    s3_storage: S3Storage, s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[S3Storage]:
    """The app (and everything calling get_storage) configured for S3 for this test."""
    monkeypatch.setenv("FASTLINE_STORAGE_URL", f"s3://{s3_storage.bucket}/rec")
    monkeypatch.setenv("FASTLINE_S3_ENDPOINT_URL", s3_url)
    monkeypatch.setenv("FASTLINE_STORAGE_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield s3_storage
    get_settings.cache_clear()


async def test_an_uploaded_prompt_lands_in_s3_and_plays_from_a_local_copy(
    client, tenant, app_on_s3: S3Storage, tmp_path: Path
) -> None:
    assert isinstance(get_storage(), S3Storage)
    r = await upload(client, tenant, "welcome", sine_wav(1.0))
    assert r.status_code == 201, r.text
    object_key = r.json()["objectKey"] if "objectKey" in r.json() else None
    stored = [k for k in _keys(app_on_s3) if "/prompts/" in k or k.endswith(".wav")]
    assert len(stored) == 1, stored
    assert object_key is None or stored[0].endswith(object_key)
    assert not _local_objects(tmp_path), "nothing written to the local folder"
    path = await prompt_path(tenant.tenant_id, "welcome")
    assert path is not None and tmp_path in path.parents
    assert wav_format(path.read_bytes())[:3] == (8000, 1, 2)


def _keys(store: S3Storage) -> list[str]:
    reply = store.client.list_objects_v2(Bucket=store.bucket)
    return [o["Key"] for o in reply.get("Contents", [])]


def _local_objects(root: Path) -> list[Path]:
    return list(root.glob("tenant/**/*.wav"))
