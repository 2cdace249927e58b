"""SEAT-3: offers and agents becoming ready race from many tasks and two processes at once.

Two "callcontrol nodes" run as separate processes, a third in the test's event loop with several
tasks. Afterwards the tenant's event stream — written in the same atomic step as each change —
must show that no agent was ever reserved for two calls and that no call was lost or served twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from app.seats.acd import Acd, AgentState, Call, IllegalTransition, NoAnswer, Offered
from tests.integration.seats.acd_node import QUEUE, NodeReport, drive, run_node
from tests.integration.seats.conftest import events, setup_queue

pytestmark = pytest.mark.feature("SEAT-3")

ROOT = Path(__file__).resolve().parents[3]
NODE_SCRIPT = Path(__file__).with_name("acd_node.py")
AGENTS = [f"{1000 + i}" for i in range(8)]
CALLS_PER_TASK = 120


async def start_process_node(acd: Acd, node: str, seed: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(NODE_SCRIPT),
        str(acd.tenant_id),
        node,
        str(CALLS_PER_TASK),
        "2",
        str(seed),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def drain(acd: Acd, rep: NodeReport) -> None:
    """Bring every agent back until no call waits."""
    rng = random.Random(0)
    for _ in range(200):
        for agent in AGENTS:
            try:
                await drive(acd, await acd.agent_ready(agent), rng, rep)
            except IllegalTransition:
                pass
        if (await acd.queue_status(QUEUE)).waiting == 0:
            return
    raise AssertionError("calls still waiting after draining")


async def test_no_double_reservation_no_lost_call(acd: Acd) -> None:
    await setup_queue(acd, AGENTS, queue_id=QUEUE, wrap_up=False, no_answer=NoAnswer.NOT_READY)
    for agent in AGENTS:
        await acd.sign_in(agent)
    procs = [await start_process_node(acd, f"cc-{n}", seed=100 * n) for n in (1, 2)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdin is not None
        assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"ready\n"
    for proc in procs:
        proc.stdin.write(b"go\n")  # type: ignore[union-attr]
    local = await run_node(acd, "cc-0", CALLS_PER_TASK, 4, 7, AGENTS)
    reports = [local]
    for proc in procs:
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        reports.append(NodeReport(**json.loads(out)))
    tail = NodeReport()
    await drain(acd, tail)
    reports.append(tail)
    # The three nodes really overlapped in time.
    assert max(r.started for r in reports[:3]) < min(r.finished for r in reports[:3])

    errors = [e for r in reports for e in r.errors]
    assert errors == []
    created = [c for r in reports for c in r.created]
    assert len(created) == len(set(created)) == CALLS_PER_TASK * (4 + 2 + 2)
    assert sum(r.illegal for r in reports) > 0  # the races did happen

    stream = await events(acd)
    check_agents_never_double_booked(stream)
    check_every_call_served_once(stream, created)
    for agent in AGENTS:
        assert (await acd.agent_status(agent)).state in {AgentState.READY, AgentState.NOT_READY}


def check_agents_never_double_booked(stream: list[dict[str, str]]) -> None:
    state: dict[str, str] = defaultdict(lambda: "signed_out")
    holding: dict[str, str] = {}
    for i, e in enumerate(stream):
        if e["type"] == "agent_state":
            agent = e["agent"]
            # Each change starts from the state the previous one left: one writer at a time.
            assert e["from"] == state[agent], (i, e)
            state[agent] = e["to"]
            if e["to"] == "ringing":
                assert agent not in holding, f"{agent} reserved for {holding[agent]} and {e}"
                holding[agent] = e["call"]
            elif e["to"] not in {"talking", "hold"}:
                holding.pop(agent, None)
        elif e["type"] == "call_offered":
            # The reservation and the offer are one atomic step: adjacent in the stream.
            prev = stream[i - 1]
            assert (prev["type"], prev["agent"], prev["to"], prev["call"]) == (
                "agent_state",
                e["agent"],
                "ringing",
                e["call"],
            )


def check_every_call_served_once(stream: list[dict[str, str]], created: list[str]) -> None:
    answered = Counter(e["call"] for e in stream if e["type"] == "call_answered")
    ended = Counter(e["call"] for e in stream if e["type"] == "call_ended")
    assert set(answered) == set(created), "a call was lost"
    assert max(answered.values()) == 1, "a call was answered twice"
    assert ended == answered


async def test_many_tasks_offering_at_once_never_share_an_agent(acd: Acd) -> None:
    await setup_queue(acd, AGENTS, queue_id=QUEUE)
    for agent in AGENTS:
        await acd.sign_in(agent)
    decisions = await asyncio.gather(*(acd.offer(Call(f"c{i}", QUEUE)) for i in range(50)))
    offered = [d.agent_id for d in decisions if isinstance(d, Offered)]
    assert sorted(offered) == sorted(AGENTS)
    assert (await acd.queue_status(QUEUE)).waiting == 50 - len(AGENTS)
