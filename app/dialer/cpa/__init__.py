"""Call-progress analysis on forked G.711 audio (DIAL-3): see `detector.py`."""

from app.dialer.cpa.detector import (
    AnswerDetector,
    CpaEvent,
    CpaResult,
    EarlyMediaDetector,
    classify,
)

__all__ = ["AnswerDetector", "CpaEvent", "CpaResult", "EarlyMediaDetector", "classify"]
