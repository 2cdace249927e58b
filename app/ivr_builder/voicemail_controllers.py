"""Voicemail API (IVR-5): boxes (admins), messages (agents: their boxes; supervisors: all)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.db.deps import DbSession
from app.ivr_builder.models import VoicemailBox, VoicemailMessage
from app.ivr_builder.voice_controllers import WAV, wav_response
from app.ivr_builder.voicemail import Actor, MessageFilter, VoicemailService
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.seats.models import Extension
from app.seats.services import ExtensionRepository
from app.tenants.auth import current_principal
from app.tenants.controllers.settings import BusinessRepository
from app.tenants.permissions import Perm
from app.tenants.schemas import Page

WORK = {"permission": Perm.VOICEMAIL_WORK, "audit_target": "voicemail_message"}
MANAGE = {"permission": Perm.VOICEMAIL_MANAGE, "audit_target": "voicemail_message"}
BOXES = {"permission": Perm.SETTINGS_WRITE, "audit_target": "voicemail_box"}
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
When = Annotated[datetime | None, QueryParameter()]
Status = Literal["new", "heard", "accepted", "called_back", "deleted"]
BoxName = Annotated[str, msgspec.Meta(pattern=r"^[\w.-]{1,64}$")]
ExtensionNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3,6}$")]


class Camel(msgspec.Struct, rename="camel", kw_only=True):
    pass


class BoxIn(Camel):
    name: BoxName  # what a flow's voicemail node names in `mailbox`
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    business_id: UUID | None = None
    queue: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    extension: ExtensionNumber | None = None


class BoxPatch(Camel):
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    business_id: UUID | None = None
    queue: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    extension: ExtensionNumber | None = None
    is_active: bool | None = None


class BoxOut(Camel):
    id: UUID
    name: str
    description: str
    business_id: UUID | None
    queue: str | None
    extension: str | None
    is_active: bool


class MessageOut(Camel):
    id: UUID
    box_id: UUID
    call_key: str | None
    caller_number: str
    callback_number: str
    duration_seconds: float
    status: Status
    created_at: datetime
    heard_at: datetime | None
    heard_by: UUID | None
    accepted_at: datetime | None
    accepted_by: UUID | None
    called_back_at: datetime | None
    called_back_by: UUID | None
    deleted_at: datetime | None
    deleted_by: UUID | None


def box_out(b: VoicemailBox) -> BoxOut:
    return BoxOut(id=b.id, name=b.name, description=b.description, business_id=b.business_id,
                  queue=b.queue, extension=b.extension, is_active=b.is_active)  # fmt: skip


def message_out(m: VoicemailMessage) -> MessageOut:
    fields = {name: getattr(m, name) for name in MessageOut.__struct_fields__}
    return MessageOut(**fields)


def _service(request: Request[Any, Any, Any], db_session: DbSession) -> VoicemailService:
    principal = current_principal(request)
    return VoicemailService(db_session, principal.tenant_id,
                            Actor(principal.user_id, principal.role))  # fmt: skip


async def _check_targets(service: VoicemailService, data: BoxIn | BoxPatch) -> None:
    """Ids and numbers in a body must be this tenant's (a forged one is a 404)."""
    session, tenant_id = service.session, service.tenant_id
    if data.business_id and not await BusinessRepository(
        session=session, tenant_id=tenant_id
    ).find_by_id(data.business_id):
        raise Problem(404, "No such business.")
    if data.extension and not await ExtensionRepository(
        session=session, tenant_id=tenant_id
    ).exists(Extension.number == data.extension):
        raise Problem(404, f"No extension {data.extension}.")


class VoicemailController(Controller):
    path = "/api/v1/voicemail"
    tags = ["voicemail"]

    # --- boxes -----------------------------------------------------------------------------------

    @get("/boxes", opt=WORK)
    async def list_boxes(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[BoxOut]:
        """The boxes the caller may work: all for supervisors and admins; for agents, those of
        their extensions and of their extensions' businesses."""
        return [box_out(b) for b in await _service(request, db_session).visible_boxes()]

    @post("/boxes", opt=BOXES | {"audit_action": "voicemail_box.create"})
    async def create_box(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[BoxIn]
    ) -> BoxOut:
        service = _service(request, db_session)
        await _check_targets(service, data)
        box = VoicemailBox(name=data.name, description=data.description,
                           business_id=data.business_id, queue=data.queue,
                           extension=data.extension, is_active=True)  # fmt: skip
        box = await service.boxes.add_owned(box)
        await db_session.flush()
        return box_out(box)

    @patch("/boxes/{box_id:uuid}", opt=BOXES | {"audit_action": "voicemail_box.update"})
    async def update_box(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        box_id: FromPath[UUID],
        data: JSONBody[BoxPatch],
    ) -> BoxOut:
        service = _service(request, db_session)
        await _check_targets(service, data)
        box = await service.box(box_id)
        for name, value in msgspec.structs.asdict(data).items():
            if value is not None:
                setattr(box, name, value)
        await db_session.flush()
        return box_out(box)

    @delete("/boxes/{box_id:uuid}", opt=BOXES | {"audit_action": "voicemail_box.delete"},
            status_code=204)  # fmt: skip
    async def delete_box(
        self, request: Request[Any, Any, Any], db_session: DbSession, box_id: FromPath[UUID]
    ) -> None:
        """Only an empty box; one with history is deactivated instead."""
        await _service(request, db_session).delete_box(box_id)

    # --- messages --------------------------------------------------------------------------------

    @get("/messages", opt=WORK)
    async def list_messages(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        status: Annotated[Status | None, QueryParameter()] = None,
        box_id: Annotated[UUID | None, QueryParameter(name="boxId")] = None,
        number: Annotated[str | None, QueryParameter(max_length=64)] = None,
        accepted_by: Annotated[UUID | None, QueryParameter(name="acceptedBy")] = None,
        since: When = None,
        until: When = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[MessageOut]:
        """Newest first. Agents: `?status=new` is their "new messages". Deleted messages only
        with `?status=deleted` (supervisors and admins)."""
        f = MessageFilter(box_id, status, number, since, until, accepted_by)
        rows, total = await _service(request, db_session).page(f, limit, offset)
        return Page(items=[message_out(m) for m in rows], total=total, limit=limit,
                    offset=offset)  # fmt: skip

    @get("/messages/{message_id:uuid}", opt=WORK)
    async def get_message(
        self, request: Request[Any, Any, Any], db_session: DbSession, message_id: FromPath[UUID]
    ) -> MessageOut:
        return message_out(await _service(request, db_session).message(message_id))

    @get("/messages/{message_id:uuid}/audio", opt=WORK, media_type=WAV)
    async def listen(
        self, request: Request[Any, Any, Any], db_session: DbSession, message_id: FromPath[UUID]
    ) -> Response[bytes]:
        """The message's audio (8 kHz WAV); a new message becomes heard."""
        message, data = await _service(request, db_session).listen(message_id)
        return wav_response(data, f"voicemail-{message.caller_number}.wav")

    @post("/messages/{message_id:uuid}/accept", status_code=200,
          opt=WORK | {"audit_action": "voicemail.accept"})  # fmt: skip
    async def accept(
        self, request: Request[Any, Any, Any], db_session: DbSession, message_id: FromPath[UUID]
    ) -> MessageOut:
        """Take the message to call back; 409 if someone else took it first."""
        return message_out(await _service(request, db_session).accept(message_id))

    @post("/messages/{message_id:uuid}/called-back", status_code=200,
          opt=WORK | {"audit_action": "voicemail.called_back"})  # fmt: skip
    async def called_back(
        self, request: Request[Any, Any, Any], db_session: DbSession, message_id: FromPath[UUID]
    ) -> MessageOut:
        return message_out(await _service(request, db_session).called_back(message_id))

    @delete("/messages/{message_id:uuid}", status_code=204,
            opt=MANAGE | {"audit_action": "voicemail.delete"})  # fmt: skip
    async def delete_message(
        self, request: Request[Any, Any, Any], db_session: DbSession, message_id: FromPath[UUID]
    ) -> None:
        """Soft delete: kept in the history (`?status=deleted`) and in the audit trail."""
        await _service(request, db_session).delete(message_id)
