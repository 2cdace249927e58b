"""Call-control commands from the agent console to callcontrol, with a reply (SEAT-6).

This reuses callcontrol's command channel (app/calls/services.py, app/callcontrol/commands.py):
the command is RPUSHed on `t:<tenant>:callcontrol:commands` and a wake-up is published on
`t:<tenant>:callcontrol:wakeup`. CTI commands add one field, `replyTo`: the Redis list
(`t:<tenant>:callcontrol:reply:<id>`) on which the node that took the command RPUSHes

    {"id": "<command id>", "ok": true, "result": {...}}      or
    {"id": "<command id>", "ok": false, "status": 409, "error": "why, for the agent"}

The app waits on that list (BLPOP) for `REPLY_TIMEOUT` seconds. When no node receives the
wake-up (PUBLISH counts zero subscribers) or no reply comes in time, the command is taken back
off the list, so it can never run late, and the agent gets a 503 "callcontrol not available".

Command names and their `args` (all carry `agent` = the agent's user id, `extension` = their
seat, and `callId` = the ACD call id, which is callcontrol's call key):
- `answer`                      answer the ringing call (auto-answer seats answer themselves)
- `hangup`                      end the agent's call
- `hold`, `resume`              put the customer on hold (music) / take them back
- `mute`, `unmute`              the agent's microphone
- `dtmf`          digits        send DTMF to the customer (RFC 4733 events)
- `transfer`      mode (blind|attended), targetKind (agent|supervisor|queue|ivr|external),
                  target (user id | queue id | flow id | E.164 number)
- `complete_transfer`, `cancel_transfer`   finish / abandon an attended transfer
- `conference`    targetKind, target   bring a third party in (3-way)
- `dial`          extension     internal call to another seat by its number
- `ivr_and_back`  flowId        IVR-7: the caller goes through a published flow and comes back
                                to this agent (event `ivr.returned` with digits and variables)

Supervisor commands (SEAT-7; `SUPERVISOR_COMMANDS`, args `callId` of the agent's call or
`agentExtension`, and `supervisorExtension` = the seat the supervisor listens on):
- `listen`, `whisper`, `barge`  join the agent's call through the mixer; again = switch mode
- `force_release`               hang up the agent's call
- `record`, `stop_record`       start / stop recording the agent's live calls

Knowledge base (CRM-4, `MEDIA_COMMANDS`, sent by app/crm/knowledge_play.py):
- `play_audio`    articleId     play the article's recording to the customer (agent muted)
- `stop_audio`                  stop it; the agent is heard again
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from app.calls.services import COMMAND_TTL, commands_list, commands_wakeup
from app.lib.keys import tenant_key

REPLY_TIMEOUT = 5.0  # seconds an agent waits for callcontrol before being told it is down
REPLY_TTL = 60  # seconds a late reply is kept (nobody reads it; Redis drops it)

CALL_COMMANDS = frozenset(
    {
        "answer",
        "hangup",
        "hold",
        "resume",
        "mute",
        "unmute",
        "dtmf",
        "transfer",
        "complete_transfer",
        "cancel_transfer",
        "conference",
        "dial",
        "ivr_and_back",
    }
)


SUPERVISOR_COMMANDS = frozenset(
    {"listen", "whisper", "barge", "force_release", "record", "stop_record"}
)

MEDIA_COMMANDS = frozenset({"play_audio", "stop_audio"})


def reply_key(tenant_id: UUID, command_id: str) -> str:
    return tenant_key(tenant_id, "callcontrol", "reply", command_id)


class CallcontrolUnavailable(Exception):
    """No callcontrol node took the command, or none answered in time."""


@dataclass(frozen=True, slots=True)
class CommandReply:
    command_id: str
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error: str = ""


async def call_command(
    redis: Redis,
    tenant_id: UUID,
    name: str,
    args: dict[str, Any],
    *,
    wait_seconds: float | None = None,
) -> CommandReply:
    """Send one call-control command and wait for callcontrol's reply."""
    if name not in CALL_COMMANDS | SUPERVISOR_COMMANDS | MEDIA_COMMANDS:
        raise ValueError(f"unknown call command {name!r}")
    if wait_seconds is None:
        wait_seconds = REPLY_TIMEOUT
    command_id = secrets.token_hex(8)
    body = json.dumps(
        {
            "id": command_id,
            "name": name,
            "tenantId": str(tenant_id),
            "args": args,
            "expiresAt": time.time() + min(COMMAND_TTL, wait_seconds),
            "replyTo": reply_key(tenant_id, command_id),
        }
    )
    pipe = redis.pipeline(transaction=True)
    pipe.rpush(commands_list(tenant_id), body)
    pipe.expire(commands_list(tenant_id), int(COMMAND_TTL) * 2)
    pipe.publish(commands_wakeup(tenant_id), command_id)
    _, _, listeners = await pipe.execute()
    if not listeners:
        await _withdraw(redis, tenant_id, body)
        raise CallcontrolUnavailable("no callcontrol node is running")
    reply = await redis.blpop([reply_key(tenant_id, command_id)], timeout=wait_seconds)  # type: ignore[misc]
    if reply is None:
        await _withdraw(redis, tenant_id, body)
        raise CallcontrolUnavailable(f"callcontrol did not answer within {wait_seconds:g} s")
    return _parse(command_id, reply[1])


async def _withdraw(redis: Redis, tenant_id: UUID, body: str) -> None:
    # If still queued, it must not run after the agent was told it failed.
    await redis.lrem(commands_list(tenant_id), 1, body)  # type: ignore[misc]


def _parse(command_id: str, raw: str) -> CommandReply:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return CommandReply(command_id, False, status=502, error="unreadable callcontrol reply")
    ok = bool(data.get("ok"))
    return CommandReply(
        command_id,
        ok,
        result=data.get("result") or {},
        status=int(data.get("status") or (200 if ok else 409)),
        error=str(data.get("error") or ""),
    )


async def send_reply(
    redis: Redis,
    tenant_id: UUID,
    command: dict[str, Any],
    ok: bool,
    result: dict[str, Any] | None = None,
    *,
    status: int = 0,
    error: str = "",
) -> None:
    """For callcontrol: answer a command taken from `tenant_id`'s list that carries `replyTo`
    (no-op otherwise). The reply key must be that tenant's: a body cannot point elsewhere."""
    target = str(command.get("replyTo") or "")
    if not target.startswith(reply_key(tenant_id, "")):
        return
    body: dict[str, Any] = {"id": command.get("id"), "ok": ok, "result": result or {}}
    if not ok:
        body |= {"status": status or 409, "error": error}
    pipe = redis.pipeline(transaction=True)
    pipe.rpush(target, json.dumps(body))
    pipe.expire(target, REPLY_TTL)
    await pipe.execute()
