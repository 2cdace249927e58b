import { describe, expect, it } from "vitest";

import { allowedActions, commandBody } from "./callControl";

describe("call control", () => {
  it("offers what each kind of target can take", () => {
    expect(allowedActions("external")).toEqual({ transfer: true, consult: true, conference: true, ivrAndBack: false });
    expect(allowedActions("agent").conference).toBe(true);
    expect(allowedActions("queue")).toEqual({ transfer: true, consult: true, conference: false, ivrAndBack: false });
    // Inside a flow there is nobody to consult or conference with; the caller comes back.
    expect(allowedActions("ivr")).toEqual({ transfer: true, consult: false, conference: false, ivrAndBack: true });
  });

  it("builds the CTI command body", () => {
    expect(commandBody("c1", "queue", " q-9 ", "attended")).toEqual({
      callId: "c1", mode: "attended", targetKind: "queue", target: "q-9", digits: "", extension: "",
    });
    expect(commandBody("c1", "external", "138 0013 8000").mode).toBe("blind");
  });
});
