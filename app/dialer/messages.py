"""What campaigns play to the people they call (DIAL-8): the notification message, the DTMF
survey's question and the message left on answering machines.

Each is an uploaded prompt (`*_prompt_id`, an `IvrPrompt` of the tenant) or TTS text spoken by
espeak-ng (`app/ivr_builder/tts.py`). TTS is rendered once per campaign: the rendering is
cached in storage by the hash of (voice, text), and the dialer runtime keeps the resolved files
of each campaign (`CampaignAudio`) until its settings change, so no call waits for espeak-ng.

A campaign's `survey` (JSONB, camelCase like the API):
`{"promptId": uuid | null, "text": "...", "keys": [{"key": "1", "label": "satisfied"}, ...],
"repeat": 2, "timeoutSeconds": 5}`; `{}` means no survey.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from app.db.session import tenant_session
from app.dialer.models import Campaign

log = logging.getLogger(__name__)

VOICES = ("zh", "en")
SURVEY_KEYS = "0123456789*#"
MAX_REPEAT = 5
MAX_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class SurveyPlan:
    """What callcontrol asks after a notification (`app/callcontrol/outbound.py`): the question
    is played up to `repeat` times, each followed by `timeout` seconds for one RFC 4733 key."""

    question: Path
    keys: dict[str, str]  # key -> label
    repeat: int = 2
    timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class Survey:
    """A campaign's survey settings, parsed."""

    prompt_id: UUID | None
    text: str
    keys: dict[str, str]  # key -> label, in the order given
    repeat: int
    timeout: float


def survey_of(c: Campaign) -> Survey | None:
    """The campaign's survey, or None when it has none. Raises ValueError on bad settings."""
    raw: dict[str, Any] = c.survey or {}
    if not raw or not raw.get("keys"):
        if raw.get("text") or raw.get("promptId"):
            raise ValueError("the survey needs at least one key with its label")
        return None
    keys: dict[str, str] = {}
    for item in raw["keys"]:
        key, label = str(item.get("key", "")), str(item.get("label", "")).strip()
        if len(key) != 1 or key not in SURVEY_KEYS:
            raise ValueError(f"survey key {key!r}: use one of 0-9, * or #")
        if key in keys:
            raise ValueError(f"survey key {key} is given twice")
        if not label:
            raise ValueError(f"survey key {key} needs a label")
        keys[key] = label
    prompt = raw.get("promptId")
    text = str(raw.get("text") or "")
    if not prompt and not text.strip():
        raise ValueError("the survey needs its question: a recorded prompt or text to speak")
    repeat = int(raw.get("repeat", 2))
    timeout = float(raw.get("timeoutSeconds", 5.0))
    if not 1 <= repeat <= MAX_REPEAT:
        raise ValueError(f"the survey question is asked 1 to {MAX_REPEAT} times")
    if not 1.0 <= timeout <= MAX_TIMEOUT:
        raise ValueError(f"the survey waits 1 to {MAX_TIMEOUT:.0f} seconds for a key")
    return Survey(UUID(str(prompt)) if prompt else None, text, keys, repeat, timeout)


def prompt_ids(c: Campaign) -> list[UUID]:
    """Every uploaded prompt the campaign names (they must be the tenant's)."""
    ids = [c.message_prompt_id, c.machine_prompt_id]
    survey = survey_of(c)
    if survey is not None:
        ids.append(survey.prompt_id)
    return [i for i in ids if i is not None]


def has_message(c: Campaign) -> bool:
    return c.message_prompt_id is not None or bool((c.message_text or "").strip())


@dataclass(frozen=True, slots=True)
class CampaignAudio:
    message: Path | None = None  # notification campaigns: what a person or a machine hears
    survey: SurveyPlan | None = None
    machine: Path | None = None  # agent campaigns: left after a machine's beep
    problem: str = ""  # why a notification campaign cannot dial now ("" when it can)


def audio_settings(c: Campaign) -> tuple[Any, ...]:
    """What the files depend on: the runtime renders again only when this changes."""
    return (c.message_prompt_id, c.message_text, c.message_voice, repr(c.survey),
            c.machine_prompt_id, c.machine_text)  # fmt: skip


async def campaign_audio(c: Campaign) -> CampaignAudio:
    """Resolve (and render once, through the TTS cache) the campaign's files."""
    voice = c.message_voice if c.message_voice in VOICES else "zh"
    machine = await prompt_or_tts(c.tenant_id, c.machine_prompt_id, c.machine_text or "", voice)
    if c.mode != "notification":
        return CampaignAudio(machine=machine)
    message = await prompt_or_tts(c.tenant_id, c.message_prompt_id, c.message_text or "", voice)
    if message is None:
        return CampaignAudio(problem="the notification message is missing or cannot be spoken")
    try:
        survey = survey_of(c)
    except ValueError as exc:
        return CampaignAudio(message, problem=f"survey: {exc}")
    plan = None
    if survey is not None:
        question = await prompt_or_tts(c.tenant_id, survey.prompt_id, survey.text, voice)
        if question is None:
            return CampaignAudio(message, problem="the survey question cannot be played")
        plan = SurveyPlan(question, dict(survey.keys), survey.repeat, survey.timeout)
    return CampaignAudio(message, plan, machine)


async def prompt_or_tts(
    tenant_id: UUID, prompt_id: UUID | None, text: str, voice: str
) -> Path | None:
    """The uploaded prompt's file, else the TTS rendering of `text`; None if neither."""
    from app.ivr_builder.models import IvrPrompt
    from app.ivr_builder.tts import TtsError, ensure_rendered
    from app.lib.storage import get_storage, local_file

    if prompt_id is not None:
        async with tenant_session(tenant_id) as session:
            prompt = await session.get(IvrPrompt, (tenant_id, prompt_id))
            key = prompt.object_key if prompt is not None else None
        if key is not None and (path := await local_file(get_storage(), key)) is not None:
            return path
        log.warning("tenant %s: prompt %s not found", tenant_id, prompt_id)
    if text.strip():
        try:
            return await ensure_rendered(tenant_id, text, voice)
        except (ValueError, OSError, TtsError) as exc:
            log.warning("tenant %s: TTS failed: %s", tenant_id, exc)
    return None
