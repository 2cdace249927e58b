// What the agent can do with the customer, by where they send them (SEAT-6, IVR-7).
export type TargetKind = "external" | "agent" | "queue" | "ivr";
export const TARGET_KINDS: TargetKind[] = ["external", "agent", "queue", "ivr"];

export interface Allowed {
  transfer: boolean; // blind: the agent leaves at once
  consult: boolean; // attended: talk to the target first, then complete or cancel
  conference: boolean; // 3-way
  ivrAndBack: boolean; // the customer runs a flow, then comes back to this agent
}

export function allowedActions(kind: TargetKind): Allowed {
  return {
    transfer: true,
    consult: kind !== "ivr", // nobody to talk to inside a flow
    conference: kind === "external" || kind === "agent",
    ivrAndBack: kind === "ivr",
  };
}

/** The body of `POST /api/v1/cti/calls/{action}` for an action on the current call. */
export function commandBody(
  callId: string,
  kind: TargetKind,
  target: string,
  mode: "blind" | "attended" = "blind",
): { callId: string; mode: string; targetKind: string; target: string; digits: string; extension: string } {
  return { callId, mode, targetKind: kind, target: target.trim(), digits: "", extension: "" };
}
