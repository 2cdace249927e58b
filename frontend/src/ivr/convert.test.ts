// Document <-> React Flow: edges are exits, layout and labels ride in `ui`.
import { describe, expect, it } from "vitest";

import { autoLayout, connect, edgeId, fromDocument, newNodeId, removeNode, toDocument } from "./convert";
import type { FlowDocument } from "./types";

const doc: FlowDocument = {
  start: "welcome",
  nodes: [
    { id: "welcome", type: "play_prompt", params: { prompt: "welcome" }, exits: { next: "main" }, ui: { x: 0, y: 40, label: "Greeting" } },
    {
      id: "main",
      type: "menu",
      params: { prompt: "main-menu", maxRetries: 2 },
      exits: { "1": "bye", max_retries: "bye", invalid: "main" },
      ui: { x: 300, y: 40, keys: ["1", "2"], color: "teal" },
    },
    { id: "bye", type: "hang_up", params: {}, exits: {}, ui: { x: 600, y: 40 } },
  ],
};

describe("document <-> canvas", () => {
  it("makes one node per flow node and one edge per wired exit", () => {
    const canvas = fromDocument(doc);
    expect(canvas.start).toBe("welcome");
    expect(canvas.nodes.map((n) => [n.id, n.data.nodeType, n.data.label, n.position])).toEqual([
      ["welcome", "play_prompt", "Greeting", { x: 0, y: 40 }],
      ["main", "menu", "", { x: 300, y: 40 }],
      ["bye", "hang_up", "", { x: 600, y: 40 }],
    ]);
    expect(canvas.edges.map((e) => [e.source, e.sourceHandle, e.target])).toEqual([
      ["welcome", "next", "main"],
      ["main", "1", "bye"],
      ["main", "max_retries", "bye"],
      ["main", "invalid", "main"],
    ]);
    expect(canvas.nodes[1].data.keys).toEqual(["1", "2"]);
  });

  it("round-trips a document exactly, keeping ui fields it does not know", () => {
    expect(toDocument(fromDocument(doc))).toEqual(doc);
  });

  it("round-trips the canvas after an edit", () => {
    const canvas = fromDocument(doc);
    canvas.nodes[2].position = { x: 640.4, y: 99.6 };
    const edited = { ...canvas, edges: connect(canvas.edges, "main", "2", "welcome") };
    const again = fromDocument(toDocument(edited));
    expect(again.nodes[2].position).toEqual({ x: 640, y: 100 });
    expect(toDocument(again)).toEqual(toDocument(edited));
    expect(toDocument(again).nodes[1].exits).toEqual({ "1": "bye", "2": "welcome", max_retries: "bye", invalid: "main" });
  });

  it("keeps an exit to a node that is not in the flow, so saving changes nothing behind the admin's back", () => {
    const broken: FlowDocument = { start: "a", nodes: [{ id: "a", type: "play_prompt", params: {}, exits: { next: "gone" }, ui: { x: 0, y: 0 } }] };
    const canvas = fromDocument(broken);
    expect(canvas.edges).toEqual([]);
    expect(canvas.nodes[0].data.dangling).toEqual({ next: "gone" });
    expect(toDocument(canvas)).toEqual(broken);
  });

  it("lays out a document saved without positions by distance from the start", () => {
    const bare: FlowDocument = {
      start: "a",
      nodes: [
        { id: "c", type: "hang_up" },
        { id: "a", type: "menu", exits: { "1": "b", "2": "c" } },
        { id: "b", type: "hang_up" },
        { id: "lost", type: "hang_up" },
      ],
    };
    const at = autoLayout(bare);
    expect(at.get("a")).toEqual({ x: 0, y: 0 });
    expect(at.get("c")!.x).toBe(at.get("b")!.x);
    expect(at.get("c")!.y).not.toBe(at.get("b")!.y);
    expect(at.get("lost")!.x).toBeGreaterThan(at.get("b")!.x);
    expect(fromDocument(bare).nodes.find((n) => n.id === "b")!.position).toEqual(at.get("b"));
  });
});

describe("editing", () => {
  it("lets one exit lead to one node: a new connection replaces the old", () => {
    const canvas = fromDocument(doc);
    const edges = connect(canvas.edges, "welcome", "next", "bye");
    expect(edges.filter((e) => e.source === "welcome")).toEqual([
      { id: edgeId("welcome", "next"), source: "welcome", sourceHandle: "next", target: "bye", targetHandle: "in", label: "next" },
    ]);
  });

  it("removes a node with every exit to and from it", () => {
    const canvas = removeNode(fromDocument(doc), "bye");
    expect(canvas.edges.map((e) => e.id)).toEqual([edgeId("welcome", "next"), edgeId("main", "invalid")]);
  });

  it("numbers new nodes after the highest nN id", () => {
    expect(newNodeId([])).toBe("n1");
    expect(newNodeId([{ id: "start" }, { id: "n7" }, { id: "n2" }])).toBe("n8");
  });
});
