"""A pretend callcontrol node hammering the ACD, for the concurrency test.

Run in the test's own event loop (several tasks) and as separate processes:
    python tests/integration/seats/acd_node.py <tenant> <node> <calls> <tasks> <seed>
which prints "ready", waits for a line on stdin, runs, prints a JSON report.

Whoever receives an `Offered` decision drives that call (answer then hang up, or reject): if
the ACD ever handed out the same reservation twice, the second driver's answer would fail with
NotOffered, which is reported as an error.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from app.seats.acd import Acd, Call, Decision, IllegalTransition, Offered

QUEUE = "hammer"


@dataclass
class NodeReport:
    created: list[str] = field(default_factory=list)
    offers_driven: int = 0
    answered: int = 0
    rejected: int = 0
    illegal: int = 0  # expected races: not_ready/ready on an agent that just got a call
    errors: list[str] = field(default_factory=list)
    started: float = 0.0  # wall clock, to prove the nodes ran at the same time
    finished: float = 0.0


async def drive(acd: Acd, decisions: list[Decision], rng: random.Random, rep: NodeReport) -> None:
    pending = list(decisions)
    while pending:
        d = pending.pop()
        if not isinstance(d, Offered):
            continue
        rep.offers_driven += 1
        try:
            if rng.random() < 0.15:
                rep.rejected += 1
                pending += await acd.reject(d.call_id, d.agent_id)
                continue
            await acd.answer(d.call_id, d.agent_id)
            rep.answered += 1
            await asyncio.sleep(rng.random() * 0.002)
            pending += await acd.hangup(d.call_id)
        except Exception as exc:  # any failure here is a bug the test reports
            rep.errors.append(f"{type(exc).__name__}: {exc}")


async def caller_task(acd: Acd, node: str, n: int, seed: int, rep: NodeReport) -> None:
    rng = random.Random(seed)
    for i in range(n):
        call_id = f"{node}-{seed}-{i}"
        rep.created.append(call_id)
        vip = rng.random() < 0.1
        await drive(acd, [await acd.offer(Call(call_id, QUEUE, vip=vip, node=node))], rng, rep)
        await asyncio.sleep(0)


async def agent_task(
    acd: Acd, agents: list[str], stop: asyncio.Event, seed: int, rep: NodeReport
) -> None:
    """Agents going on a break and back, racing against offers."""
    rng = random.Random(seed)
    while not stop.is_set():
        agent = rng.choice(agents)
        try:
            if rng.random() < 0.3:
                await acd.not_ready(agent, "break")
            else:
                await drive(acd, await acd.agent_ready(agent), rng, rep)
        except IllegalTransition:
            rep.illegal += 1
        await asyncio.sleep(0.001)


async def run_node(
    acd: Acd, node: str, calls: int, tasks: int, seed: int, agents: list[str]
) -> NodeReport:
    rep = NodeReport(started=time.time())
    stop = asyncio.Event()
    breaks = asyncio.create_task(agent_task(acd, agents, stop, seed + 999, rep))
    await asyncio.gather(*(caller_task(acd, node, calls, seed + t, rep) for t in range(tasks)))
    rep.finished = time.time()
    stop.set()
    await breaks
    return rep


async def _main(tenant: str, node: str, calls: int, tasks: int, seed: int) -> None:
    from redis.asyncio import Redis

    from app.settings import get_settings

    redis = Redis.from_url(get_settings().redis_url, decode_responses=True)
    acd = Acd(redis, UUID(tenant))
    agents = sorted(await redis.smembers(f"{acd.prefix}:agents"))
    # Start together with the other nodes: say we are loaded, wait for "go".
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    rep = await run_node(acd, node, calls, tasks, seed, agents)
    await redis.aclose()
    print(json.dumps(asdict(rep)))


if __name__ == "__main__":
    t, nd, c, k, s = sys.argv[1:6]
    asyncio.run(_main(t, nd, int(c), int(k), int(s)))
