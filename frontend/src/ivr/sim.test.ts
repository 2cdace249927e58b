import { describe, expect, it } from "vitest";

import { atFromInput, localInputValue, withOffset } from "./sim";

describe("simulator time", () => {
  it("adds the offset the API asks for", () => {
    expect(withOffset("2026-10-01T09:30", 480)).toBe("2026-10-01T09:30:00+08:00");
    expect(withOffset("2026-01-05T18:00", -300)).toBe("2026-01-05T18:00:00-05:00");
    expect(withOffset("2026-01-05T18:00:30", 330)).toBe("2026-01-05T18:00:30+05:30");
  });

  it("reads and writes the datetime-local value in local time", () => {
    const date = new Date(2026, 9, 1, 9, 5);
    expect(localInputValue(date)).toBe("2026-10-01T09:05");
    const at = atFromInput("2026-10-01T09:05")!;
    expect(new Date(at).getTime()).toBe(date.getTime());
    expect(atFromInput("")).toBeNull();
  });
});
