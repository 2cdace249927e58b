// The IVR builder's wire types, taken from the generated API client (src/api/schema.d.ts).
import type { Schemas } from "../api/client";

export type NodeTypeOut = Schemas["NodeTypeOut"];
export type FlowDocument = Schemas["FlowDocument"];
export type DocNode = Schemas["Node"];
export type FlowError = Schemas["FlowError"];
export type FlowOut = Schemas["FlowOut"];
export type VersionSummary = Schemas["VersionSummary"];
export type VersionOut = Schemas["VersionOut"];
export type DraftOut = Schemas["DraftOut"];
export type SimulateIn = Schemas["SimulateIn"];
export type SimulateOut = Schemas["SimulateOut"];
export type StepOut = Schemas["StepOut"];
export type HeardOut = Schemas["HeardOut"];

/** A JSON Schema fragment as msgspec writes it for node parameters. */
export interface JsonSchema {
  type?: string;
  title?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}
