"""Who hears whom in each supervisor mode, and the N-1 mixing arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.callcontrol.media import g711
from app.callcontrol.media.g711 import Law
from app.callcontrol.media.mixer import Mode, Role, hear_matrix, mix_encoded, mix_pcm

C, A, S = Role.CUSTOMER, Role.AGENT, Role.SUPERVISOR
ROLES = [C, A, S]


def _heard_by(mode: Mode) -> dict[Role, set[Role]]:
    hear = hear_matrix(mode, ROLES)
    return {ROLES[i]: {ROLES[j] for j in range(3) if hear[i, j]} for i in range(3)}


@pytest.mark.feature("SEAT-6")
def test_conference_everyone_hears_everyone_else() -> None:
    assert _heard_by(Mode.CONFERENCE) == {C: {A, S}, A: {C, S}, S: {C, A}}


@pytest.mark.feature("SEAT-7")
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (Mode.LISTEN, {C: {A}, A: {C}, S: {C, A}}),
        (Mode.WHISPER, {C: {A}, A: {C, S}, S: {C, A}}),
        (Mode.BARGE, {C: {A, S}, A: {C, S}, S: {C, A}}),
    ],
)
def test_supervisor_modes(mode: Mode, expected: dict[Role, set[Role]]) -> None:
    assert _heard_by(mode) == expected


@pytest.mark.feature("SEAT-6")
@pytest.mark.parametrize("mode", list(Mode))
def test_nobody_hears_themselves(mode: Mode) -> None:
    assert not hear_matrix(mode, [C, A, S, C]).diagonal().any()


@pytest.mark.feature("SEAT-6")
def test_a_second_customer_in_a_conference_hears_and_is_heard() -> None:
    hear = hear_matrix(Mode.CONFERENCE, [C, A, C])
    assert hear.sum() == 6  # 3 x 2: a full N-1 mix


@pytest.mark.feature("SEAT-6")
def test_n_minus_one_mix_sums_the_others() -> None:
    frames = np.array([[100, -5], [20, 7], [3, 1000]], dtype=np.int16)
    mixed = mix_pcm(frames, hear_matrix(Mode.CONFERENCE, ROLES))
    assert mixed.tolist() == [[23, 1007], [103, 995], [120, 2]]


@pytest.mark.feature("SEAT-6")
def test_loud_sums_clip_to_int16_instead_of_wrapping() -> None:
    frames = np.array([[30000, -30000], [30000, -30000], [30000, -30000]], dtype=np.int16)
    mixed = mix_pcm(frames, hear_matrix(Mode.CONFERENCE, ROLES))
    assert mixed.tolist() == [[32767, -32768]] * 3


@pytest.mark.feature("SEAT-6")
@given(
    hnp.arrays(np.int16, st.tuples(st.integers(1, 6), st.just(8))),
    st.data(),
)
def test_mix_equals_a_clipped_python_sum(frames: np.ndarray, data: st.DataObject) -> None:
    n = frames.shape[0]
    hear = data.draw(hnp.arrays(np.bool_, (n, n)))
    np.fill_diagonal(hear, False)
    mixed = mix_pcm(frames, hear)
    for i in range(n):
        for s in range(frames.shape[1]):
            total = sum(int(frames[j, s]) for j in range(n) if hear[i, j])
            assert mixed[i, s] == max(-32768, min(32767, total))


@pytest.mark.feature("SEAT-7")
def test_encoded_batch_mix_matches_decode_mix_encode_per_room() -> None:
    rng = np.random.default_rng(7)
    rooms, n, samples = 5, 3, 160
    codes = rng.integers(0, 256, size=(rooms, n, samples), dtype=np.uint8)
    laws = rng.choice([Law.PCMU.index, Law.PCMA.index], size=(rooms, n)).astype(np.intp)
    modes = [Mode.CONFERENCE, Mode.LISTEN, Mode.WHISPER, Mode.BARGE, Mode.LISTEN]
    hear = np.stack([hear_matrix(mode, ROLES) for mode in modes])
    out = mix_encoded(codes, laws, hear)
    for r in range(rooms):
        room_laws = [Law.PCMU if index == 0 else Law.PCMA for index in laws[r]]
        pcm = np.stack([g711.decode(codes[r, i], room_laws[i]) for i in range(n)])
        mixed = mix_pcm(pcm, hear[r])
        for i in range(n):
            assert np.array_equal(out[r, i], g711.encode(mixed[i], room_laws[i]))


@pytest.mark.feature("SEAT-6")
def test_silent_speakers_contribute_nothing_even_in_a_law() -> None:
    # A-law "silence" 0xD5 decodes to +8; a speaker with no frame is masked out instead.
    codes = np.full((1, 3, 160), Law.PCMA.silence, dtype=np.uint8)
    laws = np.full((1, 3), Law.PCMA.index, dtype=np.intp)
    hear = np.zeros((1, 3, 3), dtype=np.bool_)
    out = mix_encoded(codes, laws, hear)
    assert np.all(g711.decode(out[0, 0], Law.PCMA) == 8)  # true zero encodes as the +8 level


@pytest.mark.feature("SEAT-6")
def test_a_kernel_reused_across_ticks_gives_each_tick_its_own_mix() -> None:
    from app.callcontrol.media.mixer import MixKernel

    rng = np.random.default_rng(11)
    kernel = MixKernel(4, 3)
    hear = np.repeat(hear_matrix(Mode.CONFERENCE, ROLES)[None], 4, axis=0)
    laws = np.zeros((4, 3), dtype=np.intp)
    for _ in range(3):
        codes = rng.integers(0, 256, size=(4, 3, 160), dtype=np.uint8)
        out = kernel.run(codes, laws, hear)
        expected = [
            g711.encode(mix_pcm(g711.decode(codes[r], Law.PCMU), hear[r]), Law.PCMU)
            for r in range(4)
        ]
        assert np.array_equal(out, np.stack(expected))


@pytest.mark.feature("SEAT-6")
def test_rooms_too_big_for_exact_float_sums_are_refused() -> None:
    from app.callcontrol.media.mixer import MixKernel

    with pytest.raises(ValueError):
        MixKernel(1, 513)
