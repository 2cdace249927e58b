// What every node on the canvas reads besides its own data: the catalogue, which exits are
// wired, the errors to show on it and the simulator's lit path. A context instead of node data,
// so that the document state holds only what is saved.
import { createContext, useContext } from "react";

import { NO_ERRORS, type ErrorMap } from "../errors";
import { DARK, type LitPath } from "../path";
import type { NodeTypeOut } from "../types";

export interface CanvasView {
  catalogue: Map<string, NodeTypeOut>;
  wired: Map<string, string[]>;
  errors: ErrorMap;
  lit: LitPath;
  start: string;
}

export const CanvasViewContext = createContext<CanvasView>({
  catalogue: new Map(),
  wired: new Map(),
  errors: NO_ERRORS,
  lit: DARK,
  start: "",
});

export const useCanvasView = () => useContext(CanvasViewContext);

/** The MIME type a palette item carries while dragged onto the canvas. */
export const DRAG_TYPE = "application/x-fastline-ivr-node";
