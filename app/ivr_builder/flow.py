"""IVR-1: the flow document the canvas edits and the interpreter runs.

A flow is a JSON document of nodes and their exits:
`{"start": "n1", "nodes": [{"id": "n1", "type": "menu", "params": {...},
"exits": {"1": "n2", "max_retries": "n9"}}]}`. Node parameters are kept as plain JSON here and
checked against their type's struct by validation, so that a draft may be saved while invalid.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

NodeId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
MAX_NODES = 2000


class Node(msgspec.Struct, rename="camel", kw_only=True):
    id: NodeId
    type: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    params: dict[str, Any] = {}
    exits: dict[Annotated[str, msgspec.Meta(max_length=40)], NodeId] = {}
    # Canvas layout and labels; opaque to the server.
    ui: dict[str, Any] | None = None


class FlowDocument(msgspec.Struct, rename="camel", kw_only=True):
    start: NodeId
    nodes: Annotated[list[Node], msgspec.Meta(max_length=MAX_NODES)]

    def by_id(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}


def to_json(document: FlowDocument) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(document)
    return data


def from_json(data: Any) -> FlowDocument:
    return msgspec.convert(data, FlowDocument)
