"""Write the labelled call-progress corpus as WAV files, to listen to it (DIAL-3).

    .venv/bin/python bench/corpus/generate.py [--per-class 40] [--out bench/corpus/out]

The corpus is synthesized deterministically by `app/dialer/cpa/synth.py` (same seed, same
audio); `bench/cpa.py` and the tests build it in memory, so nothing here is committed:
`out/` is ignored by git. With espeak-ng installed, real synthesized speech is added.
"""

from __future__ import annotations

import argparse
import sys
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.dialer.cpa.synth import RATE, corpus

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    count = 0
    for sample in corpus(args.per_class):
        folder = args.out / sample.label.value
        folder.mkdir(parents=True, exist_ok=True)
        with wave.open(str(folder / f"{sample.name}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(sample.pcm.tobytes())
        count += 1
    print(f"{count} files under {args.out}")


if __name__ == "__main__":
    main()
