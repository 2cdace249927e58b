"""The dialer runtime (DIAL-2): running campaigns actually place calls.

It runs INSIDE the callcontrol process (`fastline callcontrol` starts it through
`running_dialer`; `FASTLINE_DIALER=0` turns it off), because every attempt is a B2BUA call:
its SIP legs, its rtpengine media and the call-progress tap live there
(`app/callcontrol/outbound.py`). A separate process would have to hand each call to
callcontrol and hear back its outcome; here it is one `await`.

Every `tick` seconds, for each running progressive, predictive or notification campaign of the
tenants it serves (preview campaigns are dialled by agents through `/leads/{id}/dial`):
1. the campaign's live state from the ACD in Redis (`CampaignSnapshot`): its agents ready,
   talking or in wrap-up (with time in state), its calls ringing and its answered calls still
   waiting for an agent;
2. how many lines to dial: progressive 1:1 (a line per ready agent; each line reserves its
   agent in the ACD before it is dialled, so no inbound queue takes the agent while the
   customer's phone rings); predictive: `PacingModel.decide` (app/dialer/pacing.py, fed each
   outcome); notification (DIAL-8, no agents): every free channel; never more than the
   campaign's `max_channels` in flight;
3. `next_leads` reserves that many leads (windows, DNC, retry delays and limits apply) and
   `start_attempt` records each, in one transaction; then each lead is dialled on the
   campaign's trunk with its caller ID, and `finish_attempt` stores the outcome, the CPA
   verdict and its decision time, and schedules the retry.

Campaigns are re-read from Postgres every `refresh` seconds (status, agents, trunk) and just
before reserving leads; the ACD state is read from Redis each tick; nothing else polls.
Each campaign's agents take its calls through an ACD queue of its own, `dialer-<campaign id>`
(kept in Redis only; re-made at each refresh, since `sync_tenant` drops memberships Postgres
does not know).

Known limits: one dialer node per tenant is assumed for pacing (leads are never given twice,
`FOR UPDATE SKIP LOCKED`, but a node only counts its own ringing calls); the pacing model's
history is in memory and starts again at process start (progressive 1:1 until it has enough
outcomes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.credit import CreditDecision, may_dial
from app.callcontrol import routing
from app.callcontrol.outbound import ANSWER_LISTEN, CANCEL_WAIT, DialOutcome, OutboundCall, place
from app.callcontrol.prompts import write_prompt
from app.db.base import utcnow
from app.db.session import platform_session, tenant_session
from app.dialer.campaigns import campaign_agents, pacing_config
from app.dialer.leads import finish_attempt, mask_number, next_leads, start_attempt
from app.dialer.messages import CampaignAudio, audio_settings, campaign_audio
from app.dialer.models import Campaign, CampaignMode, CampaignStatus, Lead, Outcome
from app.dialer.pacing import AgentPhase, BusyAgent, CampaignSnapshot, PacingModel
from app.edge.models import Trunk
from app.lib.events import add_event
from app.lib.keys import tenant_key
from app.seats.acd import (
    Acd,
    AcdError,
    AcdTimer,
    AgentState,
    AgentStatus,
    Offered,
    QueueConfig,
)
from app.seats.acd import Call as AcdCall

if TYPE_CHECKING:
    from app.callcontrol.b2bua import B2bua

log = logging.getLogger(__name__)

AGENT_RING = 10.0  # seconds an agent's seat rings for a connected dialer call
WRAP_UP = 10.0  # seconds of after-call work before the agent is ready for the next lead
ABANDON_FILE = "dialer-abandon.wav"
# The built-in abandonment message until the campaign names a recorded prompt: two soft notes.
ABANDON_TONES = ((523.25, 0.4), (392.0, 0.6))
DIALLING_MODES = (CampaignMode.PROGRESSIVE, CampaignMode.PREDICTIVE, CampaignMode.NOTIFICATION)


PACING_TTL = 7 * 24 * 3600  # a saved pacing state outlives a long pause, not a forgotten one


def pacing_key(tenant_id: UUID, campaign_id: UUID) -> str:
    """JSON {savedAt: epoch seconds, state: PacingModel.to_dict()} of a predictive campaign."""
    return tenant_key(tenant_id, "dialer", "pacing", str(campaign_id))


def queue_id_for(campaign_id: UUID) -> str:
    return f"dialer-{campaign_id}"


CREDIT_EVERY = 15.0  # seconds between two credit checks of one tenant


@dataclass
class InFlight:
    call_key: str
    lead_id: UUID
    started: float  # monotonic


@dataclass
class LiveCampaign:
    """What the runtime keeps of one running campaign between ticks."""

    campaign: Campaign
    agents: list[str] = field(default_factory=list)
    trunk: routing.TrunkTarget | None = None
    abandon_prompt: Path | None = None
    audio: CampaignAudio = field(default_factory=CampaignAudio)  # DIAL-8, machine message
    audio_of: tuple[object, ...] = ()  # the settings `audio` was resolved from
    model: PacingModel | None = None
    inflight: dict[str, InFlight] = field(default_factory=dict)
    queue_ready: bool = False
    last_decision: str = ""

    @property
    def id(self) -> UUID:
        return self.campaign.id

    @property
    def tenant_id(self) -> UUID:
        return self.campaign.tenant_id

    @property
    def notification(self) -> bool:
        return self.campaign.mode == CampaignMode.NOTIFICATION

    @property
    def reserves_agents(self) -> bool:
        return self.campaign.mode == CampaignMode.PROGRESSIVE


class DialerRuntime:
    def __init__(
        self,
        b2bua: B2bua,
        *,
        tenants: Iterable[UUID] | None = None,
        tick: float = 1.0,
        refresh: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.b2bua = b2bua
        self.redis = b2bua.redis
        self.tenants = list(tenants) if tenants is not None else None
        self.tick = tick
        self.refresh_every = refresh
        self.clock = clock
        self.campaigns: dict[UUID, LiveCampaign] = {}
        self.finished: list[DialOutcome] = []  # recent outcomes (tests, logs)
        self._attempts: set[asyncio.Task[None]] = set()
        self._timers: dict[UUID, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._refreshed = -1e9
        self._wake = asyncio.Event()
        # BILL-2: each tenant's credit decision, checked at most every CREDIT_EVERY seconds.
        self._credit: dict[UUID, tuple[float, CreditDecision]] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dialer")

    def wake(self, refresh: bool = False) -> None:
        """Tick now (and re-read campaigns first if `refresh`)."""
        if refresh:
            self._refreshed = -1e9
        self._wake.set()

    async def close(self, wait: float = 10.0) -> None:
        """Stop dialling; attempts in progress run to their end (up to `wait` s) so that each
        is stored; the B2BUA's own close hangs up whatever is left."""
        tasks = [t for t in (self._task, *self._timers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._attempts:
            await asyncio.wait(list(self._attempts), timeout=wait)
        try:
            await self.save_pacing()  # with the outcomes of the attempts that just ended
        except Exception:  # a dead Redis must not stop the shutdown
            log.exception("pacing state not saved")

    async def _run(self) -> None:
        while True:
            try:
                if time.monotonic() - self._refreshed >= self.refresh_every:
                    await self.refresh()
                for live in list(self.campaigns.values()):
                    await self.pace(live)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dialer tick failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick)

    # -- campaigns ------------------------------------------------------------------------

    async def refresh(self) -> None:
        self._refreshed = time.monotonic()
        tenants = self.tenants if self.tenants is not None else await active_tenants()
        seen: set[UUID] = set()
        for tenant_id in tenants:
            async with tenant_session(tenant_id) as session:
                rows = list(await session.scalars(select(Campaign).where(
                    Campaign.tenant_id == tenant_id,
                    Campaign.status == CampaignStatus.RUNNING,
                    Campaign.mode.in_([m.value for m in DIALLING_MODES]),
                )))  # fmt: skip
                for c in rows:
                    seen.add(c.id)
                    live = self.campaigns.get(c.id) or LiveCampaign(c)
                    live.campaign = c
                    live.agents = [str(a) for a in await campaign_agents(session, c)]
                    live.trunk = await _trunk(session, c)
                    live.abandon_prompt = await self._abandon_prompt(c)
                    if live.audio_of != audio_settings(c):  # TTS rendered once per campaign
                        live.audio, live.audio_of = await campaign_audio(c), audio_settings(c)
                    if c.mode == CampaignMode.PREDICTIVE and live.model is None:
                        live.model = await self._restored_model(c)
                    self.campaigns[c.id] = live
                session.expunge_all()
        await self.save_pacing()
        for cid in [cid for cid in self.campaigns if cid not in seen]:
            del self.campaigns[cid]  # paused or finished: calls in flight run to their end
        for live in self.campaigns.values():
            await self._ensure_queue(live)
            self._ensure_timer(live.tenant_id)

    # -- the pacer's learnt state survives a restart (Redis) ----------------------------------

    async def _restored_model(self, c: Campaign) -> PacingModel:
        """The campaign's pacer, going on from what it had learnt before this process started
        (another node's or an earlier run's, saved by `save_pacing`), else a fresh one (1:1
        warm-up). The time spent offline ages the rolling abandonment window."""
        raw = await self.redis.get(pacing_key(c.tenant_id, c.id))
        if raw:
            try:
                saved = json.loads(raw)
                offline = max(0.0, time.time() - float(saved["savedAt"]))
                return PacingModel.from_dict(
                    saved["state"], time.monotonic(), pacing_config(c), offline=offline
                )
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("campaign %s: pacing state not restored: %s", c.id, exc)
        return PacingModel(pacing_config(c))

    async def save_pacing(self) -> None:
        """Every predictive campaign's learnt pacing state, at each refresh and on close."""
        models = [(live, live.model) for live in self.campaigns.values() if live.model]
        if not models:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for live, model in models:
                saved = {"savedAt": time.time(), "state": model.to_dict(time.monotonic())}
                pipe.set(pacing_key(live.tenant_id, live.id), json.dumps(saved), ex=PACING_TTL)
            await pipe.execute()

    async def _abandon_prompt(self, c: Campaign) -> Path:
        if c.abandon_prompt_id is not None:
            from app.ivr_builder.models import IvrPrompt
            from app.lib.storage import get_storage, local_file

            async with tenant_session(c.tenant_id) as session:
                prompt = await session.get(IvrPrompt, (c.tenant_id, c.abandon_prompt_id))
            if prompt is not None and (path := await local_file(get_storage(), prompt.object_key)):
                return path
            log.warning("campaign %s: abandonment prompt %s not found", c.id, c.abandon_prompt_id)
        path = self.b2bua.config.prompt_dir / ABANDON_FILE
        if not path.exists():
            write_prompt(path, ABANDON_TONES)
        return path.resolve()

    async def _ensure_queue(self, live: LiveCampaign) -> None:
        """The campaign's ACD queue with its agents (those with an agent profile)."""
        from app.seats.queues import ensure_synced

        if live.notification:
            live.queue_ready = True  # DIAL-8: nobody to connect to
            return
        await ensure_synced(self.redis, live.tenant_id)
        acd = Acd(self.redis, live.tenant_id)
        statuses = await self._statuses(acd, live.agents)
        business = str(live.campaign.business_id or "")
        if not business and statuses:
            business = next(iter(statuses.values())).business_id
        if not business:
            return
        qid = queue_id_for(live.id)
        # A progressive line holds its agent from the dial on (the ACD's ring timer frees the
        # agent if this node dies meanwhile); the seat itself rings AGENT_RING seconds.
        hold = reservation_seconds(live.campaign) if live.reserves_agents else AGENT_RING
        try:
            config = QueueConfig(
                qid, business, ring_timeout=hold, max_wait=0.0, acw_timeout=WRAP_UP
            )
            await acd.put_queue(config)
            for agent, status in statuses.items():
                if status.business_id == business and qid not in status.queues:
                    await acd.add_member(qid, agent)
            members = f"{acd.prefix}:queue:{qid}:members"  # acd.lua's key('queue', q, 'members')
            for agent in await self.redis.zrange(members, 0, -1):
                if agent not in statuses:  # taken off the campaign since
                    await acd.remove_member(qid, agent)
            live.queue_ready = True
        except AcdError as exc:
            log.warning("campaign %s: ACD queue not set up: %s", live.id, exc)

    def _ensure_timer(self, tenant_id: UUID) -> None:
        """Wrap-up ends (agents back to ready) need the tenant's AcdTimer; two are harmless."""
        task = self._timers.get(tenant_id)
        if task is None or task.done():
            timer = AcdTimer([Acd(self.redis, tenant_id)])
            self._timers[tenant_id] = asyncio.create_task(timer.run(), name="dialer-acd-timer")

    @staticmethod
    async def _statuses(acd: Acd, agents: list[str]) -> dict[str, AgentStatus]:
        out: dict[str, AgentStatus] = {}
        for agent in agents:
            try:
                out[agent] = await acd.agent_status(agent)
            except AcdError:
                continue  # no agent profile: cannot take calls
        return out

    # -- pacing -------------------------------------------------------------------------------

    async def snapshot(self, live: LiveCampaign) -> CampaignSnapshot:
        acd = Acd(self.redis, live.tenant_id)
        qid = queue_id_for(live.id)
        idle, busy = 0, []
        for status in (await self._statuses(acd, live.agents)).values():
            if qid not in status.queues:
                continue
            if status.state is AgentState.READY:
                idle += 1
            elif status.state in (AgentState.TALKING, AgentState.HOLD, AgentState.RINGING):
                busy.append(BusyAgent(AgentPhase.TALK, status.in_state))
            elif status.state is AgentState.AFTER_CALL_WORK:
                busy.append(BusyAgent(AgentPhase.WRAP_UP, status.in_state))
        ringing, waiting = [], 0
        now = time.monotonic()
        for flight in live.inflight.values():
            session = self.b2bua.sessions.get(flight.call_key)
            if session is None or session.call.answered_at is None:
                ringing.append(now - flight.started)
            elif session.call.bridged_at is None:
                waiting += 1
        return CampaignSnapshot(idle, tuple(busy), tuple(ringing), waiting)

    async def pace(self, live: LiveCampaign) -> int:
        """One pacing decision for the campaign; returns the number of calls placed."""
        if not live.queue_ready or live.trunk is None:
            return 0
        if live.notification:
            if live.audio.problem:
                live.last_decision = live.audio.problem  # nothing to say: dial nobody
                return 0
            lines, live.last_decision = live.campaign.max_channels, "notification"
        elif live.model is not None:
            snap = await self.snapshot(live)
            decision = live.model.decide(time.monotonic(), snap)
            lines, live.last_decision = decision.lines, f"{decision.mode}: {decision.reason}"
        else:
            # An agent with a ringing line is reserved (not ready): each ready agent is free.
            snap = await self.snapshot(live)
            lines = max(snap.idle_agents - snap.waiting_answered, 0)
            live.last_decision = "progressive 1:1"
        lines = min(lines, live.campaign.max_channels - len(live.inflight))
        if lines <= 0:
            return 0
        credit = await self.credit(live.tenant_id)
        if not credit:
            live.last_decision = credit.reason  # over its credit limit: dial nothing
            return 0
        return await self.dial(live, lines)

    async def credit(self, tenant_id: UUID) -> CreditDecision:
        """BILL-2: a tenant over its credit limit places no campaign call."""
        checked = self._credit.get(tenant_id)
        if checked is None or time.monotonic() - checked[0] > CREDIT_EVERY:
            checked = self._credit[tenant_id] = (time.monotonic(), await may_dial(tenant_id))
        return checked[1]

    async def dial(self, live: LiveCampaign, lines: int) -> int:
        now = self.clock()
        planned: list[tuple[UUID, UUID, str, str]] = []
        reserved: list[str] = []
        tenant_id = live.tenant_id
        try:
            async with tenant_session(tenant_id) as session:
                campaign = await session.get(Campaign, (tenant_id, live.id))
                if campaign is None or campaign.status != CampaignStatus.RUNNING:
                    self.campaigns.pop(live.id, None)
                    return 0
                leads = await next_leads(session, campaign, now, lines)
                for n, lead in enumerate(leads):
                    key = uuid.uuid4().hex
                    if live.reserves_agents:
                        if not await self._reserve_agent(live, key, mask_number(lead.phone)):
                            await _unreserve(session, tenant_id, [d.lead_id for d in leads[n:]],
                                             now)  # fmt: skip
                            break
                        reserved.append(key)
                    row = await session.get(Lead, (tenant_id, lead.lead_id))
                    assert row is not None
                    attempt = await start_attempt(session, row, now, call_key=key)
                    planned.append((lead.lead_id, attempt.id, key, lead.phone))
        except BaseException:
            acd = Acd(self.redis, tenant_id)
            for key in reserved:  # nothing dialled: the agents are free again
                with contextlib.suppress(AcdError):
                    await acd.release(key)
            raise
        for lead_id, attempt_id, key, phone in planned:
            live.inflight[key] = InFlight(key, lead_id, time.monotonic())
            task = asyncio.create_task(self._attempt(live, lead_id, attempt_id, key, phone))
            self._attempts.add(task)
            task.add_done_callback(self._attempts.discard)
        return len(planned)

    async def _reserve_agent(self, live: LiveCampaign, key: str, masked: str) -> bool:
        """DIAL-2 progressive: take a ready agent of the campaign for this line now, before it
        rings (the ACD call `key`, in state ringing); False when none is free after all."""
        acd = Acd(self.redis, live.tenant_id)
        node = f"{self.b2bua.config.sip_host}:{self.b2bua.config.sip_port}"
        call = AcdCall(call_id=key, queue_id=queue_id_for(live.id), caller=masked, node=node)
        try:
            decision = await acd.offer(call)
        except AcdError as exc:
            log.warning("campaign %s: no agent reserved: %s", live.id, exc)
            return False
        if isinstance(decision, Offered):
            return True
        with contextlib.suppress(AcdError):
            await acd.release(key)  # queued: nobody is free, so this line is not dialled
        return False

    async def _attempt(
        self, live: LiveCampaign, lead_id: UUID, attempt_id: UUID, key: str, phone: str
    ) -> None:
        c, trunk = live.campaign, live.trunk
        assert trunk is not None
        started = time.monotonic()
        req = OutboundCall(
            call_key=key,
            tenant_id=c.tenant_id,
            campaign_id=c.id,
            number=phone,
            masked=mask_number(phone),
            caller_id=c.caller_id or trunk.caller_id,
            trunk=trunk,
            ring_timeout=c.min_ring_seconds or 15.0,
            queue_id=None if live.notification else queue_id_for(c.id),
            business_id=c.business_id,
            abandon_prompt=live.abandon_prompt,
            machine_message=live.audio.machine,
            lead_id=lead_id,
            attempt_id=attempt_id,
            message=live.audio.message if live.notification else None,
            survey=live.audio.survey if live.notification else None,
            reserved=live.reserves_agents,
            agent_ring=AGENT_RING,
        )
        try:
            result = await place(self.b2bua, req)
        except Exception:
            log.exception("campaign %s: attempt %s failed", c.id, attempt_id)
            result = DialOutcome(key, Outcome.FAILED, ended_at=utcnow())
        finally:
            live.inflight.pop(key, None)
        await asyncio.shield(self._store(live, lead_id, attempt_id, req, result, started))

    async def _store(
        self,
        live: LiveCampaign,
        lead_id: UUID,
        attempt_id: UUID,
        req: OutboundCall,
        result: DialOutcome,
        started: float,
    ) -> None:
        tenant_id = live.tenant_id
        ended = result.ended_at or utcnow()
        async with tenant_session(tenant_id) as session:
            await finish_attempt(
                session, tenant_id, attempt_id, result.outcome, ended,
                answered_at=result.answered_at, sip_status=result.sip_status,
                cpa_verdict=result.verdict, cpa_decision_ms=result.decision_ms,
                agent_id=result.agent_id, survey_key=result.survey_key,
                survey_label=result.survey_label, message_ms=result.message_ms,
            )  # fmt: skip
        self.finished.append(result)
        del self.finished[:-1000]
        self._learn(live, result, started)
        await add_event(
            self.redis, tenant_id, "dialer.attempt.finished",
            campaignId=str(live.id), leadId=str(lead_id), attemptId=str(attempt_id),
            callKey=result.call_key, phone=req.masked, outcome=str(result.outcome),
            cpaVerdict=result.verdict or "", cpaDecisionMs=result.decision_ms or 0,
            sipStatus=result.sip_status or 0, surveyKey=result.survey_key or "",
        )  # fmt: skip
        self.wake()  # a line is free: pace again now

    @staticmethod
    def _learn(live: LiveCampaign, result: DialOutcome, started: float) -> None:
        model = live.model
        if model is None:
            return
        live_answer = result.outcome in (Outcome.ANSWERED, Outcome.ABANDONED)
        seconds = time.monotonic() - started - result.talk_seconds
        model.stats.record_attempt(live_answer, max(seconds, 0.0))
        if live_answer:
            model.record_answer(time.monotonic(), result.outcome == Outcome.ABANDONED)
        if result.outcome == Outcome.ANSWERED:
            model.stats.record_talk(result.talk_seconds)
            model.stats.record_wrap_up(WRAP_UP)


def reservation_seconds(c: Campaign) -> float:
    """How long the ACD holds a progressive line's agent at most: the ring time, the 487 after
    our CANCEL, answer detection, the seat's own ringing."""
    return (c.min_ring_seconds or 15.0) + CANCEL_WAIT + ANSWER_LISTEN + AGENT_RING + 5.0


async def _unreserve(session: AsyncSession, tenant_id: UUID, lead_ids: list[UUID],
                     now: datetime) -> None:  # fmt: skip
    """Leads picked for lines that could not get an agent: dialable again at once."""
    if lead_ids:
        await session.execute(
            update(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.id.in_(lead_ids))
            .values(reserved_until=now)
            .execution_options(synchronize_session=False)
        )


async def active_tenants() -> list[UUID]:
    from app.tenants.models import Tenant

    async with platform_session() as session:
        return list(await session.scalars(select(Tenant.id).where(Tenant.status == "active")))


async def _trunk(session: AsyncSession, c: Campaign) -> routing.TrunkTarget | None:
    if c.trunk_id is None:
        return await routing.outbound_trunk(c.tenant_id, c.business_id)
    trunk = await session.scalar(
        select(Trunk).where(Trunk.tenant_id == c.tenant_id, Trunk.id == c.trunk_id)
    )
    if trunk is None or not trunk.is_active:
        return None
    return routing.TrunkTarget(
        trunk.id, trunk.host, trunk.port, trunk.transport, trunk.username, trunk.password,
        trunk.caller_id,
    )  # fmt: skip


@asynccontextmanager
async def running_dialer(
    b2bua: B2bua,
    *,
    tenants: Iterable[UUID] | None = None,
    tick: float = 1.0,
    refresh: float = 10.0,
) -> AsyncIterator[DialerRuntime | None]:
    """The dialer beside a running B2BUA (callcontrol's `serve`); off with FASTLINE_DIALER=0."""
    if os.environ.get("FASTLINE_DIALER", "1") != "1":
        yield None
        return
    runtime = DialerRuntime(b2bua, tenants=tenants, tick=tick, refresh=refresh)
    runtime.start()
    try:
        yield runtime
    finally:
        await runtime.close()
