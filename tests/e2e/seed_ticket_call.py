"""Offer an inbound call to a signed-in, ready agent of a running e2e back end (CRM-5 browser
test: the screen pop's tickets panel).

    python tests/e2e/seed_ticket_call.py offer <tenant-id> <port> <queue-id> <caller>
    python tests/e2e/seed_ticket_call.py hangup <tenant-id> <port> <call-key>

`offer` writes the live call hash as callcontrol does for an inbound call (direction, from,
to) and asks the tenant's ACD for an agent, exactly as callcontrol's queue step does; the
agent's CTI socket then gets the `offer` (screen pop). Prints {"callKey", "agent"}. `hangup`
ends it in the ACD and drops the hash. Settings come from test-artifacts/e2e-logs/
backend-env-<port>.json (written by tests/e2e/backend.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


async def offer(tenant_id: UUID, queue_id: str, caller: str) -> dict[str, Any]:
    from app.callcontrol.live import call_key_name
    from app.db.session import engines
    from app.lib.redis import get_redis
    from app.seats.acd import Call, Offered
    from app.seats.queues import acd_for, ensure_synced

    redis = get_redis()
    key = uuid.uuid4().hex
    await redis.hset(  # type: ignore[misc]
        call_key_name(tenant_id, key),
        mapping={"key": key, "direction": "inbound", "from": caller, "to": "+861080000000"},
    )
    await ensure_synced(redis, tenant_id)
    decision = await acd_for(redis, tenant_id).offer(Call(key, queue_id, caller=caller))
    await redis.aclose()
    for engine in engines.items_for_current_loop():
        await engine.dispose()
    if not isinstance(decision, Offered):
        raise SystemExit(f"no agent was offered the call: {decision}")
    return {"callKey": key, "agent": decision.agent_id}


async def hangup(tenant_id: UUID, key: str) -> dict[str, Any]:
    from app.callcontrol.live import call_key_name
    from app.lib.redis import get_redis
    from app.seats.queues import acd_for

    redis = get_redis()
    await acd_for(redis, tenant_id).hangup(key)
    await redis.delete(call_key_name(tenant_id, key))
    await redis.aclose()
    return {"callKey": key}


def main() -> None:
    action, tenant_id, port, *rest = sys.argv[1:]
    env_file = ROOT / "test-artifacts" / "e2e-logs" / f"backend-env-{port}.json"
    os.environ.update(json.loads(env_file.read_text()))
    if action == "offer":
        result = asyncio.run(offer(UUID(tenant_id), rest[0], rest[1]))
    else:
        result = asyncio.run(hangup(UUID(tenant_id), rest[0]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
