"""Commands from the app to callcontrol (click-to-call), through Redis.

The app RPUSHes a JSON command on `t:<tenant>:callcontrol:commands` and publishes a wake-up on
`t:<tenant>:callcontrol:wakeup`. Every node pattern-subscribes to the wake-ups and LPOPs the
tenant's list: LPOP is atomic, so with several nodes each command is taken exactly once. Lists
left from while no node ran are drained at start; commands past `expiresAt` are dropped (an agent
who clicked a minute ago has moved on).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from app.callcontrol.b2bua import B2bua
from app.callcontrol.control import CTI_COMMANDS, CallControl
from app.calls.services import commands_list, commands_wakeup
from app.seats.cti_commands import send_reply

log = logging.getLogger(__name__)

WAKEUP_PATTERN = "t:*:callcontrol:wakeup"
LIST_PATTERN = "t:*:callcontrol:commands"
MAX_HOPS = 30  # times a call command is put back for the node holding the call (~2 s)


class CommandConsumer:
    def __init__(self, redis: Redis, b2bua: B2bua) -> None:
        self.redis = redis
        self.b2bua = b2bua
        self.handled: list[dict[str, Any]] = []
        self.control = CallControl(b2bua)  # CTI commands: one reply each (control.py)
        self._later: set[asyncio.Task[None]] = set()  # commands being put back (_pass_on)

    async def run(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.psubscribe(WAKEUP_PATTERN)
        try:
            async for name in self.redis.scan_iter(match=LIST_PATTERN):
                await self.drain(UUID(str(name).split(":")[1]))
            async for message in pubsub.listen():
                if message.get("type") != "pmessage":
                    continue
                try:
                    tenant_id = UUID(str(message["channel"]).split(":")[1])
                except (ValueError, IndexError):
                    continue
                await self.drain(tenant_id)
        finally:
            await pubsub.aclose()

    async def drain(self, tenant_id: UUID) -> None:
        while True:
            raw = await self.redis.lpop(commands_list(tenant_id))  # type: ignore[misc]
            if raw is None:
                return
            try:
                command = json.loads(raw)
            except json.JSONDecodeError:
                log.warning("dropping a malformed command for tenant %s", tenant_id)
                continue
            await self.handle(tenant_id, command)

    async def handle(self, tenant_id: UUID, command: dict[str, Any]) -> bool:
        """Run one command; False when it was put back for another node."""
        if float(command.get("expiresAt", 0)) < time.time():
            log.info("dropping expired command %s", command.get("id"))
            return True
        if command.get("name") in CTI_COMMANDS and not self.control.owns(tenant_id, command):
            if await self._pass_on(tenant_id, command):
                return False
        # The tenant is the list's, never the body's: a command cannot reach another tenant.
        args = command.get("args") or {}
        if command.get("name") == "click_to_call":
            user, attempt = args.get("userId"), args.get("attemptId")
            await self.b2bua.click_to_call(
                tenant_id,
                str(args["extension"]),
                str(args["number"]),
                UUID(user) if user else None,
                attempt_id=UUID(attempt) if attempt else None,
                shown=str(args.get("shown") or ""),
            )
        elif command.get("name") in CTI_COMMANDS:
            outcome = await self.control.handle(tenant_id, command)
            await send_reply(
                self.redis,
                tenant_id,
                command,
                outcome.ok,
                outcome.result,
                status=outcome.status,
                error=outcome.error,
            )
        else:
            log.warning("unknown command %r", command.get("name"))
            await send_reply(self.redis, tenant_id, command, False, status=400, error="unknown")
        self.handled.append(command)
        return True

    async def _pass_on(self, tenant_id: UUID, command: dict[str, Any]) -> bool:
        """A call command for a call another node holds goes back on the list (a few times,
        a little later each time) so that the node holding the call takes it. Stopgap until
        commands are addressed to the node named in the call's live hash."""
        hops = int(command.get("hops", 0))
        if hops >= MAX_HOPS:
            return False  # nobody has it: this node answers "no such call"
        command["hops"] = hops + 1
        # Later and in the background: this node goes on with other commands meanwhile.
        task = asyncio.create_task(self._push_later(tenant_id, command, 0.01 * (hops + 1)))
        self._later.add(task)
        task.add_done_callback(self._later.discard)
        return True

    async def _push_later(self, tenant_id: UUID, command: dict[str, Any], delay: float) -> None:
        await asyncio.sleep(min(delay, 0.1))
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(commands_list(tenant_id), json.dumps(command))
        pipe.publish(commands_wakeup(tenant_id), str(command.get("id")))
        await pipe.execute()


async def run_forever(consumer: CommandConsumer) -> None:
    """Keep consuming across Redis restarts; on the way out, close call control's mixer rooms
    (the B2BUA's shutdown hangs calls up but cancels the tasks that would close them)."""
    try:
        while True:
            try:
                await consumer.run()
            except (ConnectionError, OSError) as exc:
                log.warning("command consumer: %s; reconnecting", exc)
                await asyncio.sleep(1.0)
    finally:
        await consumer.control.close()
