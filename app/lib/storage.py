"""Object storage: S3 in production (REC-1: recordings, exports, prompts), a local folder for
one dev machine (`make run`'s embedded default).

Which one is `FASTLINE_STORAGE_URL`:
- empty (default): a folder, `FASTLINE_STORAGE_DIR` (var/storage);
- `s3://<bucket>[/<prefix>]`: S3 through boto3; `FASTLINE_S3_ENDPOINT_URL` points it at
  another S3-compatible server (the tests use a moto server on 127.0.0.1), credentials and
  region come from boto3's usual places (AWS_* variables, instance profile). Every object is
  written encrypted at rest (`ServerSideEncryption`, AES256 or `aws:kms` with
  `FASTLINE_S3_KMS_KEY_ID`).

Every key is tenant-prefixed (`tenant/<id>/...`, see app.lib.keys.tenant_object_key). Both
back ends refuse keys that try to leave their root (`..`, absolute paths).

The calls are blocking (boto3 is): call them from workers, or from async code through
`asyncio.to_thread` when the object is large.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from app.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client  # pragma: no cover - types only, not installed
else:
    S3Client = Any

CHUNK = 64 * 1024


class StorageError(Exception):
    """The store refused or failed an operation (other than "no such object")."""


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Its length in bytes; FileNotFoundError when there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove it; no error when it is already gone."""
        ...

    def iter_range(self, key: str, start: int, end: int, chunk: int = CHUNK) -> Iterator[bytes]:
        """Bytes `start..end` (inclusive) in chunks: audio seeking without loading the file."""
        ...


def _check_key(key: str) -> str:
    parts = PurePosixPath(key).parts
    if not key or key.startswith("/") or ".." in parts or "\\" in key:
        raise ValueError(f"key escapes the storage root: {key!r}")
    return key


class LocalStorage:
    """A folder; writes go to a temporary name first, so a reader never sees half a file."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or get_settings().storage_dir).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key escapes the storage root: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def iter_range(self, key: str, start: int, end: int, chunk: int = CHUNK) -> Iterator[bytes]:
        with self._path(key).open("rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(chunk, left))
                if not data:
                    return
                left -= len(data)
                yield data


class S3Storage:
    """One bucket (and optional key prefix) of S3 or an S3-compatible server."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        kms_key_id: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.kms_key_id = kms_key_id
        self.client: S3Client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _encryption(self) -> dict[str, str]:
        if self.kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return {"ServerSideEncryption": "AES256"}

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
            **self._encryption(),
        )

    def get(self, key: str) -> bytes:
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        body: bytes = reply["Body"].read()
        return body

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            head: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError(f"S3 refused HEAD {key!r}: {exc}") from exc
        return head

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def iter_range(self, key: str, start: int, end: int, chunk: int = CHUNK) -> Iterator[bytes]:
        try:
            reply = self.client.get_object(
                Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{end}"
            )
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        body = reply["Body"]
        try:
            yield from body.iter_chunks(chunk)
        finally:
            body.close()

    def ensure_bucket(self) -> None:
        """Create the bucket when it is missing (dev and test servers; production buckets are
        made by terraform, with encryption and versioning)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)


def _cache_path(key: str) -> Path:
    root = (get_settings().storage_dir / ".cache").resolve()
    path = (root / _check_key(key)).resolve()
    if root not in path.parents:
        raise ValueError(f"key escapes the storage root: {key!r}")
    return path


def local_copy(storage: Storage, key: str) -> Path:
    """A file on this host with the object's bytes, for programs that read files (rtpengine
    plays prompts from a path). A local store's own file; otherwise a cached copy, fetched
    again when the object's size changed (a re-uploaded prompt)."""
    if isinstance(storage, LocalStorage):
        path = storage._path(key)
        if not path.exists():
            raise FileNotFoundError(key)
        return path
    path = _cache_path(key)
    size = storage.size(key)
    if not path.exists() or path.stat().st_size != size:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(storage.get(key))
        tmp.replace(path)
    return path


async def local_file(storage: Storage, key: str) -> Path | None:
    """`local_copy` off the event loop (for S3 it is network I/O), None when the object is
    gone: what callcontrol asks for before playing a prompt, with one look at the store."""
    try:
        return await asyncio.to_thread(local_copy, storage, key)
    except FileNotFoundError:
        return None


def evict_local_copy(storage: Storage, key: str) -> None:
    if not isinstance(storage, LocalStorage):
        _cache_path(key).unlink(missing_ok=True)


def storage_from_url(url: str) -> Storage:
    if not url:
        return LocalStorage()
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"FASTLINE_STORAGE_URL must be empty or s3://bucket[/prefix], not {url!r}")
    settings = get_settings()
    return S3Storage(
        parts.netloc,
        parts.path,
        endpoint_url=settings.s3_endpoint_url or None,
        region=settings.s3_region or None,
        kms_key_id=settings.s3_kms_key_id or None,
    )


@lru_cache(maxsize=4)
def _storage_for(url: str, storage_dir: Path) -> Storage:
    return storage_from_url(url)


def get_storage() -> Storage:
    """The configured store (one client per process and configuration)."""
    settings = get_settings()
    return _storage_for(settings.storage_url, settings.storage_dir)
