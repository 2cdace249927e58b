// The node catalogue (a snapshot of GET /api/v1/ivr/node-types, testdata/node-types.json; the
// e2e test uses the live one) -> palette, handles and property forms.
import { describe, expect, it } from "vitest";

import {
  checkField,
  checkParams,
  defaultParams,
  exitsFor,
  formFields,
  listToText,
  mapToText,
  paletteSections,
  parseKeys,
  textToList,
  textToMap,
  type Field,
} from "./catalogue";
import catalogueJson from "./testdata/node-types.json";
import type { JsonSchema, NodeTypeOut } from "./types";

const catalogue = catalogueJson as unknown as NodeTypeOut[];
const typeOf = (name: string) => catalogue.find((t) => t.type === name)!;
const fieldsOf = (name: string) => formFields(typeOf(name).paramsSchema as JsonSchema);
const field = (type: string, name: string): Field => fieldsOf(type).find((f) => f.name === name)!;

describe("palette", () => {
  it("offers every node type once, grouped", () => {
    const sections = paletteSections(catalogue);
    const listed = sections.flatMap((s) => s.items.map((i) => i.type));
    expect(listed.sort()).toEqual(catalogue.map((t) => t.type).sort());
    expect(sections.map((s) => s.group)).toEqual(["prompts", "input", "branches", "data", "ends"]);
    expect(sections[0].items.map((i) => i.type)).toEqual(["play_prompt", "say_text"]);
  });

  it("still shows a node type it has never heard of", () => {
    const extra = { ...typeOf("hang_up"), type: "send_sms", title: "Send SMS" };
    const sections = paletteSections([...catalogue, extra]);
    expect(sections.at(-1)).toEqual({ group: "other", items: [extra] });
  });
});

describe("exits as handles", () => {
  it("gives a menu one handle per chosen or wired key, in keypad order, then its named exits", () => {
    expect(exitsFor(typeOf("menu"), ["max_retries", "0"], ["2", "1"])).toEqual(["1", "2", "0", "timeout", "invalid", "max_retries"]);
  });

  it("gives other types their catalogue exits and keeps unknown wired exits visible", () => {
    expect(exitsFor(typeOf("time_branch"), [])).toEqual(["open", "closed", "holiday", "special"]);
    expect(exitsFor(typeOf("hang_up"), ["next"])).toEqual(["next"]);
    expect(exitsFor(typeOf("play_prompt"), ["5"], ["5"])).toEqual(["next", "5"]);
  });

  it("reads menu keys from what the admin typed", () => {
    expect(parseKeys("9, 1 1#x")).toEqual(["1", "9", "#"]);
    expect(parseKeys("")).toEqual([]);
  });
});

describe("forms from JSON Schema", () => {
  it("makes one field per parameter with a kind fit for its schema", () => {
    const kinds = Object.fromEntries(fieldsOf("menu").map((f) => [f.name, f.kind]));
    expect(kinds).toEqual({ prompt: "text", text: "longtext", voice: "enum", timeoutSeconds: "number", maxRetries: "integer" });
    expect(field("menu", "voice").options).toEqual(["", "en", "zh"]);
    expect(field("time_branch", "calendarId")).toMatchObject({ kind: "uuid", required: true });
    expect(field("set_variable", "max").kind).toBe("optionalInteger");
    expect(field("http_lookup", "variables").kind).toBe("list");
    expect(field("http_lookup", "assign").kind).toBe("map");
    expect(field("info_lookup", "speak").kind).toBe("boolean");
  });

  it("fills a new node with the schema's defaults only", () => {
    expect(defaultParams(fieldsOf("menu"))).toEqual({ prompt: "", text: "", voice: "", timeoutSeconds: 5, maxRetries: 3 });
    expect(defaultParams(fieldsOf("queue"))).toEqual({ priority: 0, maxWaitSeconds: 0 });
  });

  it("says what is wrong the way the schema does", () => {
    expect(checkField(field("queue", "queue"), undefined)).toEqual({ code: "required" });
    expect(checkField(field("queue", "queue"), "")).toEqual({ code: "required" });
    expect(checkField(field("queue", "queue"), "sales")).toBeNull();
    expect(checkField(field("menu", "timeoutSeconds"), 0)).toEqual({ code: "exclusiveMinimum", limit: 0 });
    expect(checkField(field("menu", "timeoutSeconds"), 121)).toEqual({ code: "maximum", limit: 120 });
    expect(checkField(field("menu", "maxRetries"), 1.5)).toEqual({ code: "integer" });
    expect(checkField(field("menu", "maxRetries"), Number.NaN)).toEqual({ code: "number" });
    expect(checkField(field("menu", "voice"), "fr")).toEqual({ code: "enum" });
    expect(checkField(field("play_prompt", "prompt"), "x".repeat(201))).toEqual({ code: "maxLength", limit: 200 });
    expect(checkField(field("time_branch", "calendarId"), "tomorrow")).toEqual({ code: "uuid" });
    expect(checkField(field("http_lookup", "url"), "ftp://x")).toEqual({ code: "pattern" });
    expect(checkField(field("set_variable", "max"), null)).toBeNull();
    expect(checkField(field("set_variable", "max"), 2.5)).toEqual({ code: "integer" });
  });

  it("checks list items, map keys and map values", () => {
    expect(checkField(field("http_lookup", "variables"), ["caller", "9lives"])).toEqual({ code: "pattern", item: "9lives" });
    expect(checkField(field("http_lookup", "assign"), { "bad name": "a.b" })).toEqual({ code: "key", item: "bad name" });
    expect(checkField(field("language_choice", "options"), { "1": "zh", "2": "fr" })).toEqual({ code: "enum", item: "2" });
    expect(checkField(field("language_choice", "options"), { "1": "zh", "2": "en" })).toBeNull();
  });

  it("checks a whole node's parameters", () => {
    expect(checkParams(fieldsOf("transfer"), { kind: "agent" })).toEqual({ target: { code: "required" } });
    expect(checkParams(fieldsOf("menu"), defaultParams(fieldsOf("menu")))).toEqual({});
  });

  it("edits lists and maps as text", () => {
    expect(textToList("a, b,\nc,,")).toEqual(["a", "b", "c"]);
    expect(listToText(["a", "b"])).toBe("a, b");
    expect(textToMap("status=order.status\n bad line \nx = y=z")).toEqual({ status: "order.status", x: "y=z" });
    expect(mapToText({ "1": "zh", "2": "en" })).toBe("1=zh\n2=en");
  });
});
