"""ACD errors. The Lua script fails with `<CODE> <message>`; `raise_for` maps it to a class."""

from __future__ import annotations

import re


class AcdError(Exception):
    code = "ACD_ERROR"


class IllegalTransition(AcdError):
    """The agent's current state does not allow the requested change (SEAT-2)."""

    code = "ACD_ILLEGAL"


class UnknownAgent(AcdError):
    code = "ACD_UNKNOWN_AGENT"


class UnknownQueue(AcdError):
    code = "ACD_UNKNOWN_QUEUE"


class NotOffered(AcdError):
    """answer/reject for a call that is not ringing that agent (e.g. it already timed out)."""

    code = "ACD_NOT_OFFERED"


class CallActive(AcdError):
    """offer() for a call that is already waiting, ringing or connected."""

    code = "ACD_CALL_ACTIVE"


class BusinessMismatch(AcdError):
    """An agent and a queue of different businesses (TEN-5) were to be joined."""

    code = "ACD_BUSINESS"


ERRORS: dict[str, type[AcdError]] = {
    cls.code: cls
    for cls in (
        IllegalTransition,
        UnknownAgent,
        UnknownQueue,
        NotOffered,
        CallActive,
        BusinessMismatch,
    )
}

# Redis appends " script: <sha>, on @user_script:<line>." to errors raised inside a script.
_SCRIPT_SUFFIX = re.compile(r"\s*script: \w+, on @user_script:\d+\.?$")


def from_redis_error(message: str) -> AcdError | None:
    code, _, detail = message.partition(" ")
    cls = ERRORS.get(code)
    if cls is None:
        return None
    return cls(_SCRIPT_SUFFIX.sub("", detail))
