import { describe, expect, it } from "vitest";

import {
  attemptLine,
  clientState,
  deliveryTone,
  groupEventTypes,
  isWebhookUrl,
  scopeKey,
  toggleEventType,
  tokenCurl,
} from "./logic";

describe("api screens logic", () => {
  it("makes i18n-safe scope keys", () => {
    expect(scopeKey("calls:read")).toBe("calls_read");
    expect(scopeKey("webhooks:manage")).toBe("webhooks_manage");
  });

  it("groups event types and leaves out the wildcard", () => {
    const groups = groupEventTypes(["*", "call.state", "agent_state", "queue_busy", "dialer.campaign.status", "call_ended"]);
    expect(groups).toEqual([
      { group: "calls", items: ["call.state", "call_ended"] },
      { group: "agents", items: ["agent_state", "queue_busy"] },
      { group: "dialer", items: ["dialer.campaign.status"] },
    ]);
  });

  it("treats * as exclusive", () => {
    expect(toggleEventType(["call.state"], "*")).toEqual(["*"]);
    expect(toggleEventType(["*"], "call.state")).toEqual(["call.state"]);
    expect(toggleEventType(["call.state", "call.hold"], "call.state")).toEqual(["call.hold"]);
  });

  it("accepts only http(s) URLs", () => {
    expect(isWebhookUrl("https://crm.example.cn/hooks/fastline")).toBe(true);
    expect(isWebhookUrl("http://127.0.0.1:8080/x")).toBe(true);
    expect(isWebhookUrl("ftp://example.com/x")).toBe(false);
    expect(isWebhookUrl("not a url")).toBe(false);
  });

  it("colours deliveries and prints attempts", () => {
    expect(deliveryTone("delivered")).toBe("green");
    expect(deliveryTone("failed")).toBe("red");
    expect(deliveryTone("pending")).toBe("yellow");
    expect(attemptLine({ attempt: 2, outcome: "ok", statusCode: 200, latencyMs: 35, error: null, at: "" })).toBe("#2 200 · 35 ms");
    expect(attemptLine({ attempt: 1, outcome: "timeout", statusCode: null, latencyMs: 10000, error: "timed out", at: "" })).toBe(
      "#1 timeout · 10000 ms",
    );
  });

  it("knows revoked clients and builds the token curl", () => {
    expect(clientState({ revokedAt: null })).toBe("active");
    expect(clientState({ revokedAt: "2026-11-25T00:00:00Z" })).toBe("revoked");
    expect(tokenCurl("https://x.cn", "t.c", "fls_s")).toBe("curl -u 't.c:fls_s' -d grant_type=client_credentials https://x.cn/oauth/token");
  });
});

describe("authorization code screens", () => {
  it("parses redirect URIs one per line", async () => {
    const { parseRedirectUris } = await import("./logic");
    expect(parseRedirectUris(" https://a.cn/cb \n\nhttps://b.cn/cb\r\nhttps://a.cn/cb")).toEqual(["https://a.cn/cb", "https://b.cn/cb"]);
  });

  it("reads the authorization request and refuses one without PKCE S256", async () => {
    const { consentRequest } = await import("./logic");
    const ok = new URLSearchParams("response_type=code&client_id=t.c&redirect_uri=https%3A%2F%2Fp.cn%2Fcb&scope=calls%3Aread&state=s1&code_challenge=abc&code_challenge_method=S256");
    expect(consentRequest(ok)).toEqual({
      clientId: "t.c",
      redirectUri: "https://p.cn/cb",
      scope: "calls:read",
      state: "s1",
      codeChallenge: "abc",
      codeChallengeMethod: "S256",
      responseType: "code",
    });
    expect(consentRequest(new URLSearchParams("client_id=t.c&redirect_uri=x"))).toBeNull();
    expect(consentRequest(new URLSearchParams("client_id=t.c&redirect_uri=x&code_challenge=a&code_challenge_method=plain"))).toBeNull();
  });
});
