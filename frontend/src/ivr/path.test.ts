// The simulator's path lit step by step.
import { describe, expect, it } from "vitest";

import { edgeId } from "./convert";
import { lightUpTo, pathSteps } from "./path";
import type { SimulateOut } from "./types";

const edges = new Set([edgeId("p", "next"), edgeId("m", "1"), edgeId("m", "max_retries")]);

const run: Pick<SimulateOut, "path" | "final"> = {
  path: [
    { depth: 0, nodeId: "p", nodeType: "play_prompt", exit: "next" },
    { depth: 0, nodeId: "m", nodeType: "menu", exit: "retry:timeout" },
    { depth: 1, nodeId: "inner", nodeType: "say_text", exit: "next" },
    { depth: 0, nodeId: "m", nodeType: "menu", exit: "1" },
    { depth: 0, nodeId: "h", nodeType: "hang_up", exit: null },
  ],
  final: { action: "hangup", nodeId: "h", detail: {} },
};

describe("path highlighting", () => {
  it("keeps the top-level steps with the edges they took; retries stay on the node", () => {
    expect(pathSteps(run, edges)).toEqual([
      { nodeId: "p", edgeId: edgeId("p", "next") },
      { nodeId: "m", edgeId: null },
      { nodeId: "m", edgeId: edgeId("m", "1") },
      { nodeId: "h", edgeId: null },
    ]);
  });

  it("ends at the node waiting for keys when the digits ran out", () => {
    const waiting = { path: [run.path[0]], final: { action: "collect_digits", nodeId: "m", detail: {} } };
    expect(pathSteps(waiting, edges)).toEqual([
      { nodeId: "p", edgeId: edgeId("p", "next") },
      { nodeId: "m", edgeId: null },
    ]);
  });

  it("does not light an exit that leads nowhere on the canvas", () => {
    const unwired = { path: [{ depth: 0, nodeId: "m", nodeType: "menu", exit: "2" }], final: { action: "hangup", nodeId: "m", detail: {} } };
    expect(pathSteps(unwired, edges)).toEqual([{ nodeId: "m", edgeId: null }]);
  });

  it("lights nodes and edges in order, with step numbers", () => {
    const steps = pathSteps(run, edges);
    expect(lightUpTo(steps, 0)).toEqual({ nodes: new Map(), edges: new Map(), current: null });
    const two = lightUpTo(steps, 2);
    expect([...two.nodes]).toEqual([["p", [1]], ["m", [2]]]);
    expect([...two.edges]).toEqual([[edgeId("p", "next"), 1]]);
    expect(two.current).toBe("m");
    const all = lightUpTo(steps, 99);
    expect(all.nodes.get("m")).toEqual([2, 3]);
    expect([...all.edges.keys()]).toEqual([edgeId("p", "next"), edgeId("m", "1")]);
    expect(all.current).toBe("h");
  });
});
