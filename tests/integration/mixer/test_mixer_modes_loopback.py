"""The mixer over real loopback UDP: three parties speak their own tone, an FFT of what each
one receives shows exactly whom it hears (customer 500 Hz, agent 1100 Hz, supervisor 1700 Hz)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from mixer_parties import (
    Party,
    assert_hears_only,
    assert_one_clean_stream,
    audio,
)

from app.callcontrol.media.g711 import Law
from app.callcontrol.media.mixer import MixClock, Mixer, Mode, PortAllocator, Role

TONES = {"customer": 500.0, "agent": 1100.0, "supervisor": 1700.0}
EVERYONE = list(TONES.values())
SPEAK_SECONDS = 1.5
WARMUP_PACKETS = 10  # jitter-buffer prefill and the parties' staggered start

# Whom each party hears, by mode (the hear matrix of mixer.py's docstring).
HEARS = {
    Mode.CONFERENCE: {
        "customer": {"agent", "supervisor"},
        "agent": {"customer", "supervisor"},
        "supervisor": {"customer", "agent"},
    },
    Mode.LISTEN: {
        "customer": {"agent"},
        "agent": {"customer"},
        "supervisor": {"customer", "agent"},
    },
    Mode.WHISPER: {
        "customer": {"agent"},
        "agent": {"customer", "supervisor"},
        "supervisor": {"customer", "agent"},
    },
    Mode.BARGE: {
        "customer": {"agent", "supervisor"},
        "agent": {"customer", "supervisor"},
        "supervisor": {"customer", "agent"},
    },
}


@pytest.fixture
async def parties() -> AsyncIterator[dict[str, Party]]:
    # Mixed laws on purpose: the mixer transcodes per listener.
    made = {
        "customer": await Party("customer", Role.CUSTOMER, TONES["customer"], Law.PCMU).open(),
        "agent": await Party("agent", Role.AGENT, TONES["agent"], Law.PCMA).open(),
        "supervisor": await Party(
            "supervisor", Role.SUPERVISOR, TONES["supervisor"], Law.PCMU
        ).open(),
    }
    yield made
    for party in made.values():
        party.close()


async def _join(room: Mixer, parties: dict[str, Party]) -> dict[str, tuple[str, int]]:
    ports = {}
    for name, party in parties.items():
        joined = await room.add_participant(
            name, remote=party.address, law=party.law, role=party.role
        )
        ports[name] = joined.local
    return ports


async def _all_speak(
    parties: dict[str, Party], ports: dict[str, tuple[str, int]], seconds: float
) -> None:
    await asyncio.gather(*(p.speak(ports[name], seconds) for name, p in parties.items()))
    await asyncio.sleep(0.1)  # the last frames leave the jitter buffers


def _check_mode(mode: Mode, parties: dict[str, Party], **window: float) -> None:
    for name, party in parties.items():
        allowed = [TONES[other] for other in HEARS[mode][name]]
        pcm = audio(party, skip=0 if window else WARMUP_PACKETS, **window)
        assert_hears_only(f"{name} in {mode.value}", pcm, allowed, EVERYONE)


def _check_csrcs(mode: Mode, parties: dict[str, Party]) -> None:
    # RFC 3550 7.1: the mixer lists whom it mixed; a withheld voice never appears there.
    for name, party in parties.items():
        allowed = {parties[other].ssrc for other in HEARS[mode][name]}
        listed = [set(h.csrcs) for h in party.heard]
        assert set().union(*listed) <= allowed, name
        assert sum(s == allowed for s in listed) > 0.8 * len(listed), name


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(Mode.CONFERENCE, marks=pytest.mark.feature("SEAT-6")),
        pytest.param(Mode.LISTEN, marks=pytest.mark.feature("SEAT-7")),
        pytest.param(Mode.WHISPER, marks=pytest.mark.feature("SEAT-7")),
        pytest.param(Mode.BARGE, marks=pytest.mark.feature("SEAT-7")),
    ],
)
async def test_each_party_hears_exactly_whom_the_mode_allows(
    mode: Mode, parties: dict[str, Party]
) -> None:
    async with Mixer(mode=mode, ports=PortAllocator(42000, 42999)) as room:
        ports = await _join(room, parties)
        await _all_speak(parties, ports, SPEAK_SECONDS)
        stats = room.stats()
    _check_mode(mode, parties)
    _check_csrcs(mode, parties)
    for name, party in parties.items():
        assert_one_clean_stream(party)
        assert stats[name].packets_in == round(SPEAK_SECONDS / 0.020)
        assert stats[name].late_drops <= 2 and stats[name].ignored == 0
        assert stats[name].packets_out >= len(party.heard) > 60


@pytest.mark.feature("SEAT-7")
async def test_supervisor_goes_listen_whisper_barge_without_restarting_the_room(
    parties: dict[str, Party],
) -> None:
    loop = asyncio.get_running_loop()
    phase = 0.7
    async with Mixer(mode=Mode.LISTEN, ports=PortAllocator(42000, 42999)) as room:
        ports = await _join(room, parties)
        ssrcs = {name: p.ssrc for name, p in room.participants.items()}
        speaking = asyncio.ensure_future(_all_speak(parties, ports, 3 * phase))
        start = loop.time()
        await asyncio.sleep(phase)
        room.set_mode(Mode.WHISPER)
        await asyncio.sleep(phase)
        room.set_mode(Mode.BARGE)
        await speaking
        assert {name: p.local for name, p in room.participants.items()} == ports
        assert {name: p.ssrc for name, p in room.participants.items()} == ssrcs
    margin = 0.15  # the jitter buffer delays each change by up to a few frames
    for k, mode in enumerate([Mode.LISTEN, Mode.WHISPER, Mode.BARGE]):
        window = {"since": start + k * phase + margin, "until": start + (k + 1) * phase}
        _check_mode(mode, parties, **window)
    for party in parties.values():
        assert_one_clean_stream(party)  # same SSRC, no sequence or timestamp jump


@pytest.mark.feature("SEAT-7")
async def test_one_clock_mixes_rooms_in_every_mode_at_once() -> None:
    clock = MixClock()
    clock.start()
    rooms, groups = [], []
    try:
        for mode in HEARS:
            group = {
                name: await Party(name, role, TONES[name], law).open()
                for name, role, law in [
                    ("customer", Role.CUSTOMER, Law.PCMA),
                    ("agent", Role.AGENT, Law.PCMU),
                    ("supervisor", Role.SUPERVISOR, Law.PCMA),
                ]
            }
            room = Mixer(clock=clock, mode=mode, ports=PortAllocator(42000, 42999))
            await room.start()
            rooms.append(room)
            groups.append((mode, group, await _join(room, group)))
        await asyncio.gather(*(_all_speak(group, ports, 1.0) for _, group, ports in groups))
    finally:
        for room in rooms:
            await room.close()
        await clock.stop()
        for _, group, _ in groups:
            for party in group.values():
                party.close()
    for mode, group, _ in groups:
        _check_mode(mode, group)
    assert clock.stats.resyncs == 0
