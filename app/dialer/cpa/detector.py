"""Streaming call-progress detectors on forked 8 kHz audio (DIAL-3).

Two detectors, both fed 20 ms int16 frames (any chunk size is accepted and re-framed) and
both answering once, as soon as they are confident, with the time of the decision:

`EarlyMediaDetector`, before the callee answers (SIP 183 early media):
- RINGBACK: a call-progress tone burst of up to 2.7 s followed by >= 0.9 s of silence
  (China 450 Hz 1/4 s, US 440+480 Hz 2/4 s, Europe 425 Hz 1/4 s);
- BUSY: on/off bursts of 0.15-0.85 s (China busy 0.35/0.35 s and congestion 0.7/0.7 s,
  US busy 0.5/0.5 s), seen twice;
- SIT: the three rising SIT segments (ITU-T E.180 / ANSI T1.401);
- MUSIC: a coloured ring-back tone (彩铃): continuous audio whose spectrum holds still for
  hundreds of ms (notes); ANNOUNCEMENT: speech ("the number you dialled is not in service"):
  pauses between words and a spectrum that keeps moving.
None of these is an answer. Only the SIP 200 OK answers a call; in particular music is never
taken for a person, however voice-like, because the early-media detector has no "answered"
verdict at all. A dialer uses these to end a call early (busy, SIT, announcement) or to keep
waiting (ring-back, music).

`AnswerDetector`, after the 200 OK (answering-machine detection):
- FAX: a CNG tone (1100 Hz, ITU-T T.30) of >= 0.35 s before anyone speaks;
- MODEM: an answer tone (2100 Hz, ITU-T V.25 CED/ANS) of >= 0.5 s before anyone speaks
  (a called fax machine sends it too);
- HUMAN: a short greeting ("喂?", "hello?") followed by 0.6 s of silence, or nobody speaking
  for 3.5 s (a silent person is still a person: handing them to an agent is the safe error);
- MACHINE: a greeting that goes on for 2 s without a 0.6 s pause, or a beep after speech;
- then, for machines, BEEP: the end of a pure tone (400-2500 Hz, >= 0.15 s) after the
  greeting, the moment to start leaving a message.
Undecided at 5 s means HUMAN. The bias is deliberate: hanging up on a person (taken for a
machine) is the error that costs a sale and a complaint; a machine sent to an agent costs a
few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from app.dialer.cpa.features import FRAME, RATE, SILENCE_FLOOR_DB, FrameAnalyzer, FrameFeatures

FRAME_S = FRAME / RATE


class CpaResult(StrEnum):
    RINGBACK = "ringback"
    MUSIC = "music"
    BUSY = "busy"
    SIT = "sit"
    ANNOUNCEMENT = "announcement"
    HUMAN = "human"
    MACHINE = "machine"
    FAX = "fax"
    MODEM = "modem"
    BEEP = "beep"


@dataclass(frozen=True, slots=True)
class CpaEvent:
    result: CpaResult
    at: float  # seconds of audio fed when decided
    reason: str


# Tone families a frame may be labelled with: (label, component frequencies).
_CALL_PROGRESS = (
    (450.0,),
    (425.0,),
    (440.0, 480.0),
    (480.0, 620.0),
    (350.0, 440.0),
    (400.0, 450.0),
)
_SIT = (("sit1", (913.8, 985.2)), ("sit2", (1370.6, 1428.5)), ("sit3", (1776.7,)))
_TONE_SHARE = 0.65  # of the window's energy in the family's components
_MIN_SOUND_FRAMES = 3  # 60 ms: shorter "sound" is a tone's edge seen through the window


def label_frame(f: FrameFeatures) -> str:
    """silent | cp (call-progress tone) | sit1-3 | cng | ced | pure (other beep) | active."""
    if f.energy_db < SILENCE_FLOOR_DB:
        return "silent"
    if max(f.tone_share(*family) for family in _CALL_PROGRESS) >= _TONE_SHARE:
        return "cp"
    for name, freqs in _SIT:
        if max(f.purity[x] for x in freqs) >= _TONE_SHARE:
            return name
    if f.purity[1100.0] >= _TONE_SHARE:
        return "cng"
    if f.purity[2100.0] >= _TONE_SHARE:
        return "ced"
    if f.peak_purity >= 0.8:
        return "pure"
    return "active"


@dataclass(slots=True)
class _Run:
    label: str
    frames: int

    @property
    def seconds(self) -> float:
        return self.frames * FRAME_S


class _Runs:
    """Frame labels as runs; a run of one or two frames (a window straddling an edge) is
    folded into the run before it, so cadences are measured on whole segments."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []

    def push(self, label: str) -> None:
        runs = self.runs
        if runs and runs[-1].label == label:
            runs[-1].frames += 1
            return
        if len(runs) >= 2 and runs[-1].frames < 3:
            blip = runs.pop()
            runs[-1].frames += blip.frames
            if runs[-1].label == label:
                runs[-1].frames += 1
                return
        runs.append(_Run(label, 1))

    def tail(self, n: int) -> list[_Run]:
        return self.runs[-n:] if len(self.runs) >= n else []


class _Detector:
    """Frames in, at most one verdict out (subclasses may add later events)."""

    def __init__(self) -> None:
        self._analyzer = FrameAnalyzer()
        self._pending = np.zeros(0, dtype=np.int16)
        self.verdict: CpaEvent | None = None
        self.events: list[CpaEvent] = []

    def feed(self, pcm: npt.NDArray[np.integer]) -> CpaEvent | None:
        """Feed audio (any length); returns the first event this audio produced, if any."""
        self._pending = np.concatenate([self._pending, np.asarray(pcm, dtype=np.int16)])
        first: CpaEvent | None = None
        while self._pending.size >= FRAME:
            frame, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            event = self._frame(self._analyzer.push(frame))
            if event is not None:
                self.events.append(event)
                first = first or event
        return first

    def _frame(self, f: FrameFeatures) -> CpaEvent | None:
        raise NotImplementedError

    def _decide(self, result: CpaResult, f: FrameFeatures, reason: str) -> CpaEvent:
        self.verdict = CpaEvent(result, round(f.end, 3), reason)
        return self.verdict


class EarlyMediaDetector(_Detector):
    def __init__(self) -> None:
        super().__init__()
        self._runs = _Runs()
        self._audio_start: int | None = None  # first frame of non-tone sound
        self._streak = 0  # consecutive active frames
        self._active = 0
        self._silent_since_audio = 0
        self._pauses = 0
        self._similarity: list[float] = []

    def _frame(self, f: FrameFeatures) -> CpaEvent | None:
        label = label_frame(f)
        self._runs.push(label)
        self._track_audio(f, label)
        if self.verdict is not None:
            return None
        for rule in (self._sit, self._busy, self._ringback, self._audio):
            event = rule(f)
            if event is not None:
                return event
        return None

    def _sit(self, f: FrameFeatures) -> CpaEvent | None:
        runs = self._runs.tail(3)
        if [r.label for r in runs] != ["sit1", "sit2", "sit3"]:
            return None
        if all(0.2 <= r.seconds <= 0.5 for r in runs[:2]) and runs[2].seconds >= 0.2:
            return self._decide(CpaResult.SIT, f, "SIT triplet")
        return None

    def _busy(self, f: FrameFeatures) -> CpaEvent | None:
        runs = self._runs.tail(4)
        if [r.label for r in runs] != ["cp", "silent", "cp", "silent"]:
            return None
        on1, off1, on2, off2 = (r.seconds for r in runs)
        if on1 <= 0.85 and 0.15 <= off1 <= 0.85 and 0.15 <= on2 <= 0.85 and off2 >= 0.15:
            return self._decide(CpaResult.BUSY, f, f"cadence {on2:.2f}/{off1:.2f} s")
        return None

    def _ringback(self, f: FrameFeatures) -> CpaEvent | None:
        runs = self._runs.tail(2)
        if [r.label for r in runs] != ["cp", "silent"]:
            return None
        on, off = runs[0].seconds, runs[1].seconds
        if on <= 2.7 and off >= 0.9:
            return self._decide(CpaResult.RINGBACK, f, f"tone {on:.1f} s then silence")
        return None

    def _track_audio(self, f: FrameFeatures, label: str) -> None:
        self._streak = self._streak + 1 if label == "active" else 0
        if self._audio_start is None and self._streak >= _MIN_SOUND_FRAMES:
            # 60 ms of sound: not a blip at the edge of a tone
            self._audio_start = f.index - self._streak + 1
            self._active = self._streak - 1
        if label == "active" and self._audio_start is not None:
            self._active += 1
            if self._silent_since_audio >= 5:  # a pause of 100 ms or more
                self._pauses += 1
            self._silent_since_audio = 0
            if f.similarity > 0:
                self._similarity.append(f.similarity)
        elif self._audio_start is not None:
            self._silent_since_audio += 1

    def _audio(self, f: FrameFeatures) -> CpaEvent | None:
        if self._audio_start is None:
            return None
        span = (f.index - self._audio_start + 1) * FRAME_S
        if span < 2.0 or not self._similarity:
            return None
        share = self._active * FRAME_S / span
        similarity = float(np.mean(self._similarity))
        detail = f"similarity {similarity:.2f}, sound {share:.0%}, pauses {self._pauses}"
        if share >= 0.9 and similarity >= 0.72 and self._pauses == 0:
            return self._decide(CpaResult.MUSIC, f, "steady continuous sound: " + detail)
        if share < 0.3:
            return None  # a few stray frames, not a voice
        if similarity < 0.68 and (self._pauses >= 1 or share < 0.85):
            return self._decide(CpaResult.ANNOUNCEMENT, f, "speech: " + detail)
        if span >= 4.0:
            result = CpaResult.MUSIC if similarity >= 0.7 else CpaResult.ANNOUNCEMENT
            return self._decide(result, f, "after 4 s: " + detail)
        return None


class AnswerDetector(_Detector):
    GREETING_END_S = 0.6  # silence that ends a short greeting ("喂?")
    LONG_GREETING_S = 1.0  # a greeting this long needs LONG_GREETING_END_S of silence
    LONG_GREETING_END_S = 0.9  # (machines pause between sentences)
    MACHINE_GREETING_S = 2.0
    SILENT_PARTY_S = 3.5
    GIVE_UP_S = 5.0

    def __init__(self) -> None:
        super().__init__()
        self._runs = _Runs()
        self._speech_start: int | None = None
        self._last_speech = -1
        self._streak = 0
        self._beep_frames = 0
        self.beep: CpaEvent | None = None

    def _frame(self, f: FrameFeatures) -> CpaEvent | None:
        label = label_frame(f)
        self._runs.push(label)
        self._streak = self._streak + 1 if label == "active" else 0
        if self._streak >= _MIN_SOUND_FRAMES:
            if self._speech_start is None:
                self._speech_start = f.index - self._streak + 1
            self._last_speech = f.index
        if self.verdict is None:
            return self._classify(f, label)
        if self.verdict.result is CpaResult.MACHINE and self.beep is None:
            return self._listen_for_beep(f)
        return None

    def _classify(self, f: FrameFeatures, label: str) -> CpaEvent | None:
        run = self._runs.runs[-1]
        if self._speech_start is None:
            if run.label == "cng" and run.seconds >= 0.35:
                return self._decide(CpaResult.FAX, f, "CNG 1100 Hz")
            if run.label == "ced" and run.seconds >= 0.5:
                return self._decide(CpaResult.MODEM, f, "answer tone 2100 Hz")
            if f.end >= self.SILENT_PARTY_S and run.label == "silent":
                return self._decide(CpaResult.HUMAN, f, "nobody spoke: a silent person")
        else:
            greeting = (self._last_speech - self._speech_start + 1) * FRAME_S
            quiet = (f.index - self._last_speech) * FRAME_S
            if greeting >= self.MACHINE_GREETING_S:
                return self._decide(CpaResult.MACHINE, f, f"greeting over {greeting:.1f} s")
            if self._beepish(f) and run.seconds >= 0.15:
                self._beep_frames = run.frames
                return self._decide(CpaResult.MACHINE, f, "beep after a greeting")
            needed = self.GREETING_END_S
            if greeting >= self.LONG_GREETING_S:
                needed = self.LONG_GREETING_END_S
            if quiet >= needed:
                return self._decide(CpaResult.HUMAN, f, f"{greeting:.1f} s greeting, then quiet")
        if f.end >= self.GIVE_UP_S:
            return self._decide(CpaResult.HUMAN, f, "undecided: treated as a person")
        return None

    @staticmethod
    def _beepish(f: FrameFeatures) -> bool:
        return (
            f.energy_db >= SILENCE_FLOOR_DB and f.peak_purity >= 0.75 and 400 <= f.peak_hz <= 2500
        )

    def _listen_for_beep(self, f: FrameFeatures) -> CpaEvent | None:
        if self._beepish(f):
            self._beep_frames += 1
            return None
        if self._beep_frames * FRAME_S >= 0.15:
            self.beep = CpaEvent(CpaResult.BEEP, round(f.end - FRAME_S, 3), "tone ended")
            return self.beep
        self._beep_frames = 0
        return None


def classify(
    pcm: npt.NDArray[np.integer], *, early: bool
) -> tuple[CpaEvent | None, CpaEvent | None]:
    """Run a whole recording through a detector: (verdict, beep). For tests and benches."""
    detector: EarlyMediaDetector | AnswerDetector = (
        EarlyMediaDetector() if early else AnswerDetector()
    )
    for start in range(0, pcm.size - FRAME + 1, FRAME):
        detector.feed(pcm[start : start + FRAME])
        beep = detector.beep if isinstance(detector, AnswerDetector) else None
        verdict = detector.verdict
        if verdict is not None and (verdict.result is not CpaResult.MACHINE or beep is not None):
            break
    beep = detector.beep if isinstance(detector, AnswerDetector) else None
    return detector.verdict, beep
