"""Mute, removal, address changes, and what the mixer refuses to mix, over loopback UDP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from mixer_parties import Party, assert_hears_only, audio, rtp

from app.callcontrol.media import g711
from app.callcontrol.media.g711 import Law
from app.callcontrol.media.mixer import Mixer, MixerError, Mode, PortAllocator, Role
from app.callcontrol.media.tones import sine

C_HZ, A_HZ, S_HZ, STRANGER_HZ = 500.0, 1100.0, 1700.0, 2500.0
EVERYONE = [C_HZ, A_HZ, S_HZ, STRANGER_HZ]


@pytest.fixture
async def trio() -> AsyncIterator[tuple[Party, Party, Party]]:
    made = (
        await Party("customer", Role.CUSTOMER, C_HZ, Law.PCMU).open(),
        await Party("agent", Role.AGENT, A_HZ, Law.PCMA).open(),
        await Party("supervisor", Role.SUPERVISOR, S_HZ, Law.PCMU).open(),
    )
    yield made
    for party in made:
        party.close()


async def _room_with(room: Mixer, *parties: Party) -> dict[str, tuple[str, int]]:
    ports = {}
    for p in parties:
        ports[p.name] = (
            await room.add_participant(p.name, remote=p.address, law=p.law, role=p.role)
        ).local
    return ports


@pytest.mark.feature("SEAT-6")
async def test_a_muted_agent_hears_the_room_but_nobody_hears_the_agent(
    trio: tuple[Party, Party, Party],
) -> None:
    customer, agent, supervisor = trio
    async with Mixer(mode=Mode.CONFERENCE, ports=PortAllocator(42000, 42999)) as room:
        ports = await _room_with(room, *trio)
        room.set_muted("agent")
        await asyncio.gather(*(p.speak(ports[p.name], 1.0) for p in trio))
        await asyncio.sleep(0.1)
    assert_hears_only("customer", audio(customer, skip=10), [S_HZ], EVERYONE)
    assert_hears_only("supervisor", audio(supervisor, skip=10), [C_HZ], EVERYONE)
    assert_hears_only("agent", audio(agent, skip=10), [C_HZ, S_HZ], EVERYONE)


@pytest.mark.feature("SEAT-7")
async def test_a_removed_supervisor_leaves_the_mix_and_gets_no_more_audio(
    trio: tuple[Party, Party, Party],
) -> None:
    customer, agent, supervisor = trio
    loop = asyncio.get_running_loop()
    async with Mixer(mode=Mode.BARGE, ports=PortAllocator(42000, 42999)) as room:
        ports = await _room_with(room, *trio)
        speaking = asyncio.ensure_future(
            asyncio.gather(*(p.speak(ports[p.name], 1.4) for p in trio))
        )
        await asyncio.sleep(0.7)
        room.remove_participant("supervisor")
        removed_at = loop.time()
        await speaking
        await asyncio.sleep(0.1)
        assert sorted(room.participants) == ["agent", "customer"]
        with pytest.raises(MixerError):
            room.set_muted("supervisor")
    assert_hears_only(
        "customer before", audio(customer, skip=10, until=removed_at), [A_HZ, S_HZ], EVERYONE
    )
    assert_hears_only("customer after", audio(customer, since=removed_at + 0.1), [A_HZ], EVERYONE)
    assert_hears_only("agent after", audio(agent, since=removed_at + 0.1), [C_HZ], EVERYONE)
    assert not [h for h in supervisor.heard if h.arrived > removed_at + 0.01]


@pytest.mark.feature("SEAT-6")
async def test_dtmf_events_and_strangers_are_not_mixed(trio: tuple[Party, Party, Party]) -> None:
    customer, agent, _ = trio
    stranger = await Party("stranger", Role.CUSTOMER, STRANGER_HZ, Law.PCMU).open()
    try:
        async with Mixer(mode=Mode.CONFERENCE, ports=PortAllocator(42000, 42999)) as room:
            ports = await _room_with(room, customer, agent)
            # The stranger sprays loud RTP, correctly formed, at the customer's mixer port.
            loud = g711.encode(sine(STRANGER_HZ, 160, 30000.0), Law.PCMU).tobytes()
            for k in range(50):
                stranger.send(ports["customer"], rtp(0, k, k * 160, stranger.ssrc, loud, False))
            await asyncio.gather(
                customer.speak(ports["customer"], 1.0, dtmf_every=2),
                agent.speak(ports["agent"], 1.0),
            )
            await asyncio.sleep(0.1)
            stats = room.stats()
    finally:
        stranger.close()
    assert stats["customer"].foreign == 50
    assert stats["customer"].ignored == 25  # one telephone-event per two audio packets
    assert stats["customer"].packets_in == 50
    assert_hears_only("agent", audio(agent, skip=10), [C_HZ], EVERYONE)
    assert not stranger.heard


@pytest.mark.feature("SEAT-6")
async def test_a_new_remote_address_takes_over_the_leg(trio: tuple[Party, Party, Party]) -> None:
    customer, agent, _ = trio
    moved = await Party("customer", Role.CUSTOMER, 700.0, Law.PCMU).open()
    try:
        async with Mixer(ports=PortAllocator(42000, 42999)) as room:
            ports = await _room_with(room, customer, agent)
            # e.g. a re-INVITE moved the customer's media to another port
            room.set_remote("customer", moved.address)
            await asyncio.gather(
                customer.speak(ports["customer"], 1.0),  # the old address: now a stranger
                moved.speak(ports["customer"], 1.0),
                agent.speak(ports["agent"], 1.0),
            )
            await asyncio.sleep(0.1)
            stats = room.stats()
    finally:
        moved.close()
    assert stats["customer"].foreign == 50
    assert_hears_only("agent", audio(agent, skip=10), [700.0], [*EVERYONE, 700.0])
    assert_hears_only("moved customer", audio(moved, skip=10), [A_HZ], EVERYONE)
    assert not customer.heard


@pytest.mark.feature("SEAT-6")
async def test_adding_the_same_name_twice_is_refused() -> None:
    async with Mixer(ports=PortAllocator(42000, 42999)) as room:
        await room.add_participant("a", remote=("127.0.0.1", 9), law=Law.PCMU)
        with pytest.raises(MixerError):
            await room.add_participant("a", remote=("127.0.0.1", 9), law=Law.PCMU)


@pytest.mark.feature("SEAT-6")
async def test_a_full_port_range_is_reported() -> None:
    async with Mixer(ports=PortAllocator(42990, 42992)) as room:
        await room.add_participant("a", remote=("127.0.0.1", 9), law=Law.PCMU)
        await room.add_participant("b", remote=("127.0.0.1", 9), law=Law.PCMU)
        with pytest.raises(MixerError, match="no free UDP port"):
            await room.add_participant("c", remote=("127.0.0.1", 9), law=Law.PCMU)
        assert all(p.local[1] % 2 == 0 for p in room.participants.values())


@pytest.mark.feature("SEAT-7")
async def test_the_room_reports_whom_each_participant_hears() -> None:
    async with Mixer(mode=Mode.WHISPER, ports=PortAllocator(42000, 42999)) as room:
        for name, role in [("c", Role.CUSTOMER), ("a", Role.AGENT), ("s", Role.SUPERVISOR)]:
            await room.add_participant(name, remote=("127.0.0.1", 9), law=Law.PCMU, role=role)
        assert room.hears("c") == ["a"]
        assert room.hears("a") == ["c", "s"]
        room.set_mode(Mode.BARGE)
        assert room.hears("c") == ["a", "s"]
        room.set_role("s", Role.AGENT)
        room.set_mode(Mode.LISTEN)
        assert room.hears("c") == ["a", "s"]  # no supervisor left to withhold
