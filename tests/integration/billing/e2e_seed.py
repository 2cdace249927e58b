"""Seed CDRs for the billing page's browser test (frontend/e2e/billing.spec.ts).

    python tests/integration/billing/e2e_seed.py <tenant-id> <port> <agent-user-id>

Reads the e2e back end's settings from test-artifacts/e2e-logs/backend-env-<port>.json
(written by tests/e2e/backend.py) and writes three outbound CDRs of this month exactly as
callcontrol does (`save_call_record`): the agent's 75 s to Beijing and 10 s to a mobile, and
an unassigned 61 s call to London. Prints {"ok": true}.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))


async def seed(tenant_id: UUID, agent: UUID) -> None:
    from app.db.session import engines
    from tests.integration.recordings.seed import seed_call

    now = datetime.now(UTC).replace(microsecond=0)
    start = max(now - timedelta(hours=1), now.replace(day=1, hour=0, minute=0, second=0))
    out = {"direction": "outbound"}
    await seed_call(tenant_id, start, to_number="+861087654321", agent_user_id=agent,
                    ended_after=75.5, **out)  # fmt: skip
    await seed_call(tenant_id, start, to_number="+8613800138000", agent_user_id=agent,
                    ended_after=10.5, **out)  # fmt: skip
    await seed_call(tenant_id, start, to_number="+442071234567", ended_after=61.5, **out)
    for engine in engines.items_for_current_loop():
        await engine.dispose()


def main() -> None:
    tenant_id, port, agent = UUID(sys.argv[1]), sys.argv[2], UUID(sys.argv[3])
    env_file = ROOT / "test-artifacts" / "e2e-logs" / f"backend-env-{port}.json"
    os.environ.update(json.loads(env_file.read_text()))
    asyncio.run(seed(tenant_id, agent))
    print(json.dumps({"ok": True}))


if __name__ == "__main__":
    main()
