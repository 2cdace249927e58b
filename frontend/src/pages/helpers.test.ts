import { describe, expect, it } from "vitest";

import { safeNext } from "./LoginPage";
import { suggestSlug } from "./SignupPage";

describe("sign-in helpers", () => {
  it("follows only same-site next paths", () => {
    expect(safeNext("/portal/users?x=1")).toBe("/portal/users?x=1");
    expect(safeNext("//evil.example/")).toBeNull();
    expect(safeNext("https://evil.example/")).toBeNull();
    expect(safeNext(null)).toBeNull();
  });

  it("suggests a company ID from the company name", () => {
    expect(suggestSlug("Acme Telesales Co.")).toBe("acme-telesales-co");
    expect(suggestSlug("上海 Fastline 2026")).toBe("fastline-2026");
  });
});
