// The simulator's path lit on the canvas, one step at a time: which nodes were passed (with
// their step numbers: a menu replayed after a timeout is passed twice) and which exits taken.
import { edgeId } from "./convert";
import type { SimulateOut } from "./types";

export interface PathStep {
  nodeId: string;
  edgeId: string | null; // the exit taken, when it leads somewhere on this canvas
}

/** The steps of the top-level flow (sub-flows run on their own canvases). A retry
 * ("retry:timeout") stays on the node; the node the caller is left waiting at (needs_input)
 * or that ended the call is the last step. */
export function pathSteps(result: Pick<SimulateOut, "path" | "final">, edgeIds: ReadonlySet<string>): PathStep[] {
  const steps: PathStep[] = [];
  for (const step of result.path) {
    if (step.depth !== 0) continue;
    const id = step.exit && !step.exit.startsWith("retry:") ? edgeId(step.nodeId, step.exit) : null;
    steps.push({ nodeId: step.nodeId, edgeId: id && edgeIds.has(id) ? id : null });
  }
  const last = steps[steps.length - 1];
  const finalNode = result.final?.nodeId;
  if (finalNode && (!last || last.nodeId !== finalNode || last.edgeId !== null)) {
    steps.push({ nodeId: finalNode, edgeId: null });
  }
  return steps;
}

export interface LitPath {
  nodes: Map<string, number[]>; // node id -> step numbers (1-based) that passed it
  edges: Map<string, number>; // edge id -> the step number that took it (the latest)
  current: string | null; // the node of the latest step shown
}

export const DARK: LitPath = { nodes: new Map(), edges: new Map(), current: null };

/** What is lit after the first `count` steps. */
export function lightUpTo(steps: readonly PathStep[], count: number): LitPath {
  const nodes = new Map<string, number[]>();
  const edges = new Map<string, number>();
  const shown = steps.slice(0, Math.max(0, count));
  shown.forEach((step, index) => {
    nodes.set(step.nodeId, [...(nodes.get(step.nodeId) ?? []), index + 1]);
    if (step.edgeId) edges.set(step.edgeId, index + 1);
  });
  return { nodes, edges, current: shown[shown.length - 1]?.nodeId ?? null };
}
