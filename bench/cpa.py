"""Call-progress detectors on the labelled synthetic corpus (DIAL-3).

    .venv/bin/python bench/cpa.py [--per-class 30]      (270 samples; 20-40 s on an idle core)

Prints the confusion matrix, accuracy, the share of people taken for machines (the costly
error: a person hung up on), decision-time percentiles per class, and how close the beep
time is to the real end of the beep. Goals: >= 95% correct, people taken for machines <= 1%,
human verdict within 2.5 s at p95.

HONEST CAVEAT: the corpus is synthetic (formant "speech", chord "music", standard tones,
noise and a G.711 round trip). Real calls have real voices, singing in the ring-back music,
echo, talk-over, packet loss and odd carrier tones; expect lower numbers on them. Collect a
labelled sample of real forked audio before trusting these thresholds in production.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.dialer.cpa import classify
from app.dialer.cpa.synth import Label, corpus, espeak_samples

_ESPEAK_TEXTS = {
    Label.HUMAN: ["喂?", "hello?", "喂, 你好"],
    Label.MACHINE: ["Hi, you have reached the voicemail of John. Please leave a message."],
    Label.ANNOUNCEMENT: [
        "您拨打的号码是空号, 请查证后再拨",
        "The number you dialed is not in service.",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-class", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    confusion: Counter[tuple[str, str]] = Counter()
    times: dict[str, list[float]] = defaultdict(list)
    beep_errors: list[float] = []
    samples = [*corpus(args.per_class), *espeak_samples(_ESPEAK_TEXTS)]
    for sample in samples:
        verdict, beep = classify(sample.pcm, early=sample.early)
        got = verdict.result.value if verdict else "none"
        confusion[(sample.label.value, got)] += 1
        if verdict and got == sample.label.value:
            times[got].append(verdict.at)
        if sample.label is Label.MACHINE and "beep_end" in sample.meta:
            beep_errors.append(abs(beep.at - sample.meta["beep_end"]) if beep else np.inf)
    report(confusion, times, beep_errors, len(samples))
    print(f"({time.perf_counter() - started:.0f} s)")


def report(confusion: Counter[tuple[str, str]], times: dict[str, list[float]],
           beep_errors: list[float], total: int) -> None:  # fmt: skip
    labels = [label.value for label in Label]
    columns = [*labels, "none"]
    print("SYNTHETIC corpus: easier than real calls; see the docstring.\n")
    print("truth \\ verdict " + " ".join(f"{c[:8]:>8}" for c in columns))
    for truth in labels:
        row = " ".join(f"{confusion[(truth, c)] or '.':>8}" for c in columns)
        print(f"{truth:<15} {row}")
    correct = sum(confusion[(label, label)] for label in labels)
    humans = sum(confusion[("human", c)] for c in columns)
    print(f"\naccuracy {correct}/{total} = {correct / total:.1%}   (goal >= 95%)")
    print(
        f"people taken for machines {confusion[('human', 'machine')]}/{humans}"
        f" = {confusion[('human', 'machine')] / max(humans, 1):.1%}   (goal <= 1%)"
    )
    print("\ndecision time, s (correct verdicts)     p50    p95    max")
    for label in labels:
        if times[label]:
            p50, p95, top = np.percentile(times[label], [50, 95, 100])
            goal = "   (goal p95 <= 2.5 s)" if label == "human" else ""
            print(f"  {label:<37} {p50:5.2f}  {p95:5.2f}  {top:5.2f}{goal}")
    found = [e for e in beep_errors if np.isfinite(e)]
    if beep_errors:
        print(
            f"\nbeeps found {len(found)}/{len(beep_errors)};"
            f" |time - true end| p95 = {np.percentile(found, 95) if found else float('nan'):.2f} s"
        )


if __name__ == "__main__":
    main()
