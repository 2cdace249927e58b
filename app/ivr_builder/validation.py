"""IVR-1/IVR-3: what makes a flow publishable. Every error names its node (and exit).

Drafts may be saved with errors; only an error-free draft is published. Checks: node types,
parameters against their schema, prompts present, exits known/wired/pointing at real nodes,
every node reachable from the start, depth at most 100 levels, no loop the caller could spin
forever (every cycle passes a menu/collect node with retries, or a counter with a maximum),
sub-flows and calendars that exist in the tenant.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from uuid import UUID

import msgspec

from app.ivr_builder import nodes as nt
from app.ivr_builder.flow import FlowDocument, Node

MAX_DEPTH = 100


class FlowError(msgspec.Struct, rename="camel", kw_only=True):
    code: str
    message: str
    node_id: str | None = None
    exit: str | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """What the tenant has; None means "do not check" (e.g. a unit test of one node)."""

    published_flows: Collection[UUID] | None = None
    calendars: Collection[UUID] | None = None


def validate(doc: FlowDocument, ctx: Context | None = None) -> list[FlowError]:
    ctx = ctx or Context()
    errors: list[FlowError] = []
    index: dict[str, Node] = {}
    for node in doc.nodes:
        if node.id in index:
            errors.append(_err("duplicate_node", f"Two nodes have the id {node.id!r}.", node))
        index[node.id] = node
    if doc.start not in index:
        errors.append(FlowError(code="missing_start", message=f"Start node {doc.start!r} is "
                                "not in the flow."))  # fmt: skip
    parsed: dict[str, nt.Params | None] = {}
    for node in doc.nodes:
        params, node_errors = _check_node(node, index, ctx)
        parsed[node.id] = params
        errors.extend(node_errors)
    if doc.start in index:
        errors.extend(_check_reach_and_depth(doc, index))
        errors.extend(_check_loops(index, parsed))
    return errors


def _err(code: str, message: str, node: Node, exit_name: str | None = None) -> FlowError:
    return FlowError(code=code, message=message, node_id=node.id, exit=exit_name)


def _check_node(
    node: Node, index: dict[str, Node], ctx: Context
) -> tuple[nt.Params | None, list[FlowError]]:
    node_type = nt.NODE_TYPES.get(node.type)
    if node_type is None:
        return None, [_err("unknown_node_type", f"Node {node.id}: unknown type {node.type!r}.",
                           node)]  # fmt: skip
    errors: list[FlowError] = []
    params: nt.Params | None = None
    try:
        params = nt.parse_params(node_type, node.params)
    except msgspec.ValidationError as exc:
        errors.append(_err("invalid_params", f"Node {node.id} ({node.type}): {exc}", node))
    errors.extend(_check_exits(node, node_type, params, index))
    if params is not None:
        errors.extend(_check_params(node, node_type, params, ctx))
    return params, errors


def _check_exits(
    node: Node, node_type: nt.NodeType, params: nt.Params | None, index: dict[str, Node]
) -> Iterator[FlowError]:
    for name, target in node.exits.items():
        if not nt.allowed_exit(node_type, name):
            yield _err("unknown_exit", f"Node {node.id}: a {node.type} has no exit {name!r}.",
                       node, name)  # fmt: skip
        elif target not in index:
            yield _err("dangling_exit", f"Node {node.id}: exit {name!r} goes to {target!r}, "
                       "which is not in the flow.", node, name)  # fmt: skip
    for name in nt.required_exits(node_type, params):
        if name not in node.exits:
            yield _err("missing_exit", f"Node {node.id}: exit {name!r} must be connected.",
                       node, name)  # fmt: skip
    if node_type.digit_exits and not any(len(k) == 1 and k in nt.DTMF_KEYS for k in node.exits):
        yield _err("missing_exit", f"Node {node.id}: a menu needs at least one key connected.",
                   node)  # fmt: skip


def _check_params(
    node: Node, node_type: nt.NodeType, params: nt.Params, ctx: Context
) -> Iterator[FlowError]:
    fields = node_type.prompt_fields
    if fields and not any(str(getattr(params, f)).strip() for f in fields):
        names = " or ".join(fields)
        yield _err("missing_prompt", f"Node {node.id}: give a {names}.", node)
    if isinstance(params, nt.CallerListBranchParams) and params.black_action == "announce":
        if not params.black_text.strip():
            yield _err("missing_prompt", f"Node {node.id}: give the text black-listed callers "
                       "hear.", node)  # fmt: skip
    if isinstance(params, nt.CollectDigitsParams) and params.min_length > params.max_length:
        yield _err("invalid_params", f"Node {node.id}: minLength is above maxLength.", node)
    if isinstance(params, nt.SurveyQuestionParams) and params.min_score > params.max_score:
        yield _err("invalid_params", f"Node {node.id}: minScore is above maxScore.", node)
    if isinstance(params, nt.SetVariableParams) and params.max is not None:
        if params.increment is None:
            yield _err("invalid_params", f"Node {node.id}: `max` needs `increment`.", node)
    if isinstance(params, nt.LanguageChoiceParams):
        bad = [k for k in params.options if k not in nt.DTMF_KEYS]
        if bad:
            yield _err("invalid_params", f"Node {node.id}: {bad[0]!r} is not a key.", node)
    if isinstance(params, nt.SubFlowParams) and ctx.published_flows is not None:
        if params.flow_id not in ctx.published_flows:
            yield _err("unknown_sub_flow", f"Node {node.id}: flow {params.flow_id} does not "
                       "exist or has no published version.", node)  # fmt: skip
    if isinstance(params, nt.TimeBranchParams) and ctx.calendars is not None:
        if params.calendar_id not in ctx.calendars:
            yield _err("unknown_calendar", f"Node {node.id}: no calendar {params.calendar_id}.",
                       node)  # fmt: skip


def _check_reach_and_depth(doc: FlowDocument, index: dict[str, Node]) -> Iterator[FlowError]:
    # Breadth-first from the start: a node's level is the length of the shortest way to it.
    level = {doc.start: 1}
    todo = deque([doc.start])
    while todo:
        current = todo.popleft()
        for target in index[current].exits.values():
            if target in index and target not in level:
                level[target] = level[current] + 1
                todo.append(target)
    for node in doc.nodes:
        if node.id not in level:
            yield _err("unreachable_node", f"Node {node.id}: no path from the start leads here.",
                       node)  # fmt: skip
        elif level[node.id] > MAX_DEPTH:
            yield _err("too_deep", f"Node {node.id} is {level[node.id]} levels deep; the limit "
                       f"is {MAX_DEPTH}.", node)  # fmt: skip


def _check_loops(
    index: dict[str, Node], parsed: dict[str, nt.Params | None]
) -> Iterator[FlowError]:
    """A cycle is bounded when it passes a bounding node; so drop those nodes and look for any
    cycle left among the others (strongly connected components, Tarjan, iterative)."""
    free = {
        node_id
        for node_id, node in index.items()
        if not (node.type in nt.NODE_TYPES
                and nt.bounds_loops(nt.NODE_TYPES[node.type], parsed.get(node_id)))
    }  # fmt: skip
    graph = {n: [t for t in index[n].exits.values() if t in free] for n in free}
    for component in _cycles(graph):
        first = index[component[0]]
        loop = " -> ".join(component)
        yield _err("unbounded_loop", f"Loop {loop} has no retry limit: route it through a menu, "
                   "a collect-digits node or a counter with a maximum.", first)  # fmt: skip


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components that contain a cycle (size > 1, or a self-loop)."""
    counter = 0
    indices: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in indices:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                indices[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = graph[node]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in indices:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], indices[nxt])
                continue
            if low[node] == indices[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found
