"""Object storage. A local folder by default; S3 arrives with the recordings issue.

Every key is tenant-prefixed (`tenant/<id>/...`, see app.lib.keys.tenant_object_key).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from app.settings import get_settings


class LocalStorage:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or get_settings().storage_dir).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key escapes the storage root: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
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

    def iter_range(
        self, key: str, start: int, end: int, chunk: int = 64 * 1024
    ) -> Iterator[bytes]:
        """Bytes `start..end` (inclusive) in chunks: audio seeking without loading the file."""
        with self._path(key).open("rb") as f:
            f.seek(start)
            left = end - start + 1
            while left > 0:
                data = f.read(min(chunk, left))
                if not data:
                    return
                left -= len(data)
                yield data


def get_storage() -> LocalStorage:
    return LocalStorage()
