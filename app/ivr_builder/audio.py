"""Telephone audio (IVR-4, IVR-5): whatever comes in (an upload, espeak-ng's output, a caller's
message) is stored as 8 kHz mono 16-bit PCM WAV, the format rtpengine plays without resampling
and G.711 carries.

sox does the decoding and resampling (Debian `sox` + `libsox-fmt-mp3`, installed by
scripts/install-voice.sh). The input type is sniffed from the bytes and passed to sox
explicitly, so sox never guesses among its many formats on a tenant's file.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

TELEPHONE_RATE = 8000
SOX_TIMEOUT_SECONDS = 60.0
AudioFormat = Literal["wav", "mp3"]


class AudioError(ValueError):
    """A file we will not store; `code` names the reason for the API (not_audio, too_long...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class VoiceToolMissing(RuntimeError):
    """sox or espeak-ng is not installed: an operator's problem, not the tenant's."""


@dataclass(frozen=True, slots=True)
class TelephoneAudio:
    wav: bytes
    duration_seconds: float


def sniff_format(data: bytes) -> AudioFormat | None:
    """WAV by its RIFF/WAVE header; MP3 by an ID3 tag or an MPEG audio frame sync."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3":
        return "mp3"
    # An MPEG-1/2 audio frame header starts with 11 set bits; layer bits 01 = layer III.
    if len(data) >= 2 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0 and (data[1] & 0x06):
        return "mp3"
    return None


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise VoiceToolMissing(f"{name} is not installed: run scripts/install-voice.sh")
    return path


async def run_tool(args: list[str], *, stdin: bytes | None = None,
                   max_seconds: float = SOX_TIMEOUT_SECONDS) -> tuple[int, bytes]:  # fmt: skip
    """Run a command without a shell; (exit status, stderr). Killed when it overruns
    (TimeoutError)."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(stdin), max_seconds)
    except (TimeoutError, asyncio.CancelledError):
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, err


def wav_duration(wav_bytes: bytes) -> float:
    with wave.open(io.BytesIO(wav_bytes)) as w:
        return w.getnframes() / w.getframerate()


async def to_telephone_wav(data: bytes, *, max_seconds: float) -> TelephoneAudio:
    """Decode WAV or MP3 bytes into 8 kHz mono 16-bit WAV; AudioError when not audio, empty or
    longer than `max_seconds`."""
    fmt = sniff_format(data)
    if fmt is None:
        raise AudioError("not_audio", "This is not a WAV or MP3 file.")
    with tempfile.TemporaryDirectory(prefix="fastline-audio-") as tmp:
        source, target = Path(tmp) / f"in.{fmt}", Path(tmp) / "out.wav"
        await asyncio.to_thread(source.write_bytes, data)
        await convert_file(source, target, fmt=fmt, max_seconds=max_seconds)
        wav = await asyncio.to_thread(target.read_bytes)
    duration = wav_duration(wav)
    if duration <= 0:
        raise AudioError("empty", "The file holds no audio.")
    if duration > max_seconds:
        raise AudioError("too_long", f"The audio is longer than {max_seconds / 60:g} minutes.")
    return TelephoneAudio(wav, round(duration, 3))


async def convert_file(source: Path, target: Path, *, fmt: AudioFormat, max_seconds: float) -> None:
    # `trim` stops sox one second past the limit, so a long file costs no more than a legal one
    # and the caller can still tell "too long" from "exactly at the limit".
    args = [tool("sox"), "-V1", "-t", fmt, str(source),
            "-t", "wav", "-r", str(TELEPHONE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
            str(target), "trim", "0", f"{max_seconds + 1:g}"]  # fmt: skip
    status, err = await run_tool(args)
    if status != 0 or not await asyncio.to_thread(target.exists):
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise AudioError(
            "not_audio",
            f"The {fmt.upper()} file could not be decoded"
            # sox's last line ends with the reason; the rest names our temporary file.
            + (f": {detail[-1].rsplit(': ', 1)[-1][:200]}" if detail else "."),
        )
