"""IVR-4: recorded prompts. An upload (WAV or MP3) is converted to 8 kHz mono 16-bit WAV and
stored at `tenant/<id>/prompts/<prompt id>.wav`; flows play a prompt by its name.

callcontrol asks for the file rtpengine should play with `await prompt_path(tenant_id, name)`.
"""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

from advanced_alchemy.filters import OrderBy
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repository import TenantRepository
from app.db.session import tenant_session
from app.ivr_builder.audio import AudioError, sniff_format, to_telephone_wav
from app.ivr_builder.models import IvrPrompt
from app.lib.keys import tenant_object_key
from app.lib.problems import Problem
from app.lib.storage import Storage, evict_local_copy, get_storage, local_copy, local_file

MAX_PROMPT_SECONDS = 600.0  # 10 minutes
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# Letters (Chinese too), digits, '_', '-', '.': the name a flow's play_prompt node refers to.
PROMPT_NAME = re.compile(r"^[\w.-]{1,100}$")
LANGUAGES = frozenset({"", "zh", "en"})


class PromptRepository(TenantRepository[IvrPrompt]):
    model_type = IvrPrompt


def prompt_object_key(tenant_id: UUID, prompt_id: UUID) -> str:
    return tenant_object_key(tenant_id, "prompts", f"{prompt_id}.wav")


def local_path(storage: Storage, key: str) -> Path:
    """The file rtpengine reads: the object itself in a local store, else a local copy."""
    return local_copy(storage, key)


def remove_object(storage: Storage, key: str) -> None:
    storage.delete(key)
    evict_local_copy(storage, key)


def check_upload(name: str, language: str, data: bytes) -> None:
    """The cheap checks, before any audio tool runs."""
    if not PROMPT_NAME.match(name):
        raise Problem(400, "A prompt name is 1-100 letters, digits, '_', '-' or '.'.",
                      code="invalid_name")  # fmt: skip
    if language not in LANGUAGES:
        raise Problem(400, "The language is zh, en or empty.", code="invalid_language")
    if len(data) > MAX_UPLOAD_BYTES:
        raise Problem(400, f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
                      code="too_big")  # fmt: skip
    if sniff_format(data) is None:
        raise Problem(400, "This is not a WAV or MP3 file.", code="not_audio")


class PromptService:
    def __init__(self, session: AsyncSession, tenant_id: UUID,
                 storage: Storage | None = None) -> None:  # fmt: skip
        self.session = session
        self.tenant_id = tenant_id
        self.repo = PromptRepository(session=session, tenant_id=tenant_id)
        self.storage = storage or get_storage()

    async def upload(self, *, name: str, language: str, filename: str, data: bytes,
                     user_id: UUID | None) -> IvrPrompt:  # fmt: skip
        """Convert and store; a bad file raises a 400 Problem and nothing is stored."""
        check_upload(name, language, data)
        if await self.repo.exists(IvrPrompt.name == name):
            raise Problem(409, f"A prompt named {name!r} exists; delete it first.",
                          code="duplicate_name")  # fmt: skip
        try:
            audio = await to_telephone_wav(data, max_seconds=MAX_PROMPT_SECONDS)
        except AudioError as exc:
            raise Problem(400, str(exc), code=exc.code) from exc
        prompt = IvrPrompt(name=name, language=language, duration_seconds=audio.duration_seconds,
                           size_bytes=len(audio.wav), object_key="", created_by=user_id,
                           original_filename=filename[:255],
                           original_format=sniff_format(data) or "")  # fmt: skip
        prompt = await self.repo.add_owned(prompt)
        prompt.object_key = prompt_object_key(self.tenant_id, prompt.id)
        # Flush the row before writing the file: a name taken meanwhile fails here, and the
        # request's rollback leaves no row; a failed write below leaves no row either.
        await self.session.flush()
        self.storage.put(prompt.object_key, audio.wav)
        return prompt

    async def get(self, prompt_id: UUID) -> IvrPrompt:
        prompt = await self.repo.find_by_id(prompt_id)
        if prompt is None:
            raise Problem(404, "No such prompt.")
        return prompt

    async def page(self, limit: int, offset: int, language: str | None
                   ) -> tuple[list[IvrPrompt], int]:  # fmt: skip
        filters = [IvrPrompt.language == language] if language is not None else []
        return await self.repo.page(*filters, OrderBy("name", "asc"), limit=limit, offset=offset)

    async def audio(self, prompt_id: UUID) -> tuple[IvrPrompt, bytes]:
        prompt = await self.get(prompt_id)
        return prompt, self.storage.get(prompt.object_key)

    async def delete(self, prompt_id: UUID) -> None:
        prompt = await self.get(prompt_id)
        await self.repo.delete_by_id(prompt.id)
        await self.session.flush()
        remove_object(self.storage, prompt.object_key)


async def prompt_path(tenant_id: UUID, name: str, *, storage: Storage | None = None
                      ) -> Path | None:  # fmt: skip
    """For callcontrol: the WAV file of the tenant's prompt `name`, or None if there is none."""
    storage = storage or get_storage()
    async with tenant_session(tenant_id) as session:
        repo = PromptRepository(session=session, tenant_id=tenant_id)
        prompt = await repo.get_one_or_none(IvrPrompt.name == name)
    return await local_file(storage, prompt.object_key) if prompt is not None else None
