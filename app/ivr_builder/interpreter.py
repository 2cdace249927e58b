"""The one IVR interpreter: a pure state machine, no I/O.

A driver calls `start()` and then `send(event)` with the answer to each action until an action
ends the IVR part of the call. The simulator drives it with typed digits and canned or real
HTTP answers; callcontrol will drive it against rtpengine (play media, DTMF) and the ACD.
Everything the core needs from outside (calendar verdicts, caller lists, information entries,
sub-flow documents, HTTP answers) is asked for with an action, so the core can be tested and
replayed without a database, a network or media.

Actions and the events that answer them:
  Play / Say                  -> PlaybackDone
  CollectDigits               -> Digits | Timeout   (the prompt plays while keys are collected)
  CheckCalendar               -> CalendarChecked
  CheckCallerLists            -> CallerLists
  LookupInfo                  -> InfoFound
  LoadFlow                    -> FlowLoaded
  HttpRequest                 -> HttpResult | Timeout
  Enqueue                     -> QueueOverflow (or the call leaves the IVR)
  Transfer                    -> TransferFailed (or the call leaves the IVR)
  Voicemail, Hangup           final
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from app.ivr_builder import nodes as nt
from app.ivr_builder.flow import FlowDocument, Node
from app.tenants.calendar import Verdict

MAX_STEPS = 1000  # nodes entered per call; a validated flow never gets near it
MAX_SUB_FLOW_DEPTH = 10


# --- actions (interpreter -> driver) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    node_id: str


@dataclass(frozen=True, slots=True)
class Play(Action):
    prompt: str


@dataclass(frozen=True, slots=True)
class Say(Action):
    text: str
    voice: str


@dataclass(frozen=True, slots=True)
class CollectDigits(Action):
    prompt: str
    text: str
    voice: str
    min_length: int
    max_length: int
    terminator: str
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class CheckCalendar(Action):
    calendar_id: UUID


@dataclass(frozen=True, slots=True)
class CheckCallerLists(Action):
    number: str


@dataclass(frozen=True, slots=True)
class LookupInfo(Action):
    table: str
    key: str


@dataclass(frozen=True, slots=True)
class LoadFlow(Action):
    flow_id: UUID


@dataclass(frozen=True, slots=True)
class HttpRequest(Action):
    url: str
    method: str
    variables: dict[str, str]
    timeout_seconds: float


@dataclass(frozen=True, slots=True)
class Enqueue(Action):
    queue: str
    priority: int
    max_wait_seconds: int
    vip: bool


@dataclass(frozen=True, slots=True)
class Transfer(Action):
    kind: str
    target: str


@dataclass(frozen=True, slots=True)
class Voicemail(Action):
    mailbox: str
    prompt: str
    text: str
    voice: str


@dataclass(frozen=True, slots=True)
class Hangup(Action):
    reason: str


# Actions after which the call leaves the IVR unless the driver reports a failure.
LEAVES_IVR = (Enqueue, Transfer, Voicemail, Hangup)


# --- events (driver -> interpreter) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaybackDone:
    pass


@dataclass(frozen=True, slots=True)
class Digits:
    digits: str


@dataclass(frozen=True, slots=True)
class Timeout:
    pass


@dataclass(frozen=True, slots=True)
class CalendarChecked:
    verdict: Verdict | None  # None: the calendar is gone


@dataclass(frozen=True, slots=True)
class CallerLists:
    kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class InfoFound:
    text: str | None


@dataclass(frozen=True, slots=True)
class FlowLoaded:
    document: FlowDocument | None


@dataclass(frozen=True, slots=True)
class HttpResult:
    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class QueueOverflow:
    pass


@dataclass(frozen=True, slots=True)
class TransferFailed:
    pass


Event = (
    PlaybackDone | Digits | Timeout | CalendarChecked | CallerLists | InfoFound | FlowLoaded
    | HttpResult | QueueOverflow | TransferFailed
)  # fmt: skip


class FlowRuntimeError(RuntimeError):
    """The driver sent an event the interpreter was not waiting for."""


@dataclass(frozen=True, slots=True)
class Step:
    """One node passed: which flow (0 = top level, deeper = sub-flows), node, exit taken."""

    depth: int
    node_id: str
    node_type: str
    exit: str | None


@dataclass(slots=True)
class _Frame:
    index: dict[str, Node]
    node_id: str | None
    caller_node: str | None = None  # the sub_flow node in the parent frame


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def fill(template: str, variables: dict[str, str]) -> str:
    """`${name}` -> its value; unknown names become "" (a caller must never hear "${x}")."""
    return _VAR.sub(lambda m: variables.get(m.group(1), ""), template)


def calendar_exit(verdict: Verdict | None) -> tuple[str, str]:
    """Map a TEN-6 verdict to the time_branch exit (and a fallback exit when unwired)."""
    if verdict is None:
        return "closed", "closed"
    if verdict.rule.startswith("holiday"):
        return "holiday", "closed"
    if verdict.rule.startswith("special day") and verdict.open:
        return "special", "open"
    return ("open", "open") if verdict.open else ("closed", "closed")


Handler = Callable[[Event], Action | None]


@dataclass(slots=True)
class Interpreter:
    document: FlowDocument
    caller_number: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    max_steps: int = MAX_STEPS
    path: list[Step] = field(default_factory=list)
    final: Action | None = None
    _frames: list[_Frame] = field(default_factory=list)
    _waiting: Handler | None = None
    _attempts: dict[tuple[int, str], int] = field(default_factory=dict)
    _steps: int = 0

    # --- driver API -------------------------------------------------------------------------

    def start(self) -> Action:
        self.variables.setdefault("caller_number", self.caller_number)
        self.variables.setdefault("language", "zh")
        self._frames = [_Frame(self.document.by_id(), self.document.start)]
        return self._run()

    def send(self, event: Event) -> Action:
        handler, self._waiting = self._waiting, None
        if handler is None:
            raise FlowRuntimeError(f"not waiting for an event (got {type(event).__name__})")
        follow = handler(event)  # a node may say something before it leaves
        return follow if follow is not None else self._run()

    @property
    def done(self) -> bool:
        """The call has left the IVR (or will, unless the driver reports a failure)."""
        return self.final is not None

    # --- the loop ---------------------------------------------------------------------------

    def _run(self) -> Action:
        while True:
            if self.final is not None and self._waiting is None:
                return self.final
            frame = self._frames[-1]
            if frame.node_id is None:
                self.final = Hangup(self._last_node(), "flow ended")
                return self.final
            self._steps += 1
            if self._steps > self.max_steps:
                self.final = Hangup(frame.node_id, "step limit")
                return self.final
            node = frame.index.get(frame.node_id)
            if node is None or node.type not in nt.NODE_TYPES:
                self.final = Hangup(frame.node_id, "broken flow")
                return self.final
            action = self._enter(node)
            if action is not None:
                if isinstance(action, LEAVES_IVR):
                    self.final = action
                return action

    def _enter(self, node: Node) -> Action | None:
        node_type = nt.NODE_TYPES[node.type]
        params = nt.parse_params(node_type, node.params)
        handler: Callable[[Node, Any], Action | None] = getattr(self, f"_node_{node.type}")
        return handler(node, params)

    def _last_node(self) -> str:
        return self.path[-1].node_id if self.path else self.document.start

    def _go(self, node: Node, exit_name: str, fallback: str | None = None) -> None:
        """Leave `node` by `exit_name` (or `fallback` when that exit is not wired)."""
        frame = self._frames[-1]
        if exit_name not in node.exits and fallback is not None:
            exit_name = fallback
        self.path.append(Step(len(self._frames) - 1, node.id, node.type, exit_name))
        frame.node_id = node.exits.get(exit_name)
        if frame.node_id is None:
            self.final = Hangup(node.id, f"exit {exit_name} not connected")

    def _stop(self, node: Node, action: Action) -> Action:
        self.path.append(Step(len(self._frames) - 1, node.id, node.type, None))
        return action

    def _wait(self, handler: Handler, action: Action) -> Action:
        self._waiting = handler
        return action

    def _voice(self, voice: str) -> str:
        return voice or self.variables.get("language", "zh") or "zh"

    # --- nodes that play ----------------------------------------------------------------------

    def _node_play_prompt(self, node: Node, p: nt.PlayPromptParams) -> Action:
        return self._wait(lambda _e: self._go(node, "next"),
                          Play(node.id, fill(p.prompt, self.variables)))  # fmt: skip

    def _node_say_text(self, node: Node, p: nt.SayTextParams) -> Action:
        text = fill(p.text, self.variables)
        return self._wait(
            lambda _e: self._go(node, "next"), Say(node.id, text, self._voice(p.voice))
        )

    def _collect(self, node: Node, p: Any, max_length: int, terminator: str = "") -> CollectDigits:
        return CollectDigits(
            node.id,
            prompt=fill(p.prompt, self.variables),
            text=fill(p.text, self.variables),
            voice=self._voice(p.voice),
            min_length=getattr(p, "min_length", 1),
            max_length=max_length,
            terminator=terminator,
            timeout_seconds=p.timeout_seconds,
        )

    # --- nodes that listen ------------------------------------------------------------------

    def _retry(self, node: Node, p: Any, why: str) -> None:
        """A timeout or a wrong entry: replay (or take `why`) until max_retries is used up."""
        key = (len(self._frames), node.id)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        if self._attempts[key] > p.max_retries:
            self._attempts.pop(key, None)
            self._go(node, "max_retries")
        elif why in node.exits:
            self._go(node, why)
        else:
            self.path.append(Step(len(self._frames) - 1, node.id, node.type, f"retry:{why}"))

    def _node_menu(self, node: Node, p: nt.MenuParams) -> Action:
        def on_event(event: Event) -> None:
            if isinstance(event, Timeout) or (isinstance(event, Digits) and not event.digits):
                self._retry(node, p, "timeout")
            elif isinstance(event, Digits) and event.digits[:1] in node.exits \
                    and event.digits[:1] in nt.DTMF_KEYS:  # fmt: skip
                self._attempts.pop((len(self._frames), node.id), None)
                self._go(node, event.digits[:1])
            else:
                self._retry(node, p, "invalid")

        return self._wait(on_event, self._collect(node, p, max_length=1))

    def _node_collect_digits(self, node: Node, p: nt.CollectDigitsParams) -> Action:
        def on_event(event: Event) -> None:
            digits = event.digits if isinstance(event, Digits) else ""
            if p.terminator and digits.endswith(p.terminator):
                digits = digits[: -len(p.terminator)]
            if not digits:
                self._retry(node, p, "timeout")
            elif not (p.min_length <= len(digits) <= p.max_length and digits.isdigit()):
                self._retry(node, p, "invalid")
            else:
                self._attempts.pop((len(self._frames), node.id), None)
                self.variables[p.variable] = digits
                self._go(node, "ok")

        return self._wait(on_event, self._collect(node, p, p.max_length, p.terminator))

    def _node_language_choice(self, node: Node, p: nt.LanguageChoiceParams) -> Action:
        def on_event(event: Event) -> None:
            key = event.digits[:1] if isinstance(event, Digits) else ""
            self.variables["language"] = p.options.get(key, p.default_language)
            self._go(node, "next")

        return self._wait(on_event, self._collect(node, p, max_length=1))

    def _node_survey_question(self, node: Node, p: nt.SurveyQuestionParams) -> Action:
        def on_event(event: Event) -> None:
            key = event.digits[:1] if isinstance(event, Digits) else ""
            if key.isdigit() and p.min_score <= int(key) <= p.max_score:
                self.variables[f"survey.{p.question}"] = key
            else:
                self.variables[f"survey.{p.question}"] = ""  # asked, not answered
            self._go(node, "next")

        return self._wait(on_event, self._collect(node, p, max_length=1))

    # --- nodes that ask the outside world ------------------------------------------------------

    def _node_time_branch(self, node: Node, p: nt.TimeBranchParams) -> Action:
        def on_event(event: Event) -> None:
            verdict = event.verdict if isinstance(event, CalendarChecked) else None
            exit_name, fallback = calendar_exit(verdict)
            self.variables["calendar_rule"] = verdict.rule if verdict else "calendar not found"
            self._go(node, exit_name, fallback)

        return self._wait(on_event, CheckCalendar(node.id, p.calendar_id))

    def _node_caller_list_branch(self, node: Node, p: nt.CallerListBranchParams) -> Action:
        def on_event(event: Event) -> Action | None:
            kinds = event.kinds if isinstance(event, CallerLists) else frozenset()
            if "black" in kinds:
                if p.black_action == "reject":
                    self.final = self._stop(node, Hangup(node.id, "caller is black-listed"))
                    return None
                return self._say_then(node, p.black_text, p.voice, "black")
            elif "white" in kinds:
                self.variables["priority"] = "vip"
                self._go(node, "white")
            else:
                self._go(node, "none")
            return None

        return self._wait(on_event, CheckCallerLists(node.id, self.caller_number))

    def _node_info_lookup(self, node: Node, p: nt.InfoLookupParams) -> Action:
        def on_event(event: Event) -> Action | None:
            text = event.text if isinstance(event, InfoFound) else None
            if text is None:
                self._go(node, "not_found")
                return None
            self.variables[p.variable] = text
            if p.speak and text:
                return self._say_then(node, text, p.voice, "found")
            self._go(node, "found")
            return None

        key = fill(p.key, self.variables)
        return self._wait(on_event, LookupInfo(node.id, p.table, key))

    def _node_http_lookup(self, node: Node, p: nt.HttpLookupParams) -> Action:
        def on_event(event: Event) -> Action | None:
            if isinstance(event, Timeout):
                self._go(node, "timeout", "error")
            elif isinstance(event, HttpResult) and 200 <= event.status < 300:
                for name, path in p.assign.items():
                    self.variables[name] = _dig(event.body, path)
                if p.speak:
                    return self._say_then(node, p.speak, p.voice, "ok")
                self._go(node, "ok")
            else:
                self._go(node, "error")
            return None

        url = fill(p.url, self.variables)
        sent = {name: self.variables.get(name, "") for name in p.variables}
        return self._wait(on_event, HttpRequest(node.id, url, p.method, sent, p.timeout_seconds))

    def _say_then(self, node: Node, template: str, voice: str, exit_name: str) -> Action:
        """Speak (a looked-up answer, an announcement) inside the node, then leave."""
        say = Say(node.id, fill(template, self.variables), self._voice(voice))
        return self._wait(lambda _e: self._go(node, exit_name), say)

    def _node_sub_flow(self, node: Node, p: nt.SubFlowParams) -> Action:
        if len(self._frames) > MAX_SUB_FLOW_DEPTH:
            self.final = Hangup(node.id, "sub-flows nested too deep")
            return self._stop(node, self.final)

        def on_event(event: Event) -> None:
            doc = event.document if isinstance(event, FlowLoaded) else None
            if doc is None:
                self.final = self._stop(node, Hangup(node.id, "sub-flow not published"))
                return
            self.path.append(Step(len(self._frames) - 1, node.id, node.type, "call"))
            self._frames.append(_Frame(doc.by_id(), doc.start, caller_node=node.id))

        return self._wait(on_event, LoadFlow(node.id, p.flow_id))

    def _node_return(self, node: Node, p: nt.ReturnParams) -> Action | None:
        if len(self._frames) == 1:
            self.final = Hangup(node.id, "flow ended")
            return self._stop(node, self.final)
        self.path.append(Step(len(self._frames) - 1, node.id, node.type, "return"))
        done = self._frames.pop()
        parent = self._frames[-1]
        caller = parent.index[done.caller_node or ""]
        self._go(caller, "next")
        return None

    # --- nodes that decide locally ------------------------------------------------------------

    def _node_set_variable(self, node: Node, p: nt.SetVariableParams) -> None:
        if p.increment is None:
            self.variables[p.name] = fill(p.value, self.variables)
            self._go(node, "next")
            return
        try:
            current = int(self.variables.get(p.name, "0") or 0)
        except ValueError:
            current = 0
        current += p.increment
        self.variables[p.name] = str(current)
        if p.max is not None and current > p.max:
            self.variables[p.name] = "0"  # so a later pass through the loop counts again
            self._go(node, "limit")
        else:
            self._go(node, "next")

    # --- nodes that leave the IVR -------------------------------------------------------------

    def _node_queue(self, node: Node, p: nt.QueueParams) -> Action:
        vip = self.variables.get("priority") == "vip"
        action = Enqueue(node.id, p.queue, p.priority, p.max_wait_seconds, vip)
        return self._leave(node, action, QueueOverflow, "overflow")

    def _node_transfer(self, node: Node, p: nt.TransferParams) -> Action:
        action = Transfer(node.id, p.kind, fill(p.target, self.variables))
        return self._leave(node, action, TransferFailed, "failed")

    def _leave(self, node: Node, action: Action, failure: type, exit_name: str) -> Action:
        """The call leaves the IVR, unless the driver reports `failure` and the exit is wired."""

        def on_event(event: Event) -> None:
            if isinstance(event, failure):
                self.final = None
                self.path.pop()
                self._go(node, exit_name)

        self._stop(node, action)
        return self._wait(on_event, action)

    def _node_voicemail(self, node: Node, p: nt.VoicemailParams) -> Action:
        text = fill(p.text, self.variables)
        prompt = fill(p.prompt, self.variables)
        return self._stop(node, Voicemail(node.id, p.mailbox, prompt, text, self._voice(p.voice)))

    def _node_hang_up(self, node: Node, p: nt.HangUpParams) -> Action:
        return self._stop(node, Hangup(node.id, p.reason))


def _dig(body: Any, path: str) -> str:
    """A dotted path into a JSON answer ("order.items.0.name"); missing -> ""."""
    current = body
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return ""
    if current is None:
        return ""
    return current if isinstance(current, str) else str(current)
