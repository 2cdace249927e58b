"""`fastline callcontrol`: the B2BUA process (SIP endpoint, rtpengine client, DTMF listener,
command consumer) until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.callcontrol.b2bua import B2bua
from app.callcontrol.commands import CommandConsumer, run_forever
from app.callcontrol.config import CallcontrolConfig, get_config
from app.callcontrol.media.dtmf import DtmfListener
from app.callcontrol.media.ng import NgClient
from app.callcontrol.prompts import default_prompt
from app.callcontrol.sip.transaction import Timers
from app.lib.redis import get_redis

log = logging.getLogger(__name__)

GC_YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)


@asynccontextmanager
async def running_b2bua(
    config: CallcontrolConfig, timers: Timers | None = None
) -> AsyncIterator[B2bua]:
    """A started B2BUA with its command consumer; everything closed on exit."""
    redis = get_redis()
    dtmf = await DtmfListener.listen(*config.dtmf_listen)
    ng = NgClient(config.rtpengine_ng)
    b2bua = B2bua(
        config,
        redis=redis,
        ng=ng,
        dtmf=dtmf,
        prompt=default_prompt(config.prompt_dir),
        timers=timers,
    )
    await b2bua.start()
    consumer = asyncio.create_task(run_forever(CommandConsumer(redis, b2bua)))
    try:
        yield b2bua
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer
        await b2bua.close()
        ng.close()
        dtmf.close()


async def serve(config: CallcontrolConfig | None = None) -> None:
    config = config or get_config()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from app.dialer.runtime import running_dialer  # DIAL-2: campaigns dial from this process

    async with running_b2bua(config) as b2bua, running_dialer(b2bua):
        settle_gc()
        log.info(
            "callcontrol listening on %s:%s (udp+tcp), rtpengine %s",
            config.sip_host,
            b2bua.endpoint.port,
            config.rtpengine_ng,
        )
        await stop.wait()


def settle_gc() -> None:
    """Once the process is up: what is alive now (modules, settings, compiled statements, a
    few hundred thousand objects that live as long as the process) is frozen out of the cyclic
    collector's sight, and young collections run less often. Every full collection scanned them
    all while the calls waited (bench/sip_setup.py: set-up delay p95 and CPU per call). A call's
    objects are freed by reference counting; the collector only finds the rare cycles."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


def run() -> None:
    """`serve()` on uvloop when it is installed (less CPU per call in the event loop and
    transports, measured with bench/sip_setup.py), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve())
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve())
