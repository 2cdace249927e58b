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

/** Redirect URIs typed one per line: trimmed, blank lines dropped, duplicates once. */
export function parseRedirectUris(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))];
}

export interface ConsentRequest {
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  codeChallenge: string;
  codeChallengeMethod: "S256";
  responseType: "code";
}

/** The authorization request from the consent page's query (RFC 6749 names); null when a
 * required parameter is missing or the challenge method is not S256. */
export function consentRequest(params: URLSearchParams): ConsentRequest | null {
  const clientId = params.get("client_id") ?? "";
  const redirectUri = params.get("redirect_uri") ?? "";
  const codeChallenge = params.get("code_challenge") ?? "";
  const method = params.get("code_challenge_method") ?? "S256";
  if (!clientId || !redirectUri || !codeChallenge || method !== "S256") return null;
  if ((params.get("response_type") ?? "code") !== "code") return null;
  return {
    clientId,
    redirectUri,
    scope: params.get("scope") ?? "",
    state: params.get("state") ?? "",
    codeChallenge,
    codeChallengeMethod: "S256",
    responseType: "code",
  };
}
