"""ACD routing: the Redis/Lua ACD against a naive SQL-polling ACD, in the same run.

    .venv/bin/python bench/acd.py            (about 25 s; Redis and Postgres on 127.0.0.1)

Run it on a quiet machine: on 2 shared cores, other load shows up directly in the p95.

Workload, identical for both: 1,000 agents signed in and ready in one queue (longest idle
first), and a stream of calls:
1. Latency: calls arrive at RATE per second (Poisson) for DURATION seconds; each is offered,
   answered at once, talks 0.2-1 s and hangs up. Routing latency = offer -> agent reserved.
2. Throughput: CALLS calls pushed through CONCURRENCY flows back to back (offer, answer,
   hang up), as fast as each ACD goes: decisions per second.
3. (Redis only) every agent on a break, QUEUED_CALLS calls waiting, agents come back one by one:
   each "ready" must take the best waiting call.

Baseline: a straightforward Postgres ACD (agents and calls tables; a new call is INSERTed as
waiting; two dispatcher loops, like two callcontrol nodes, poll every POLL_INTERVAL and assign
with SELECT ... FOR UPDATE SKIP LOCKED). Its routing latency is insert -> assignment, so it
includes the polling delay; its bare assignment transaction is timed too, for a ratio that owes
nothing to the poll interval.

The baseline runs in a scratch database created and dropped here (as the postgres superuser on
127.0.0.1, FASTLINE_DATABASE_SUPERUSER_URL). Redis: ACD_BENCH_REDIS_URL or FASTLINE_REDIS_URL.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TypeVar

import asyncpg
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.lib.keys import tenant_key
from app.seats.acd import Acd, Call, NoAnswer, Offered, QueueConfig
from app.settings import get_settings

AGENTS = 1000
RATE = 200  # calls per second arriving in the latency phase
DURATION = 6.0
CALLS = 3000
CONCURRENCY = 50
QUEUED_CALLS = 500  # phase 2: calls waiting while agents come back one at a time
POLL_INTERVAL = 0.05  # generous for a polling ACD; many poll once a second
DISPATCHERS = 2
QUEUE = "bench"

T = TypeVar("T")


class Timings:
    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}

    async def time(self, name: str, work: Awaitable[T]) -> T:
        start = time.perf_counter()
        result = await work
        self.add(name, time.perf_counter() - start)
        return result

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds)

    def pct(self, name: str, p: int) -> float:
        values = sorted(self.samples[name])
        return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000

    def line(self, name: str) -> str:
        n = len(self.samples[name])
        mean = statistics.fmean(self.samples[name]) * 1000
        return (
            f"  {name:<28} n={n:<6} p50 {self.pct(name, 50):7.2f} ms   "
            f"p95 {self.pct(name, 95):7.2f} ms   mean {mean:7.2f} ms"
        )


async def open_loop(flow: Callable[[int], Coroutine[None, None, None]]) -> None:
    """Calls arriving at RATE per second (Poisson, seeded), each handled by its own task."""
    rng = random.Random(1)
    loop = asyncio.get_running_loop()
    tasks = []
    at = loop.time()
    for i in range(int(RATE * DURATION)):
        at += rng.expovariate(RATE)
        await asyncio.sleep(max(0.0, at - loop.time()))
        tasks.append(asyncio.create_task(flow(i)))
    await asyncio.gather(*tasks)


def talk_time(i: int) -> float:
    return 0.2 + (i * 7919 % 1000) / 1250  # 0.2-1.0 s, the same for both ACDs


async def run_flows(flow: Callable[[int], Awaitable[None]]) -> float:
    """CALLS calls over CONCURRENCY concurrent flows; returns the wall time."""
    counter = iter(range(CALLS))

    async def worker() -> None:
        for i in counter:
            await flow(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - start


# --- Redis ACD ----------------------------------------------------------------------------
async def script_usec(redis: Redis) -> tuple[int, int]:
    """Redis's own count of EVALSHA calls and the microseconds spent in them (server-wide)."""
    stats = (await redis.info("commandstats")).get("cmdstat_evalsha", {})
    return int(stats.get("calls", 0)), int(stats.get("usec", 0))


async def bench_redis(redis: Redis) -> tuple[Timings, float]:
    acd = Acd(redis, uuid.uuid4())
    t = Timings()
    try:
        await acd.put_queue(QueueConfig(QUEUE, "b", wrap_up=False, no_answer=NoAnswer.READY))
        pipe_agents = [f"{5000 + i}" for i in range(AGENTS)]
        for agent in pipe_agents:
            await acd.put_agent(agent, "b")
            await acd.add_member(QUEUE, agent)
            await acd.sign_in(agent)

        async def arriving(i: int) -> None:
            d = await t.time("route (offer)", acd.offer(Call(f"o{i}", QUEUE, caller=f"+86{i}")))
            assert isinstance(d, Offered), d
            await t.time("answer", acd.answer(d.call_id, d.agent_id))
            await asyncio.sleep(talk_time(i))
            await t.time("hangup", acd.hangup(d.call_id))

        await open_loop(arriving)

        async def back_to_back(i: int) -> None:
            d = await acd.offer(Call(f"c{i}", QUEUE))
            assert isinstance(d, Offered), d
            await acd.answer(d.call_id, d.agent_id)
            await acd.hangup(d.call_id)

        calls0, usec0 = await script_usec(redis)
        wall = await run_flows(back_to_back)
        calls1, usec1 = await script_usec(redis)
        t.add("server time per decision", (usec1 - usec0) / max(1, calls1 - calls0) / 1e6)

        # Phase 2: everyone on a break, calls pile up, agents return one by one.
        for agent in pipe_agents:
            await acd.not_ready(agent, "break")
        for i in range(QUEUED_CALLS):
            await acd.offer(Call(f"q{i}", QUEUE, vip=i % 10 == 0))
        for agent in pipe_agents[:QUEUED_CALLS]:
            (d,) = await t.time("route (agent ready)", acd.agent_ready(agent))
            assert isinstance(d, Offered)
    finally:
        keys = [k async for k in redis.scan_iter(match=tenant_key(acd.tenant_id, "*"))]
        if keys:
            await redis.delete(*keys)
    return t, wall


# --- naive SQL-polling ACD ----------------------------------------------------------------
SCHEMA = """
CREATE TABLE agents (id int PRIMARY KEY, state text NOT NULL, idle_since timestamptz NOT NULL,
                     calls int NOT NULL DEFAULT 0);
CREATE INDEX agents_ready ON agents (idle_since) WHERE state = 'ready';
CREATE TABLE calls (id text PRIMARY KEY, state text NOT NULL, priority int NOT NULL,
                    arrived timestamptz NOT NULL DEFAULT clock_timestamp(), agent int);
CREATE INDEX calls_waiting ON calls (priority DESC, arrived) WHERE state = 'waiting';
"""

ASSIGN_ONE = """
WITH c AS (SELECT id FROM calls WHERE state = 'waiting' ORDER BY priority DESC, arrived
           LIMIT 1 FOR UPDATE SKIP LOCKED),
     a AS (SELECT id FROM agents WHERE state = 'ready' ORDER BY idle_since
           LIMIT 1 FOR UPDATE SKIP LOCKED),
     ua AS (UPDATE agents SET state = 'ringing' FROM a, c WHERE agents.id = a.id
            RETURNING agents.id)
UPDATE calls SET state = 'ringing', agent = ua.id FROM c, ua WHERE calls.id = c.id
RETURNING calls.id, calls.agent
"""


class SqlAcd:
    def __init__(self, pool: asyncpg.Pool, timings: Timings) -> None:
        self.pool = pool
        self.t = timings
        self.waiters: dict[str, asyncio.Future[int]] = {}
        self.stop = asyncio.Event()

    async def dispatcher(self) -> None:
        """One callcontrol node's polling loop: assign until nothing matches, then sleep."""
        async with self.pool.acquire() as conn:
            while not self.stop.is_set():
                while True:
                    start = time.perf_counter()
                    async with conn.transaction():
                        row = await conn.fetchrow(ASSIGN_ONE)
                    if row is None:
                        break
                    self.t.add("sql assign transaction", time.perf_counter() - start)
                    fut = self.waiters.pop(row["id"], None)
                    if fut is not None and not fut.done():
                        fut.set_result(row["agent"])
                await asyncio.sleep(POLL_INTERVAL)

    async def offer(self, call_id: str, priority: int = 0) -> int:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.waiters[call_id] = fut
        await self.pool.execute(
            "INSERT INTO calls (id, state, priority) VALUES ($1, 'waiting', $2)", call_id, priority
        )
        return await fut

    async def answer(self, call_id: str, agent: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE agents SET state = 'talking' WHERE id = $1", agent)
            await conn.execute("UPDATE calls SET state = 'talking' WHERE id = $1", call_id)

    async def hangup(self, call_id: str, agent: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE agents SET state = 'ready', idle_since = clock_timestamp(), "
                "calls = calls + 1 WHERE id = $1",
                agent,
            )
            await conn.execute("UPDATE calls SET state = 'ended' WHERE id = $1", call_id)


async def bench_sql(dsn: str) -> tuple[Timings, float]:
    t = Timings()
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=20)
    try:
        await pool.execute(SCHEMA)
        await pool.execute(
            "INSERT INTO agents (id, state, idle_since) "
            "SELECT g, 'ready', clock_timestamp() FROM generate_series(1, $1) g",
            AGENTS,
        )
        sql = SqlAcd(pool, t)
        dispatchers = [asyncio.create_task(sql.dispatcher()) for _ in range(DISPATCHERS)]

        async def arriving(i: int) -> None:
            agent = await t.time("route (insert->assigned)", sql.offer(f"o{i}"))
            await t.time("answer", sql.answer(f"o{i}", agent))
            await asyncio.sleep(talk_time(i))
            await t.time("hangup", sql.hangup(f"o{i}", agent))

        await open_loop(arriving)
        assign = t.samples.pop("sql assign transaction")

        async def back_to_back(i: int) -> None:
            agent = await sql.offer(f"c{i}")
            await sql.answer(f"c{i}", agent)
            await sql.hangup(f"c{i}", agent)

        wall = await run_flows(back_to_back)
        t.samples["sql assign transaction"] = assign
        sql.stop.set()
        await asyncio.gather(*dispatchers)
    finally:
        await pool.close()
    return t, wall


async def with_scratch_db(work: Callable[[str], Awaitable[T]]) -> T:
    admin_url = get_settings().database_superuser_url
    name = f"fastline_acd_bench_{os.getpid()}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await work(admin_url.rsplit("/", 1)[0] + "/" + name)
        finally:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def main() -> None:
    redis_url = os.environ.get("ACD_BENCH_REDIS_URL", get_settings().redis_url)
    redis = Redis.from_url(redis_url, decode_responses=True)
    print(
        f"{AGENTS} agents; latency: {RATE} calls/s for {DURATION:.0f} s; "
        f"throughput: {CALLS} calls over {CONCURRENCY} concurrent flows"
    )
    try:
        r, r_wall = await bench_redis(redis)
    finally:
        await redis.aclose()
    s, s_wall = await with_scratch_db(bench_sql)

    print(f"\nRedis ACD (one atomic Lua script per decision), {redis_url}")
    for name in ("route (offer)", "answer", "hangup", "route (agent ready)"):
        print(r.line(name))
    r_rate = CALLS / r_wall
    print(
        f"  back to back: {r_rate:,.0f} calls/s routed and served ({3 * r_rate:,.0f} decisions/s)"
    )
    per = r.samples["server time per decision"][0]
    print(
        f"  Redis server time per decision {per * 1e6:.0f} us: one Redis shard could make "
        f"{1 / per:,.0f} decisions/s; this single Python client process is the limit here"
    )

    print(
        f"\nSQL-polling ACD ({DISPATCHERS} dispatchers, poll every {POLL_INTERVAL * 1000:.0f} ms)"
    )
    for name in ("route (insert->assigned)", "sql assign transaction", "answer", "hangup"):
        print(s.line(name))
    s_rate = CALLS / s_wall
    print(
        f"  back to back: {s_rate:,.0f} calls/s routed and served ({3 * s_rate:,.0f} decisions/s)"
    )

    p95 = r.pct("route (offer)", 95)
    print("\nRatios (SQL / Redis):")
    print(
        f"  routing latency p50: "
        f"{s.pct('route (insert->assigned)', 50) / r.pct('route (offer)', 50):6.1f}x"
    )
    print(f"  routing latency p95: {s.pct('route (insert->assigned)', 95) / p95:6.1f}x")
    print(
        f"  bare decision p50 (assign transaction vs offer script): "
        f"{s.pct('sql assign transaction', 50) / r.pct('route (offer)', 50):6.1f}x"
    )
    print(f"  decisions per second (back to back): {r_rate / s_rate:6.1f}x")
    goal = p95 < 10 and s.pct("route (insert->assigned)", 95) / p95 >= 10
    print(f"\nGoal (>= 10x faster routing, p95 < 10 ms): {'met' if goal else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
