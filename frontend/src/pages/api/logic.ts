// Pure helpers of the API clients and webhooks screens (tested by logic.test.ts).
import type { components } from "../../api/schema";

type Schemas = components["schemas"];
export type ApiClientOut = Schemas["ApiClientOut"];
export type ApiClientCreated = Schemas["ApiClientCreated"];
export type ScopeName = Schemas["ApiClientIn"]["scopes"][number];
export type WebhookOut = Schemas["WebhookOut"];
export type WebhookCreated = Schemas["WebhookCreated"];
export type EventType = Schemas["WebhookIn"]["eventTypes"][number];
export type DeliveryOut = Schemas["DeliveryOut"];

export const SCOPES: readonly ScopeName[] = [
  "calls:read",
  "calls:write",
  "recordings:read",
  "agents:read",
  "webhooks:manage",
  "leads:write",
];

/** i18next reads ":" as a namespace separator: scope names become keys with "_". */
export function scopeKey(scope: string): string {
  return scope.replace(/[:.]/g, "_");
}

/** Event types grouped for the picker, by their prefix (call., agent_, dialer., ...). */
export function groupEventTypes(types: readonly string[]): { group: string; items: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const type of types) {
    if (type === "*") continue;
    const group = type.startsWith("dialer.")
      ? "dialer"
      : type.startsWith("agent") || type.startsWith("queue")
        ? "agents"
        : type.startsWith("webhook.")
          ? "webhook"
          : "calls";
    groups.set(group, [...(groups.get(group) ?? []), type]);
  }
  return [...groups.entries()].map(([group, items]) => ({ group, items }));
}

/** Picking "*" (every event) replaces the others; picking another drops "*". */
export function toggleEventType(current: readonly string[], type: string): string[] {
  if (current.includes(type)) return current.filter((t) => t !== type);
  if (type === "*") return ["*"];
  return [...current.filter((t) => t !== "*"), type];
}

export function isWebhookUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "https:" || parsed.protocol === "http:") && parsed.hostname !== "";
  } catch {
    return false;
  }
}

export type Tone = "green" | "red" | "yellow" | "gray";

export function deliveryTone(status: string): Tone {
  if (status === "delivered") return "green";
  if (status === "failed") return "red";
  if (status === "pending") return "yellow";
  return "gray";
}

/** One line per attempt: "#2 200 · 35 ms" or "#1 timeout · 10000 ms". */
export function attemptLine(attempt: DeliveryOut["attemptLog"][number]): string {
  const what = attempt.statusCode != null ? String(attempt.statusCode) : attempt.outcome;
  return `#${attempt.attempt} ${what} · ${attempt.latencyMs} ms`;
}

export function clientState(client: Pick<ApiClientOut, "revokedAt">): "active" | "revoked" {
  return client.revokedAt ? "revoked" : "active";
}

/** The curl a partner runs first, shown next to the secret. */
export function tokenCurl(origin: string, clientId: string, secret: string): string {
  return `curl -u '${clientId}:${secret}' -d grant_type=client_credentials ${origin}/oauth/token`;
}
