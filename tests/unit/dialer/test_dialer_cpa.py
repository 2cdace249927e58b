"""Call-progress analysis classifies each class of generated audio, streaming, in time
(DIAL-3). The corpus is synthetic (see app/dialer/cpa/synth.py): these tests pin behaviour,
they do not prove accuracy on real calls."""

from __future__ import annotations

import numpy as np
import pytest

from app.dialer.cpa import AnswerDetector, CpaResult, EarlyMediaDetector, classify
from app.dialer.cpa.synth import Label, cadence, corpus, finish, make

pytestmark = pytest.mark.feature("DIAL-3")

_EXPECTED = {label: CpaResult(label.value) for label in Label}


@pytest.mark.parametrize("label", list(Label), ids=lambda label: label.value)
def test_each_class_is_recognised_on_generated_samples(label: Label) -> None:
    samples = list(corpus(4, seed=3, labels=(label,)))
    verdicts = [classify(s.pcm, early=s.early)[0] for s in samples]
    right = sum(v is not None and v.result is _EXPECTED[label] for v in verdicts)
    assert right >= 3, [(v.result, v.reason) if v else None for v in verdicts]


def test_music_is_never_an_answer_and_never_a_voice() -> None:
    for sample in corpus(6, seed=5, labels=(Label.MUSIC,)):
        verdict, _ = classify(sample.pcm, early=True)
        assert verdict is not None and verdict.result is CpaResult.MUSIC, verdict
    assert {r.value for r in CpaResult} >= {"music"}
    assert not hasattr(EarlyMediaDetector, "answered")  # early media has no answer verdict


def test_people_are_not_taken_for_machines_and_are_decided_within_2_5_s() -> None:
    for sample in corpus(10, seed=7, labels=(Label.HUMAN,)):
        verdict, _ = classify(sample.pcm, early=False)
        assert verdict is not None and verdict.result is CpaResult.HUMAN, verdict
        assert verdict.at <= 2.5


def test_machine_verdict_then_beep_at_the_end_of_the_tone() -> None:
    sample = make(Label.MACHINE, 1)
    verdict, beep = classify(sample.pcm, early=False)
    assert verdict is not None and verdict.result is CpaResult.MACHINE
    assert verdict.at < sample.meta["beep_end"]  # known before the beep
    assert beep is not None and abs(beep.at - sample.meta["beep_end"]) <= 0.1


def test_streaming_any_chunk_size_gives_the_same_verdict_and_time() -> None:
    pcm = finish(np.random.default_rng(2), cadence((450.0,), (0.35, 0.35), 5.0, 0.1))
    whole, _ = classify(pcm, early=True)
    detector = EarlyMediaDetector()
    first = None
    for start in range(0, pcm.size, 240):  # 30 ms RTP packets
        first = first or detector.feed(pcm[start : start + 240])
    assert whole is not None and first == whole
    assert whole.result is CpaResult.BUSY and whole.at <= 2.0  # China busy: 0.35/0.35 s


def test_verdict_comes_as_soon_as_confident_not_at_the_end() -> None:
    rng = np.random.default_rng(0)
    ringback = finish(rng, cadence((450.0,), (1.0, 4.0), 20.0, 0.0))  # China, 20 s long
    detector = EarlyMediaDetector()
    events = [detector.feed(ringback[i : i + 160]) for i in range(0, ringback.size, 160)]
    decided = [e for e in events if e is not None]
    assert len(decided) == 1  # one verdict, once
    assert decided[0].result is CpaResult.RINGBACK and decided[0].at <= 2.2


def test_silence_after_answer_is_a_person_not_a_machine() -> None:
    detector = AnswerDetector()
    quiet = np.zeros(160 * 250, dtype=np.int16)
    verdict = detector.feed(quiet)
    assert verdict is not None and verdict.result is CpaResult.HUMAN
    assert verdict.at <= 3.6


def test_frames_must_be_int16_samples_of_any_length() -> None:
    detector = AnswerDetector()
    assert detector.feed(np.zeros(100, dtype=np.int16)) is None  # buffered, not an error
    assert detector.feed(np.zeros(60, dtype=np.int16)) is None
