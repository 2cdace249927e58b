import { describe, expect, it } from "vitest";

import { checkSource, emptyDraft, splitSources, trunkBody, trunkPatch, validHost, validateTrunk } from "./model";

const draft = (over: Partial<ReturnType<typeof emptyDraft>> = {}) => ({ ...emptyDraft(), name: "Telecom", host: "sip.carrier.example", ...over });

describe("trunk source addresses", () => {
  it("accepts addresses and CIDR blocks of IPv4 and IPv6", () => {
    for (const s of ["203.0.113.7", "203.0.113.0/24", "10.1.0.0/16", "2001:db8::1", "2001:db8:1::/48", "::ffff:1/128"]) {
      expect(checkSource(s), s).toBe("ok");
    }
  });

  it("refuses what the server refuses, with the reason", () => {
    expect(checkSource("203.0.113.300")).toBe("invalid");
    expect(checkSource("203.0.113")).toBe("invalid");
    expect(checkSource("203.0.113.07")).toBe("invalid");
    expect(checkSource("203.0.113.0/33")).toBe("invalid");
    expect(checkSource("carrier.example")).toBe("invalid");
    expect(checkSource("2001:db8:::1")).toBe("invalid");
    expect(checkSource("203.0.113.9/24")).toBe("hostBits");
    expect(checkSource("10.0.0.0/8")).toBe("tooWide");
    expect(checkSource("0.0.0.0/0")).toBe("tooWide");
    expect(checkSource("2001:db8::/32")).toBe("tooWide");
    expect(checkSource("0.0.0.0")).toBe("unusable");
    expect(checkSource("224.0.0.1")).toBe("unusable");
    expect(checkSource("ff02::1")).toBe("unusable");
  });

  it("splits a pasted list on lines, commas and spaces", () => {
    expect(splitSources(" 203.0.113.7\n203.0.113.8, 198.51.100.0/24 ;\n")).toEqual(["203.0.113.7", "203.0.113.8", "198.51.100.0/24"]);
  });
});

describe("trunk form", () => {
  it("checks host, port, channels, caller id and names the bad source", () => {
    expect(validateTrunk(draft())).toEqual({});
    expect(validHost("[2001:db8::1]")).toBe(true);
    expect(validHost("sip:carrier.example")).toBe(false);
    expect(validateTrunk(draft({ name: " ", host: "bad host", port: "70000", maxChannels: "0", callerId: "call me" }))).toEqual({
      name: "name",
      host: "host",
      port: "port",
      maxChannels: "channels",
      callerId: "callerId",
    });
    expect(validateTrunk(draft({ sources: "203.0.113.7\n203.0.113.9/24" }))).toEqual({ sources: "hostBits", sourcesValue: "203.0.113.9/24" });
  });

  it("sends the password only when typed or cleared", () => {
    const d = draft({ port: "5080", sources: "203.0.113.7 203.0.113.8", username: "acct", password: "" });
    expect(trunkBody(d)).toMatchObject({ port: 5080, sourceIps: ["203.0.113.7", "203.0.113.8"], username: "acct", password: "" });
    expect(trunkPatch(d)).not.toHaveProperty("password");
    expect(trunkPatch({ ...d, password: "s3cret" }).password).toBe("s3cret");
    expect(trunkPatch({ ...d, clearPassword: true }).password).toBe("");
    expect(trunkPatch(d).clearBusiness).toBe(true);
    expect(trunkPatch({ ...d, businessId: "b-1" })).toMatchObject({ businessId: "b-1", clearBusiness: false });
  });
});
