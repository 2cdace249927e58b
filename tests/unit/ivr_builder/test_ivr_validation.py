"""IVR-1/IVR-3: validation names the node (and exit) of every problem, one test per kind."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from app.ivr_builder.flow import from_json
from app.ivr_builder.nodes import NODE_TYPES, params_schema
from app.ivr_builder.validation import MAX_DEPTH, Context, validate

pytestmark = pytest.mark.feature("IVR-3")


def n(node_id: str, type_: str, exits: dict[str, str] | None = None, **params: Any) -> dict:
    return {"id": node_id, "type": type_, "params": params, "exits": exits or {}}


def errors(start: str, *nodes: dict, ctx: Context | None = None) -> list[tuple[str, Any, Any]]:
    doc = from_json({"start": start, "nodes": list(nodes)})
    return [(e.code, e.node_id, e.exit) for e in validate(doc, ctx)]


BYE = n("bye", "hang_up")


def test_a_good_flow_has_no_errors():
    assert errors("p", n("p", "play_prompt", {"next": "bye"}, prompt="hi.wav"), BYE) == []


def test_unknown_node_type():
    assert errors("x", n("x", "teleport")) == [("unknown_node_type", "x", None)]


def test_params_not_matching_the_schema():
    found = errors("q", n("q", "queue", priority="high"))
    assert found == [("invalid_params", "q", None)]
    doc = from_json({"start": "q", "nodes": [n("q", "queue", queue="a", priority=500)]})
    assert "priority" in validate(doc)[0].message


def test_unreachable_nodes():
    found = errors("bye", BYE, n("orphan", "say_text", {"next": "bye"}, text="Hi"))
    assert found == [("unreachable_node", "orphan", None)]


def test_dangling_exit_names_node_and_exit():
    found = errors("p", n("p", "play_prompt", {"next": "gone"}, prompt="a.wav"))
    assert found == [("dangling_exit", "p", "next")]


def test_required_exits_missing():
    found = errors("m", n("m", "menu", {"max_retries": "bye"}, prompt="m.wav"), BYE)
    assert ("missing_exit", "m", None) in found  # no key at all
    found = errors("t", n("t", "time_branch", {"open": "bye"}, calendarId=str(uuid.uuid4())), BYE)
    assert found == [("missing_exit", "t", "closed")]
    announce = n("l", "caller_list_branch", {"white": "bye", "none": "bye"},
                 blackAction="announce", blackText="No")  # fmt: skip
    assert errors("l", announce, BYE) == [("missing_exit", "l", "black")]


def test_unknown_exit_name():
    found = errors("p", n("p", "play_prompt", {"next": "bye", "oops": "bye"}, prompt="a"), BYE)
    assert found == [("unknown_exit", "p", "oops")]


@pytest.mark.parametrize(
    "node",
    [
        n("x", "play_prompt", {"next": "bye"}),
        n("x", "say_text", {"next": "bye"}, text="   "),
        n("x", "menu", {"1": "bye", "max_retries": "bye"}),
        n("x", "collect_digits", {"ok": "bye", "max_retries": "bye"}),
        n("x", "caller_list_branch", {"black": "bye", "white": "bye", "none": "bye"},
          blackAction="announce"),
    ],
    ids=["play_prompt", "say_text", "menu", "collect_digits", "caller_list_branch"],
)  # fmt: skip
def test_missing_prompts(node):
    assert errors("x", node, BYE) == [("missing_prompt", "x", None)]


def test_depth_over_100_levels():
    chain = [
        n(f"s{i}", "say_text", {"next": f"s{i + 1}"}, text=f"step {i}") for i in range(MAX_DEPTH)
    ]
    chain.append(n(f"s{MAX_DEPTH}", "hang_up"))
    found = errors("s0", *chain)
    assert found == [("too_deep", f"s{MAX_DEPTH}", None)]
    assert errors("s1", *chain[1:]) == []  # exactly 100 levels is fine


def test_loop_without_a_retry_bound():
    found = errors(
        "a",
        n("a", "say_text", {"next": "b"}, text="A"),
        n("b", "play_prompt", {"next": "a"}, prompt="b.wav"),
    )
    assert found == [("unbounded_loop", "a", None)]


def test_loops_through_a_menu_or_a_counter_are_bounded():
    menu_loop = errors(
        "m",
        n("m", "menu", {"1": "info", "max_retries": "bye"}, prompt="m.wav"),
        n("info", "say_text", {"next": "m"}, text="Info"),
        BYE,
    )
    assert menu_loop == []
    counter_loop = errors(
        "c",
        n("c", "set_variable", {"next": "s", "limit": "bye"}, name="k", increment=1, max=3),
        n("s", "say_text", {"next": "c"}, text="again"),
        BYE,
    )
    assert counter_loop == []
    # A counter without a maximum bounds nothing.
    unbounded = errors(
        "c",
        n("c", "set_variable", {"next": "s"}, name="k", increment=1),
        n("s", "say_text", {"next": "c"}, text="again"),
    )
    assert unbounded == [("unbounded_loop", "c", None)]


def test_a_self_loop_is_a_loop():
    assert errors("s", n("s", "set_variable", {"next": "s"}, name="x", value="1")) == [
        ("unbounded_loop", "s", None)
    ]


def test_sub_flow_to_an_unknown_or_unpublished_flow():
    published, draft_only = uuid.uuid4(), uuid.uuid4()
    ctx = Context(published_flows={published})
    ok = n("s", "sub_flow", {"next": "bye"}, flowId=str(published))
    bad = n("s", "sub_flow", {"next": "bye"}, flowId=str(draft_only))
    assert errors("s", ok, BYE, ctx=ctx) == []
    assert errors("s", bad, BYE, ctx=ctx) == [("unknown_sub_flow", "s", None)]


def test_time_branch_to_an_unknown_calendar():
    ctx = Context(calendars=set())
    node = n("t", "time_branch", {"open": "bye", "closed": "bye"}, calendarId=str(uuid.uuid4()))
    assert errors("t", node, BYE, ctx=ctx) == [("unknown_calendar", "t", None)]


def test_missing_start_and_duplicate_ids():
    assert errors("nope", BYE) == [("missing_start", None, None)]
    assert ("duplicate_node", "bye", None) in errors("bye", BYE, BYE)


def test_errors_serialise_in_camel_case():
    doc = from_json({"start": "x", "nodes": [n("x", "play_prompt", {"next": "y"}, prompt="a")]})
    wire = msgspec.to_builtins(validate(doc))
    assert wire == [
        {"code": "dangling_exit", "message": wire[0]["message"], "nodeId": "x", "exit": "next"}
    ]


@pytest.mark.feature("IVR-1")
def test_every_node_type_has_a_json_schema_for_the_canvas():
    for node_type in NODE_TYPES.values():
        schema = params_schema(node_type)
        assert schema["type"] == "object", node_type.name
        assert schema["additionalProperties"] is False
    menu = params_schema(NODE_TYPES["menu"])["properties"]
    assert menu["maxRetries"] == {"type": "integer", "minimum": 0, "maximum": 10, "default": 3}
    assert params_schema(NODE_TYPES["transfer"])["required"] == ["kind", "target"]
