"""The default welcome prompt, generated once into var/prompts/ (stdlib `wave`).

Tenants' own prompts and TTS arrive with the IVR builder; until then every inbound call hears
this: three rising tones (a recognisable "please press a key" cue), 8 kHz mono 16-bit PCM, which
rtpengine's `play media` transcodes to the call's codec.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

SAMPLE_RATE = 8000
DEFAULT_PROMPT = "welcome.wav"
TONES = ((523.25, 0.3), (659.25, 0.3), (783.99, 0.4))  # C5, E5, G5


def _tone(freq: float, seconds: float, amplitude: float = 6000.0) -> bytes:
    count = int(SAMPLE_RATE * seconds)
    fade = SAMPLE_RATE // 100  # 10 ms ramps: no clicks between notes
    samples = []
    for i in range(count):
        ramp = min(1.0, i / fade, (count - i) / fade)
        samples.append(int(amplitude * ramp * math.sin(2 * math.pi * freq * i / SAMPLE_RATE)))
    return struct.pack(f"<{count}h", *samples)


def write_prompt(path: Path, tones: tuple[tuple[float, float], ...] = TONES) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        for freq, seconds in tones:
            wav.writeframes(_tone(freq, seconds))
    tmp.replace(path)
    return path


def default_prompt(prompt_dir: Path) -> Path:
    path = prompt_dir / DEFAULT_PROMPT
    if not path.exists():
        write_prompt(path)
    return path.resolve()
