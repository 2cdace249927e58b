// Server validation errors placed on the nodes and exits they name.
import { describe, expect, it } from "vitest";

import { ProblemError } from "../api/problem";
import { flowErrorsOf, mapErrors } from "./errors";
import type { FlowError } from "./types";

const errors: FlowError[] = [
  { code: "missing_prompt", message: "Node n1 (play_prompt) has no prompt.", nodeId: "n1", exit: null },
  { code: "missing_exit", message: "Node n2: exit max_retries is not connected.", nodeId: "n2", exit: "max_retries" },
  { code: "dangling_exit", message: "Node n2: exit 1 leads to n9, which is not in the flow.", nodeId: "n2", exit: "1" },
  { code: "missing_start", message: "Start node 'x' is not in the flow.", nodeId: null, exit: null },
  { code: "unreachable_node", message: "Node zz cannot be reached.", nodeId: "zz", exit: null },
];

describe("errors on the canvas", () => {
  it("puts node errors on the node, exit errors on the exit, the rest in the general list", () => {
    const map = mapErrors(errors, ["n1", "n2", "n3"]);
    expect(map.byNode.get("n1")).toEqual({ messages: [errors[0].message], exits: {} });
    expect(map.byNode.get("n2")).toEqual({
      messages: [errors[1].message, errors[2].message],
      exits: { max_retries: [errors[1].message], "1": [errors[2].message] },
    });
    expect(map.byNode.has("n3")).toBe(false);
    expect(map.general.map((e) => e.code)).toEqual(["missing_start", "unreachable_node"]);
  });

  it("reads the errors out of an invalid_flow problem and nothing else", () => {
    const invalid = new ProblemError({ status: 400, detail: "Version 2 has 1 error(s)", code: "invalid_flow", errors: [errors[0], { junk: true }] });
    expect(flowErrorsOf(invalid)).toEqual([errors[0]]);
    expect(flowErrorsOf(new ProblemError({ status: 409, detail: "no draft" }))).toBeNull();
    expect(flowErrorsOf(new Error("x"))).toBeNull();
  });
});
