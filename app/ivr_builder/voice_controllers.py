"""Voice API of the IVR builder: recorded prompts and TTS (IVR-4), survey answers (REC-6).

Admins upload and delete prompts; whoever reads flows lists, plays and previews them (TTS
renderings too); whoever reads call records reads survey answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody, PathParameter, QueryParameter

from app.db.deps import DbSession
from app.ivr_builder import survey, tts
from app.ivr_builder.models import IvrPrompt, SurveyAnswer
from app.ivr_builder.prompts import MAX_UPLOAD_BYTES, PromptService
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.storage import get_storage
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm
from app.tenants.schemas import Page

READ = {"permission": Perm.FLOWS_READ}
WRITE = {"permission": Perm.FLOWS_WRITE, "audit_target": "ivr_prompt"}
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
When = Annotated[datetime | None, QueryParameter()]
Digest = Annotated[str, PathParameter(pattern=r"^[0-9a-f]{64}$")]
WAV = "audio/wav"
# Litestar holds a multipart body in memory: past this it answers 413 before we see the file;
# between MAX_UPLOAD_BYTES and this, the tenant gets our 400 "larger than 20 MB".
UPLOAD_BODY_LIMIT = 32 * 1024 * 1024


class Camel(msgspec.Struct, rename="camel", kw_only=True):
    pass


def wav_response(data: bytes, filename: str) -> Response[bytes]:
    # RFC 6266 4.3: an ASCII fallback, and the real (possibly Chinese) name in filename*.
    disposition = f"inline; filename=\"audio.wav\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=WAV, headers={"Content-Disposition": disposition})


# --- prompts -----------------------------------------------------------------------------------


@dataclass
class PromptUpload:
    file: UploadFile
    name: str
    language: str = ""


class PromptOut(Camel):
    id: UUID
    name: str
    language: str
    duration_seconds: float
    size_bytes: int
    original_filename: str
    original_format: str
    created_at: datetime


def prompt_out(p: IvrPrompt) -> PromptOut:
    return PromptOut(id=p.id, name=p.name, language=p.language,
                     duration_seconds=p.duration_seconds, size_bytes=p.size_bytes,
                     original_filename=p.original_filename, original_format=p.original_format,
                     created_at=p.created_at)  # fmt: skip


def _prompts(request: Request[Any, Any, Any], db_session: DbSession) -> PromptService:
    return PromptService(db_session, current_principal(request).tenant_id)


class PromptController(Controller):
    path = "/api/v1/ivr/prompts"
    tags = ["ivr"]

    @post("/", opt=WRITE | {"audit_action": "ivr_prompt.upload"},
          request_max_body_size=UPLOAD_BODY_LIMIT)  # fmt: skip
    async def upload(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: MultipartBody[PromptUpload],
    ) -> PromptOut:
        """IVR-4: upload a WAV or MP3 (multipart: file, name, language zh/en/empty); stored as
        8 kHz mono WAV. Not audio, longer than 10 minutes or over 20 MB: 400, nothing kept."""
        body = await data.file.read(MAX_UPLOAD_BYTES + 1)  # one byte more tells "too big"
        prompt = await _prompts(request, db_session).upload(
            name=data.name.strip(), language=data.language.strip(),
            filename=data.file.filename or "", data=body,
            user_id=current_principal(request).user_id)  # fmt: skip
        return prompt_out(prompt)

    @get("/", opt=READ)
    async def list_prompts(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        language: Annotated[Literal["", "zh", "en"] | None, QueryParameter()] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page[PromptOut]:
        rows, total = await _prompts(request, db_session).page(limit, offset, language)
        return Page(items=[prompt_out(p) for p in rows], total=total, limit=limit, offset=offset)

    @get("/{prompt_id:uuid}", opt=READ)
    async def get_prompt(
        self, request: Request[Any, Any, Any], db_session: DbSession, prompt_id: FromPath[UUID]
    ) -> PromptOut:
        return prompt_out(await _prompts(request, db_session).get(prompt_id))

    @get("/{prompt_id:uuid}/audio", opt=READ, media_type=WAV)
    async def download(
        self, request: Request[Any, Any, Any], db_session: DbSession, prompt_id: FromPath[UUID]
    ) -> Response[bytes]:
        """The stored 8 kHz mono WAV (what callers hear)."""
        prompt, data = await _prompts(request, db_session).audio(prompt_id)
        return wav_response(data, f"{prompt.name}.wav")

    @delete("/{prompt_id:uuid}", opt=WRITE | {"audit_action": "ivr_prompt.delete"},
            status_code=204)  # fmt: skip
    async def delete_prompt(
        self, request: Request[Any, Any, Any], db_session: DbSession, prompt_id: FromPath[UUID]
    ) -> None:
        await _prompts(request, db_session).delete(prompt_id)


# --- TTS ---------------------------------------------------------------------------------------


class TtsIn(Camel):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=tts.MAX_TEXT)]
    voice: tts.TtsVoice = "zh"


class TtsOut(Camel):
    digest: str
    # ready: GET /tts/{digest} returns the audio; queued: a worker is rendering it.
    state: Literal["ready", "queued", "missing"]


class TtsController(Controller):
    path = "/api/v1/ivr/tts"
    tags = ["ivr"]

    @post("/", opt=READ | {"audit_action": "ivr_tts.render"}, status_code=200)
    async def request_rendering(
        self, request: Request[Any, Any, Any], data: JSONBody[TtsIn]
    ) -> Response[TtsOut]:
        """IVR-4: render text (zh or en) to speech. Cached per tenant by (voice, text): 200
        with state ready when it is, else 202 queued; fetch it from GET /tts/{digest}."""
        from app.ivr_builder.actors import render_tts  # the broker only when a job is sent
        from app.worker.idempotency import register_job

        tenant_id = current_principal(request).tenant_id
        if not data.text.strip() or "\0" in data.text:
            raise Problem(400, "Give some text to say.")
        digest = tts.digest_of(data.voice, data.text)
        state = await tts.rendering_state(tenant_id, digest)
        if state.state == "ready":
            return Response(TtsOut(digest=digest, state="ready"), status_code=200)
        if state.state == "missing":
            await register_job(tenant_id, tts.job_key(digest), tts.ACTOR_NAME)
        render_tts.send(str(tenant_id), data.text, data.voice)
        return Response(TtsOut(digest=digest, state="queued"), status_code=202)

    @get("/{digest:str}", opt=READ, media_type=WAV)
    async def fetch_rendering(
        self, request: Request[Any, Any, Any], digest: Digest
    ) -> Response[Any]:
        """The rendering's 8 kHz WAV; 202 with the state while it is being rendered."""
        tenant_id = current_principal(request).tenant_id
        state = await tts.rendering_state(tenant_id, digest)
        if state.state == "queued":
            return Response(TtsOut(digest=digest, state="queued"), status_code=202,
                            media_type="application/json")  # fmt: skip
        if state.state == "missing":
            raise Problem(404, "No such rendering: request it with POST /api/v1/ivr/tts.")
        return wav_response(get_storage().get(state.object_key), f"tts-{digest[:12]}.wav")


# --- survey answers (REC-6) --------------------------------------------------------------------


class SurveyAnswerOut(Camel):
    id: UUID
    call_key: str
    flow_id: UUID | None
    node_id: str
    question: str
    answer: str
    score: int | None
    answered_at: datetime


class TallyOut(Camel):
    question: str
    total: int
    average: float | None
    answers: dict[str, int]


def answer_out(a: SurveyAnswer) -> SurveyAnswerOut:
    return SurveyAnswerOut(id=a.id, call_key=a.call_key, flow_id=a.flow_id, node_id=a.node_id,
                           question=a.question, answer=a.answer, score=a.score,
                           answered_at=a.answered_at)  # fmt: skip


Question = Annotated[str | None, QueryParameter(max_length=64)]
FlowId = Annotated[UUID | None, QueryParameter(name="flowId")]
CallKey = Annotated[str | None, QueryParameter(name="callKey", max_length=100)]


class SurveyController(Controller):
    path = "/api/v1/ivr/survey-answers"
    tags = ["ivr"]

    @get("/", opt={"permission": Perm.CALLS_READ})
    async def list_answers(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        question: Question = None,
        flow_id: FlowId = None,
        call_key: CallKey = None,
        since: When = None,
        until: When = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[SurveyAnswerOut]:
        """REC-6: survey answers, newest first."""
        f = survey.AnswerFilter(question, flow_id, call_key, since, until)
        tenant_id = current_principal(request).tenant_id
        rows, total = await survey.list_answers(db_session, tenant_id, f, limit=limit,
                                                offset=offset)  # fmt: skip
        return Page(items=[answer_out(a) for a in rows], total=total, limit=limit, offset=offset)

    @get("/tallies", opt={"permission": Perm.CALLS_READ})
    async def tallies(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        question: Question = None,
        flow_id: FlowId = None,
        since: When = None,
        until: When = None,
    ) -> list[TallyOut]:
        """REC-6: per question, how many answered, the average score and each answer's count."""
        f = survey.AnswerFilter(question, flow_id, None, since, until)
        rows = await survey.tallies(db_session, current_principal(request).tenant_id, f)
        return [TallyOut(question=t.question, total=t.total, average=t.average,
                         answers=t.answers) for t in rows]  # fmt: skip
