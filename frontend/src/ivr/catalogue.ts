// The back end's node catalogue (GET /api/v1/ivr/node-types) turned into what the canvas needs:
// palette groups, the exits a node shows as handles, and property-form fields generated from
// each type's JSON Schema, with the same checks the schema states (so most mistakes are shown
// while typing; the server's validation stays the judge).
import type { JsonSchema, NodeTypeOut } from "./types";

// --- palette ---------------------------------------------------------------------------------

export type PaletteGroup = "prompts" | "input" | "branches" | "data" | "ends" | "other";

const GROUP_OF: Record<string, PaletteGroup> = {
  play_prompt: "prompts",
  say_text: "prompts",
  menu: "input",
  collect_digits: "input",
  language_choice: "input",
  survey_question: "input",
  time_branch: "branches",
  caller_list_branch: "branches",
  info_lookup: "data",
  http_lookup: "data",
  set_variable: "data",
  sub_flow: "data",
  queue: "ends",
  transfer: "ends",
  voicemail: "ends",
  return: "ends",
  hang_up: "ends",
};
export const GROUP_ORDER: readonly PaletteGroup[] = ["prompts", "input", "branches", "data", "ends", "other"];

export interface PaletteSection {
  group: PaletteGroup;
  items: NodeTypeOut[];
}

/** Node types grouped for the palette, in the server's order within a group. A type this
 * front end does not know yet still shows (under "other"): the catalogue is the source. */
export function paletteSections(catalogue: readonly NodeTypeOut[]): PaletteSection[] {
  return GROUP_ORDER.map((group) => ({
    group,
    items: catalogue.filter((t) => (GROUP_OF[t.type] ?? "other") === group),
  })).filter((section) => section.items.length > 0);
}

export function byType(catalogue: readonly NodeTypeOut[]): Map<string, NodeTypeOut> {
  return new Map(catalogue.map((t) => [t.type, t]));
}

// --- exits -----------------------------------------------------------------------------------

export const KEYPAD = "1234567890*#";

/** The DTMF keys in a text ("1 2, 9#" → ["1","2","9","#"]), once each, in keypad order. */
export function parseKeys(text: string): string[] {
  return [...KEYPAD].filter((key) => text.includes(key));
}

/** Every exit a node shows as a source handle: its menu keys (the ones chosen in the form and
 * any already wired), then the type's named exits, then wired exits the type does not know
 * (the server reports those as unknown_exit; the canvas keeps them visible so they can be
 * removed). */
export function exitsFor(
  nodeType: NodeTypeOut | undefined,
  wired: readonly string[],
  keys: readonly string[] = [],
): string[] {
  const named = nodeType?.exits ?? [];
  const digits = nodeType?.digitExits
    ? [...KEYPAD].filter((k) => keys.includes(k) || wired.includes(k))
    : [];
  const known = new Set([...digits, ...named]);
  return [...digits, ...named, ...wired.filter((exit) => !known.has(exit))];
}

// --- property forms --------------------------------------------------------------------------

export type FieldKind =
  | "text"
  | "longtext"
  | "number"
  | "integer"
  | "optionalInteger"
  | "enum"
  | "boolean"
  | "uuid"
  | "list"
  | "map";

export interface Field {
  name: string;
  kind: FieldKind;
  required: boolean;
  schema: JsonSchema;
  default?: unknown;
  options?: string[];
  item?: JsonSchema; // list items, map values
  key?: JsonSchema; // map keys
}

const LONG_TEXT = 500;

function fieldKind(schema: JsonSchema): FieldKind {
  if (schema.anyOf) {
    const types = schema.anyOf.map((s) => s.type);
    if (types.includes("integer") && types.includes("null")) return "optionalInteger";
  }
  if (schema.enum) return "enum";
  switch (schema.type) {
    case "boolean":
      return "boolean";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "array":
      return "list";
    case "object":
      return "map";
    default:
      if (schema.format === "uuid") return "uuid";
      return (schema.maxLength ?? 0) > LONG_TEXT ? "longtext" : "text";
  }
}

/** One form field per property of a node type's parameter schema, in schema order. */
export function formFields(schema: JsonSchema): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, prop]) => {
    const kind = fieldKind(prop);
    const field: Field = { name, kind, required: required.has(name), schema: prop };
    if ("default" in prop) field.default = prop.default;
    if (kind === "enum") field.options = (prop.enum ?? []).map(String);
    if (kind === "list") field.item = prop.items;
    if (kind === "map") {
      field.item = typeof prop.additionalProperties === "object" ? prop.additionalProperties : undefined;
      field.key = prop.propertyNames;
    }
    return field;
  });
}

/** Parameters of a new node: every default the schema states, written out so the form shows
 * them. Fields without a default (required ones, or server-side factories) stay absent. */
export function defaultParams(fields: readonly Field[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.default !== undefined) params[field.name] = structuredClone(field.default);
  }
  return params;
}

export type ProblemCode =
  | "required"
  | "minLength"
  | "maxLength"
  | "pattern"
  | "minimum"
  | "maximum"
  | "exclusiveMinimum"
  | "integer"
  | "number"
  | "enum"
  | "uuid"
  | "key";

export interface FieldProblem {
  code: ProblemCode;
  limit?: number | string;
  item?: string; // the list item or map key at fault
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkString(schema: JsonSchema, value: string): FieldProblem | null {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return value.length === 0 ? { code: "required" } : { code: "minLength", limit: schema.minLength };
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength) {
    return { code: "maxLength", limit: schema.maxLength };
  }
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) return { code: "pattern" };
  if (schema.format === "uuid" && !UUID.test(value)) return { code: "uuid" };
  return null;
}

function checkNumber(schema: JsonSchema, value: number, integer: boolean): FieldProblem | null {
  if (integer && !Number.isInteger(value)) return { code: "integer" };
  if (schema.minimum !== undefined && value < schema.minimum) return { code: "minimum", limit: schema.minimum };
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
    return { code: "exclusiveMinimum", limit: schema.exclusiveMinimum };
  }
  if (schema.maximum !== undefined && value > schema.maximum) return { code: "maximum", limit: schema.maximum };
  return null;
}

function checkValue(schema: JsonSchema, value: unknown): FieldProblem | null {
  if (schema.enum) return schema.enum.includes(value) ? null : { code: "enum" };
  if (schema.anyOf) {
    if (value === null) return null;
    const inner = schema.anyOf.find((s) => s.type !== "null");
    return inner ? checkValue(inner, value) : null;
  }
  if (schema.type === "integer" || schema.type === "number") {
    if (typeof value !== "number" || Number.isNaN(value)) return { code: "number" };
    return checkNumber(schema, value, schema.type === "integer");
  }
  if (schema.type === "string") return typeof value === "string" ? checkString(schema, value) : { code: "required" };
  return null;
}

/** What is wrong with one field's value, as the schema would say it; null when fine. */
export function checkField(field: Field, value: unknown): FieldProblem | null {
  if (value === undefined || (value === null && field.kind !== "optionalInteger")) {
    return field.required ? { code: "required" } : null;
  }
  if (field.kind === "list") {
    if (!Array.isArray(value)) return { code: "required" };
    for (const item of value) {
      if (field.item && checkValue(field.item, item)) return { code: "pattern", item: String(item) };
    }
    return null;
  }
  if (field.kind === "map") {
    if (typeof value !== "object" || value === null) return { code: "required" };
    for (const [key, item] of Object.entries(value)) {
      if (field.key?.pattern && !new RegExp(field.key.pattern).test(key)) return { code: "key", item: key };
      const problem = field.item ? checkValue(field.item, item) : null;
      if (problem) return { ...problem, item: key };
    }
    return null;
  }
  return checkValue(field.schema, value);
}

/** Every field's problem, by field name. */
export function checkParams(fields: readonly Field[], params: Record<string, unknown>): Record<string, FieldProblem> {
  const problems: Record<string, FieldProblem> = {};
  for (const field of fields) {
    const problem = checkField(field, params[field.name]);
    if (problem) problems[field.name] = problem;
  }
  return problems;
}

// Lists and maps are edited as text: "a, b" and one "key=value" per line.

export function listToText(value: unknown): string {
  return Array.isArray(value) ? value.join(", ") : "";
}

export function textToList(text: string): string[] {
  return text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
}

export function mapToText(value: unknown): string {
  if (typeof value !== "object" || value === null) return "";
  return Object.entries(value).map(([k, v]) => `${k}=${String(v)}`).join("\n");
}

export function textToMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at <= 0) continue;
    map[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return map;
}
