"""IVR-5: voicemail boxes and messages.

callcontrol, when a caller has left a message in a voicemail node:

    box_id = await box_for_mailbox(tenant_id, params.mailbox)     # None: no such box
    message_id = await store_voicemail(tenant_id, box_id, caller, callback_number, wav_or_path,
                                       call_key=call.key)

The audio is stored as 8 kHz mono WAV at `tenant/<id>/voicemail/<message id>.wav`; a retried
store for the same call returns the first message. Each new message and each change of status
is published once on `t:<tenant>:events` (`voicemail.new`, `voicemail.accepted`, ...).

Who sees what: agents see the boxes of their own extensions and of the businesses those
extensions belong to, and may listen, accept (one agent wins) and mark called back;
supervisors and admins see every box, the whole history, and delete (soft, audited).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from advanced_alchemy.filters import OrderBy
from sqlalchemy import ColumnElement, false, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repository import TenantRepository
from app.db.session import tenant_session
from app.ivr_builder.audio import AudioError, to_telephone_wav
from app.ivr_builder.models import VoicemailBox, VoicemailMessage
from app.lib.keys import tenant_key, tenant_object_key
from app.lib.numbers import InvalidNumberError, normalize_number
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.lib.storage import Storage, get_storage
from app.seats.models import Extension
from app.seats.services import ExtensionRepository
from app.tenants.models import Role

MAX_MESSAGE_SECONDS = 300.0
STATUSES = ("new", "heard", "accepted", "called_back", "deleted")


class VoicemailBoxRepository(TenantRepository[VoicemailBox]):
    model_type = VoicemailBox


class VoicemailMessageRepository(TenantRepository[VoicemailMessage]):
    model_type = VoicemailMessage


def _now() -> datetime:
    return datetime.now(UTC)


def message_object_key(tenant_id: UUID, message_id: UUID) -> str:
    return tenant_object_key(tenant_id, "voicemail", f"{message_id}.wav")


async def publish_event(tenant_id: UUID, kind: str, message: VoicemailMessage) -> None:
    # The tenant's one event channel (the same one call events use; see callcontrol/live.py).
    event = {"type": f"voicemail.{kind}", "tenantId": str(tenant_id),
             "messageId": str(message.id), "boxId": str(message.box_id),
             "status": message.status}  # fmt: skip
    await get_redis().publish(tenant_key(tenant_id, "events"), json.dumps(event))


def _phone(raw: str) -> str:
    """A number as given by the network or keyed by the caller; kept raw if not a number."""
    raw = raw.strip()[:64]
    try:
        return normalize_number(raw)
    except InvalidNumberError:
        return raw


# --- what callcontrol calls ------------------------------------------------------------------


async def box_for_mailbox(tenant_id: UUID, mailbox: str) -> UUID | None:
    async with tenant_session(tenant_id) as session:
        repo = VoicemailBoxRepository(session=session, tenant_id=tenant_id)
        box = await repo.get_one_or_none(
            VoicemailBox.name == mailbox, VoicemailBox.is_active.is_(True)
        )
        return box.id if box else None


async def store_voicemail(tenant_id: UUID, box_id: UUID, caller: str, callback_number: str,
                          audio: bytes | Path, *, call_key: str | None = None,
                          storage: Storage | None = None) -> UUID:  # fmt: skip
    """Store a caller's message (WAV or MP3 bytes, or a file); its id. An empty callback
    number means "call me back on the number I called from"."""
    storage = storage or get_storage()
    data = await asyncio.to_thread(audio.read_bytes) if isinstance(audio, Path) else audio
    try:
        converted = await to_telephone_wav(data, max_seconds=MAX_MESSAGE_SECONDS)
    except AudioError as exc:
        raise ValueError(f"voicemail audio rejected: {exc}") from exc
    async with tenant_session(tenant_id) as session:
        boxes = VoicemailBoxRepository(session=session, tenant_id=tenant_id)
        if await boxes.find_by_id(box_id) is None:
            raise LookupError(f"no voicemail box {box_id} in tenant {tenant_id}")
        messages = VoicemailMessageRepository(session=session, tenant_id=tenant_id)
        if call_key is not None:
            existing = await messages.get_one_or_none(VoicemailMessage.call_key == call_key)
            if existing is not None:
                return existing.id
        message = await messages.add_owned(VoicemailMessage(
            box_id=box_id, call_key=call_key, caller_number=_phone(caller),
            callback_number=_phone(callback_number or caller), object_key="",
            duration_seconds=converted.duration_seconds, status="new"))  # fmt: skip
        message.object_key = message_object_key(tenant_id, message.id)
        await session.flush()
        storage.put(message.object_key, converted.wav)
    await publish_event(tenant_id, "new", message)
    return message.id


# --- the API's service -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: UUID
    role: str

    @property
    def manages(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR)


@dataclass(frozen=True, slots=True)
class MessageFilter:
    box_id: UUID | None = None
    status: str | None = None
    number: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    accepted_by: UUID | None = None


class VoicemailService:
    def __init__(self, session: AsyncSession, tenant_id: UUID, actor: Actor,
                 storage: Storage | None = None) -> None:  # fmt: skip
        self.session = session
        self.tenant_id = tenant_id
        self.actor = actor
        self.boxes = VoicemailBoxRepository(session=session, tenant_id=tenant_id)
        self.messages = VoicemailMessageRepository(session=session, tenant_id=tenant_id)
        self.storage = storage or get_storage()

    # --- visibility ------------------------------------------------------------------------------

    async def _box_scope(self) -> ColumnElement[bool] | None:
        """None for supervisors and admins (every box); for agents, their boxes."""
        if self.actor.manages:
            return None
        repo = ExtensionRepository(session=self.session, tenant_id=self.tenant_id)
        extensions = await repo.get_many(
            Extension.user_id == self.actor.user_id, Extension.is_active.is_(True)
        )
        numbers = [e.number for e in extensions]
        businesses = [e.business_id for e in extensions if e.business_id is not None]
        if not numbers and not businesses:
            return false()
        return or_(VoicemailBox.extension.in_(numbers), VoicemailBox.business_id.in_(businesses))

    async def visible_boxes(self) -> list[VoicemailBox]:
        scope = await self._box_scope()
        filters = [scope] if scope is not None else []
        return list(await self.boxes.get_many(*filters, OrderBy("name", "asc")))

    async def _visible_box_ids(self) -> list[UUID] | None:
        if self.actor.manages:
            return None
        return [b.id for b in await self.visible_boxes()]

    async def message(self, message_id: UUID) -> VoicemailMessage:
        """A message the actor may see (a box not theirs, or a deleted one for agents: 404)."""
        found = await self.messages.find_by_id(message_id)
        box_ids = await self._visible_box_ids()
        if found is None or (box_ids is not None and (
                found.box_id not in box_ids or found.status == "deleted")):  # fmt: skip
            raise Problem(404, "No such voicemail message.")
        return found

    # --- reading ---------------------------------------------------------------------------------

    async def page(self, f: MessageFilter, limit: int, offset: int
                   ) -> tuple[list[VoicemailMessage], int]:  # fmt: skip
        filters: list[Any] = []
        box_ids = await self._visible_box_ids()
        if box_ids is not None:
            filters.append(VoicemailMessage.box_id.in_(box_ids))
        if f.status == "deleted" and not self.actor.manages:
            raise Problem(403, "Only supervisors and admins see deleted messages.")
        filters.append(VoicemailMessage.status == f.status if f.status
                       else VoicemailMessage.status != "deleted")  # fmt: skip
        if f.box_id:
            filters.append(VoicemailMessage.box_id == f.box_id)
        if f.number:
            filters.append(or_(
                VoicemailMessage.caller_number.contains(f.number, autoescape=True),
                VoicemailMessage.callback_number.contains(f.number, autoescape=True)))  # fmt: skip
        if f.since:
            filters.append(VoicemailMessage.created_at >= f.since)
        if f.until:
            filters.append(VoicemailMessage.created_at < f.until)
        if f.accepted_by:
            filters.append(VoicemailMessage.accepted_by == f.accepted_by)
        return await self.messages.page(*filters, OrderBy("created_at", "desc"),
                                        limit=limit, offset=offset)  # fmt: skip

    async def listen(self, message_id: UUID) -> tuple[VoicemailMessage, bytes]:
        """The audio; the first listen marks a new message heard."""
        message = await self.message(message_id)
        data = self.storage.get(message.object_key)
        if message.status == "new":
            message.status, message.heard_at, message.heard_by = "heard", _now(), self.actor.user_id
            await self.session.flush()
            await publish_event(self.tenant_id, "heard", message)
        return message, data

    # --- changes ---------------------------------------------------------------------------------

    async def accept(self, message_id: UUID) -> VoicemailMessage:
        """Take the message to call back. One conditional UPDATE: of two agents accepting at
        once, one row update wins and the other finds it taken (409)."""
        message = await self.message(message_id)
        won = await self.session.scalar(
            update(VoicemailMessage)
            .where(VoicemailMessage.tenant_id == self.tenant_id,
                   VoicemailMessage.id == message.id,
                   VoicemailMessage.accepted_by.is_(None),
                   VoicemailMessage.status.in_(("new", "heard")))
            .values(status="accepted", accepted_by=self.actor.user_id, accepted_at=_now(),
                    updated_at=_now())
            .returning(VoicemailMessage.id)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        await self.session.refresh(message)
        if won is None:
            raise Problem(409, "This message was already accepted by someone else"
                          if message.accepted_by not in (None, self.actor.user_id)
                          else f"This message is {message.status.replace('_', ' ')}.",
                          code="already_taken", acceptedBy=str(message.accepted_by))  # fmt: skip
        await publish_event(self.tenant_id, "accepted", message)
        return message

    async def called_back(self, message_id: UUID) -> VoicemailMessage:
        message = await self.message(message_id)
        if message.status != "accepted":
            raise Problem(409, "Accept the message before marking it called back.")
        if message.accepted_by != self.actor.user_id and not self.actor.manages:
            raise Problem(403, "Another agent accepted this message.")
        message.status = "called_back"
        message.called_back_at, message.called_back_by = _now(), self.actor.user_id
        await self.session.flush()
        await publish_event(self.tenant_id, "called_back", message)
        return message

    async def delete(self, message_id: UUID) -> None:
        """Soft delete: the row, its audio and the audit entry stay for the history."""
        message = await self.message(message_id)
        if message.status == "deleted":
            return
        message.status = "deleted"
        message.deleted_at, message.deleted_by = _now(), self.actor.user_id
        await self.session.flush()
        await publish_event(self.tenant_id, "deleted", message)

    # --- boxes -----------------------------------------------------------------------------------

    async def box(self, box_id: UUID) -> VoicemailBox:
        box = await self.boxes.find_by_id(box_id)
        if box is None:
            raise Problem(404, "No such voicemail box.")
        return box

    async def delete_box(self, box_id: UUID) -> None:
        box = await self.box(box_id)
        count = await self.messages.count(VoicemailMessage.box_id == box.id)
        if count:
            raise Problem(409, f"The box holds {count} message(s) (history included); "
                          "deactivate it instead (isActive: false).")  # fmt: skip
        await self.boxes.delete_by_id(box.id)
