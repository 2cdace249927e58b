"""IVR-2: the node types a flow is built from, their parameters and their exits.

Each type's parameters are a msgspec struct; the catalogue endpoint publishes its JSON Schema
(`msgspec.json.schema`) so the canvas renders a form per node without a hand-written copy.
Parameters are camelCase on the wire like the rest of the API. Prompt and text fields default
to "" rather than requiring min_length=1: an empty prompt is reported by validation as a
"missing prompt" on the node, which tells the admin more than a schema message does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

Seconds = Annotated[float, msgspec.Meta(gt=0, le=120)]
Retries = Annotated[int, msgspec.Meta(ge=0, le=10)]
VarName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Long = Annotated[str, msgspec.Meta(max_length=2000)]
# "" means: the language the caller chose (variable `language`), Chinese by default.
Voice = Literal["", "zh", "en"]
DTMF_KEYS = frozenset("0123456789*#")
InfoName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class Params(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    pass


class PlayPromptParams(Params):
    prompt: Short = ""  # a prompt file name; ${vars} allowed (e.g. welcome-${language})


class MenuParams(Params):
    prompt: Short = ""
    text: Long = ""  # spoken by TTS when no recorded prompt is given
    voice: Voice = ""
    timeout_seconds: Seconds = 5
    max_retries: Retries = 3


class CollectDigitsParams(Params):
    prompt: Short = ""
    text: Long = ""
    voice: Voice = ""
    variable: VarName = "digits"
    min_length: Annotated[int, msgspec.Meta(ge=1, le=32)] = 1
    max_length: Annotated[int, msgspec.Meta(ge=1, le=32)] = 20
    terminator: Literal["#", "*", ""] = "#"
    timeout_seconds: Seconds = 8
    max_retries: Retries = 3


class SayTextParams(Params):
    text: Long = ""  # ${vars} are filled in at run time
    voice: Voice = ""


class TimeBranchParams(Params):
    calendar_id: UUID  # a TEN-6 calendar of this tenant


class CallerListBranchParams(Params):
    # What to do with a blacklisted caller: hang up at once, or say `black_text` and take the
    # `black` exit (e.g. to a queue that refuses politely).
    black_action: Literal["reject", "announce"] = "reject"
    black_text: Long = ""
    voice: Voice = ""


class LanguageChoiceParams(Params):
    prompt: Short = ""
    text: Long = ""
    voice: Voice = ""
    options: dict[str, Literal["zh", "en"]] = msgspec.field(
        default_factory=lambda: {"1": "zh", "2": "en"}
    )
    default_language: Literal["zh", "en"] = "zh"
    timeout_seconds: Seconds = 5


class QueueParams(Params):
    queue: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    # ACD options; the ACD (SEAT domain) gives them meaning later.
    priority: Annotated[int, msgspec.Meta(ge=0, le=100)] = 0
    max_wait_seconds: Annotated[int, msgspec.Meta(ge=0, le=86400)] = 0  # 0 = no limit


class TransferParams(Params):
    kind: Literal["agent", "extension", "external"]
    target: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class VoicemailParams(Params):
    mailbox: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    prompt: Short = ""
    text: Long = ""
    voice: Voice = ""


class HttpLookupParams(Params):
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://", max_length=2000)]
    method: Literal["GET", "POST"] = "GET"
    # Variables sent: query parameters for GET, a JSON object for POST.
    variables: list[VarName] = []
    timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=10)] = 3
    # variable name -> dotted path in the JSON answer (e.g. "order.status")
    assign: dict[VarName, Short] = {}
    speak: Long = ""  # said after a successful answer, with the assigned ${vars}
    voice: Voice = ""


class InfoLookupParams(Params):
    table: InfoName
    key: Short  # ${vars} allowed, e.g. ${digits}
    variable: VarName = "info"
    speak: bool = True
    voice: Voice = ""


class SetVariableParams(Params):
    name: VarName
    value: Long = ""  # ${vars} allowed; ignored when `increment` is set
    # A counter: add `increment`; past `max` the `limit` exit is taken. A counter with `max`
    # bounds a loop that has no menu in it.
    increment: int | None = None
    max: int | None = None


class SurveyQuestionParams(Params):
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    prompt: Short = ""
    text: Long = ""
    voice: Voice = ""
    min_score: Annotated[int, msgspec.Meta(ge=0, le=9)] = 1
    max_score: Annotated[int, msgspec.Meta(ge=0, le=9)] = 5
    timeout_seconds: Seconds = 5


class SubFlowParams(Params):
    flow_id: UUID  # a published flow of this tenant; its `return` node comes back here


class ReturnParams(Params):
    pass


class HangUpParams(Params):
    reason: Short = "normal"


@dataclass(frozen=True, slots=True)
class NodeType:
    name: str
    title: str
    params: type[Params]
    exits: tuple[str, ...]  # every exit the type knows (beside DTMF keys for menus)
    required: tuple[str, ...]  # exits that must be wired
    digit_exits: bool = False  # menus: one exit per DTMF key
    bounds_loops: bool = False  # waits for the caller with a retry limit
    prompt_fields: tuple[str, ...] = ()  # at least one of them must be non-empty
    description: str = ""


NODE_TYPES: dict[str, NodeType] = {
    t.name: t
    for t in (
        NodeType("play_prompt", "Play prompt", PlayPromptParams, ("next",), ("next",),
                 prompt_fields=("prompt",), description="Play a recorded prompt."),
        NodeType("menu", "Menu (DTMF)", MenuParams, ("timeout", "invalid", "max_retries"),
                 ("max_retries",), digit_exits=True, bounds_loops=True,
                 prompt_fields=("prompt", "text"),
                 description="Play a prompt and branch on one key. Timeouts and wrong keys "
                 "replay the menu (or take `timeout`/`invalid`) until max_retries."),
        NodeType("collect_digits", "Collect digits", CollectDigitsParams,
                 ("ok", "timeout", "invalid", "max_retries"), ("ok", "max_retries"),
                 bounds_loops=True, prompt_fields=("prompt", "text"),
                 description="Collect several digits into a variable."),
        NodeType("say_text", "Say text (TTS)", SayTextParams, ("next",), ("next",),
                 prompt_fields=("text",), description="Speak text with ${variables}."),
        NodeType("time_branch", "Time / holiday branch", TimeBranchParams,
                 ("open", "closed", "holiday", "special"), ("open", "closed"),
                 description="Branch on a business calendar. Without `holiday` wired a "
                 "holiday takes `closed`; without `special` a special work day takes `open`."),
        NodeType("caller_list_branch", "Caller list branch", CallerListBranchParams,
                 ("black", "white", "none"), ("white", "none"),
                 description="Black-listed callers are rejected or hear `blackText`; "
                 "white-listed (VIP) callers get variable priority=vip."),
        NodeType("language_choice", "Language choice", LanguageChoiceParams, ("next",),
                 ("next",), prompt_fields=("prompt", "text"),
                 description="Sets variable `language` (zh/en) from one key."),
        NodeType("queue", "Queue", QueueParams, ("overflow",), (),
                 description="Hand the call to the ACD; `overflow` when it gives it back."),
        NodeType("transfer", "Transfer", TransferParams, ("failed",), (),
                 description="Transfer to an agent, extension or external number."),
        NodeType("voicemail", "Voicemail", VoicemailParams, (), (),
                 description="Let the caller leave a message; the call ends there."),
        NodeType("http_lookup", "HTTP lookup", HttpLookupParams, ("ok", "error", "timeout"),
                 ("ok", "error"), description="Call a URL, store fields of its JSON answer and "
                 "speak them. Without `timeout` wired a timeout takes `error`."),
        NodeType("info_lookup", "Information lookup", InfoLookupParams,
                 ("found", "not_found"), ("found", "not_found"),
                 description="Read a tenant-maintained announcement/information entry."),
        NodeType("set_variable", "Set variable / counter", SetVariableParams,
                 ("next", "limit"), ("next",),
                 description="Set a variable, or count (increment) up to `max`."),
        NodeType("survey_question", "Survey question", SurveyQuestionParams, ("next",),
                 ("next",), prompt_fields=("prompt", "text"),
                 description="Ask for a score by key; stored as variable survey.<question>."),
        NodeType("sub_flow", "Sub-flow", SubFlowParams, ("next",), ("next",),
                 description="Run another published flow; continue at `next` when it returns."),
        NodeType("return", "Return", ReturnParams, (), (),
                 description="End a sub-flow and go back to the calling flow (hangs up in a "
                 "top-level flow)."),
        NodeType("hang_up", "Hang up", HangUpParams, (), (), description="End the call."),
    )
}  # fmt: skip

_KEY_EXIT = re.compile(r"^[0-9*#]$")


def allowed_exit(node_type: NodeType, exit_name: str) -> bool:
    return exit_name in node_type.exits or (
        node_type.digit_exits and bool(_KEY_EXIT.match(exit_name))
    )


def parse_params(node_type: NodeType, params: dict[str, Any]) -> Params:
    """Raises msgspec.ValidationError with a message naming the bad field."""
    return msgspec.convert(params, node_type.params)


def params_schema(node_type: NodeType) -> dict[str, Any]:
    """A self-contained JSON Schema of one type's parameters (definitions inlined at top)."""
    schema: dict[str, Any] = msgspec.json.schema(node_type.params)
    defs = schema.pop("$defs", {})
    ref = schema.pop("$ref", "").rsplit("/", 1)[-1]
    body = dict(defs.pop(ref, schema))
    if defs:
        body["$defs"] = defs
    return body


def required_exits(node_type: NodeType, params: Params | None) -> tuple[str, ...]:
    """Exits that must be wired, given the node's parameters."""
    extra: tuple[str, ...] = ()
    if isinstance(params, CallerListBranchParams) and params.black_action == "announce":
        extra = ("black",)
    elif isinstance(params, SetVariableParams) and params.max is not None:
        extra = ("limit",)
    return node_type.required + extra


def bounds_loops(node_type: NodeType, params: Params | None) -> bool:
    """Does passing through this node bound a cycle (caller input with retries, a counter)?"""
    if isinstance(params, SetVariableParams):
        return params.increment is not None and params.max is not None
    return node_type.bounds_loops
