// Validation errors from the server ({code, message, nodeId, exit}) placed where they belong:
// on the node, on one of its exits, or (no node, or a node not on the canvas) in the general
// list.
import { ProblemError } from "../api/problem";
import type { FlowError } from "./types";

export interface NodeIssues {
  messages: string[]; // every message about the node, exits included
  exits: Record<string, string[]>;
}

export interface ErrorMap {
  byNode: Map<string, NodeIssues>;
  general: FlowError[];
}

export const NO_ERRORS: ErrorMap = { byNode: new Map(), general: [] };

export function mapErrors(errors: readonly FlowError[], nodeIds: Iterable<string>): ErrorMap {
  const known = new Set(nodeIds);
  const byNode = new Map<string, NodeIssues>();
  const general: FlowError[] = [];
  for (const error of errors) {
    if (!error.nodeId || !known.has(error.nodeId)) {
      general.push(error);
      continue;
    }
    const issues = byNode.get(error.nodeId) ?? { messages: [], exits: {} };
    issues.messages.push(error.message);
    if (error.exit) (issues.exits[error.exit] ??= []).push(error.message);
    byNode.set(error.nodeId, issues);
  }
  return { byNode, general };
}

function isFlowError(value: unknown): value is FlowError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && typeof v.message === "string";
}

/** The flow errors inside an `invalid_flow` problem (publish, simulate), else null. */
export function flowErrorsOf(error: unknown): FlowError[] | null {
  if (!(error instanceof ProblemError) || error.code !== "invalid_flow") return null;
  const list = error.problem.errors;
  return Array.isArray(list) ? list.filter(isFlowError) : [];
}
