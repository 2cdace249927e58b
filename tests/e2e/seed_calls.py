"""Seed a tenant of a running e2e back end with calls, one recorded (REC-2/4/5 browser test).

    python tests/e2e/seed_calls.py <tenant-id> <port>

Reads the back end's database and storage settings from test-artifacts/e2e-logs/
backend-env-<port>.json (written by tests/e2e/backend.py), writes CDRs exactly as callcontrol
does (`save_call_record`) and a real stereo WAV as the recordings worker does, and prints JSON:
{"callKey": ..., "recordingId": ..., "number": ...}.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

NUMBER = "13912345678"


async def seed(tenant_id: UUID) -> dict[str, str]:
    from sqlalchemy import select

    from app.db.session import engines, tenant_session
    from app.tenants.models import User
    from tests.integration.recordings.seed import seed_call, seed_queue, seed_recording

    now = datetime.now(UTC).replace(microsecond=0)
    queue = await seed_queue(tenant_id, "Sales hotline")
    async with tenant_session(tenant_id) as session:
        admin = (await session.scalars(select(User.id))).one()  # the one who signed up
    _, key = await seed_call(
        tenant_id, now - timedelta(hours=1), from_number=NUMBER, extension="801",
        agent_user_id=admin,
        queue_id=queue, queued_after=1, bridged_after=9, ended_after=95,
        legs=[{"role": "customer", "from": f"sip:{NUMBER}@carrier", "to": "sip:4001@t",
               "sipStatus": 200, "cause": "normal"}],
    )  # fmt: skip
    recording = await seed_recording(tenant_id, key, seconds=6.0)
    for hours, number in ((26, "13800000001"), (50, "13800000002")):
        await seed_call(tenant_id, now - timedelta(hours=hours), from_number=number,
                        queue_id=queue, queued_after=1, ended_after=30)  # fmt: skip
    for engine in engines.items_for_current_loop():
        await engine.dispose()
    return {"callKey": key, "recordingId": str(recording), "number": NUMBER}


def main() -> None:
    tenant_id, port = UUID(sys.argv[1]), sys.argv[2]
    env_file = ROOT / "test-artifacts" / "e2e-logs" / f"backend-env-{port}.json"
    os.environ.update(json.loads(env_file.read_text()))
    print(json.dumps(asyncio.run(seed(tenant_id))))


if __name__ == "__main__":
    main()
