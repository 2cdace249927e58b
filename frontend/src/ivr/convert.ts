// The flow document (what the server stores and the interpreter runs) <-> React Flow's nodes
// and edges. An edge IS an exit: source = the node, sourceHandle = the exit's name, target =
// the node it leads to. Layout, labels and menu keys live in each node's `ui`, which the server
// keeps without reading; ui fields this canvas does not know are carried through untouched.
import type { Edge, Node } from "@xyflow/react";

import type { DocNode, FlowDocument } from "./types";

export const NODE_KIND = "ivr";
export const TARGET_HANDLE = "in";

export interface IvrNodeData extends Record<string, unknown> {
  nodeType: string;
  label: string;
  params: Record<string, unknown>;
  keys: string[]; // menu keys offered as handles even before they are wired
  dangling: Record<string, string>; // exits naming a node that is not in the flow
  uiExtra: Record<string, unknown>;
}

export type IvrNode = Node<IvrNodeData, typeof NODE_KIND>;
export type IvrEdge = Edge;

export interface Canvas {
  start: string;
  nodes: IvrNode[];
  edges: IvrEdge[];
}

export const edgeId = (source: string, exit: string): string => `e:${source}:${exit}`;

const COLUMN = 300;
const ROW = 170;

/** Columns by distance from the start (breadth first), for documents saved without layout. */
export function autoLayout(doc: FlowDocument): Map<string, { x: number; y: number }> {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const queue = byId.has(doc.start) ? [doc.start] : [];
  if (queue.length) depth.set(doc.start, 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const target of Object.values(byId.get(id)?.exits ?? {})) {
      if (byId.has(target) && !depth.has(target)) {
        depth.set(target, depth.get(id)! + 1);
        queue.push(target);
      }
    }
  }
  const last = Math.max(-1, ...depth.values()) + 1;
  const rows = new Map<number, number>();
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of doc.nodes) {
    const column = depth.get(node.id) ?? last;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    positions.set(node.id, { x: column * COLUMN, y: row * ROW });
  }
  return positions;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function fromDocument(doc: FlowDocument): Canvas {
  const ids = new Set(doc.nodes.map((n) => n.id));
  const layout = autoLayout(doc);
  const nodes: IvrNode[] = [];
  const edges: IvrEdge[] = [];
  for (const node of doc.nodes) {
    const { x, y, label, keys, ...uiExtra } = node.ui ?? {};
    const dangling: Record<string, string> = {};
    for (const [exit, target] of Object.entries(node.exits ?? {})) {
      if (!ids.has(target)) {
        dangling[exit] = target;
        continue;
      }
      edges.push({ id: edgeId(node.id, exit), source: node.id, sourceHandle: exit, target, targetHandle: TARGET_HANDLE, label: exit });
    }
    const auto = layout.get(node.id)!;
    nodes.push({
      id: node.id,
      type: NODE_KIND,
      position: { x: num(x) ?? auto.x, y: num(y) ?? auto.y },
      data: {
        nodeType: node.type,
        label: typeof label === "string" ? label : "",
        params: structuredClone(node.params ?? {}),
        keys: Array.isArray(keys) ? keys.map(String) : [],
        dangling,
        uiExtra,
      },
    });
  }
  return { start: doc.start, nodes, edges };
}

export function toDocument(canvas: Canvas): FlowDocument {
  const exits = new Map<string, Record<string, string>>();
  for (const edge of canvas.edges) {
    if (!edge.sourceHandle) continue;
    const out = exits.get(edge.source) ?? {};
    out[edge.sourceHandle] = edge.target;
    exits.set(edge.source, out);
  }
  const nodes: DocNode[] = canvas.nodes.map((node) => {
    const { nodeType, label, params, keys, dangling, uiExtra } = node.data;
    const ui: Record<string, unknown> = { ...uiExtra, x: Math.round(node.position.x), y: Math.round(node.position.y) };
    if (label) ui.label = label;
    if (keys.length) ui.keys = [...keys];
    return {
      id: node.id,
      type: nodeType,
      params: structuredClone(params),
      exits: { ...dangling, ...(exits.get(node.id) ?? {}) },
      ui,
    };
  });
  return { start: canvas.start, nodes };
}

/** A fresh node id: n1, n2, ... (ids from other sources are left alone). */
export function newNodeId(nodes: readonly { id: string }[]): string {
  const used = new Set(nodes.map((n) => n.id));
  let next = 1 + Math.max(0, ...nodes.map((n) => Number(/^n(\d+)$/.exec(n.id)?.[1] ?? 0)));
  while (used.has(`n${next}`)) next += 1;
  return `n${next}`;
}

/** Wire `exit` of `source` to `target`: one exit leads to one node, so a new connection from
 * the same handle replaces the old one. */
export function connect(edges: readonly IvrEdge[], source: string, exit: string, target: string): IvrEdge[] {
  const id = edgeId(source, exit);
  return [
    ...edges.filter((e) => e.id !== id),
    { id, source, sourceHandle: exit, target, targetHandle: TARGET_HANDLE, label: exit },
  ];
}

/** Drop a node and every exit leading to or from it. */
export function removeNode(canvas: Canvas, id: string): Canvas {
  return {
    start: canvas.start,
    nodes: canvas.nodes.filter((n) => n.id !== id),
    edges: canvas.edges.filter((e) => e.source !== id && e.target !== id),
  };
}
