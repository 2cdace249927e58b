import { describe, expect, it } from "vitest";

import { ProblemError, problemMessage, toProblem } from "./problem";

const t = (key: string) => `t:${key}`;

describe("toProblem", () => {
  it("keeps an RFC 9457 body as it is", () => {
    const body = { type: "about:blank", title: "Locked", status: 423, detail: "Locked until 10:15 UTC.", code: "locked" };
    expect(toProblem(423, body)).toEqual(body);
  });

  it("falls back to the HTTP status when the body carries no detail", () => {
    expect(toProblem(502, "<html>Bad gateway</html>", "Bad Gateway")).toEqual({ status: 502, detail: "Bad Gateway" });
    expect(toProblem(500, {}, "")).toEqual({ status: 500, detail: "HTTP 500" });
    expect(toProblem(400, "plain words")).toEqual({ status: 400, detail: "plain words" });
  });
});

describe("problemMessage", () => {
  it("shows the server's detail", () => {
    const error = new ProblemError({ status: 409, detail: "A user with e-mail a@b.cn already exists." });
    expect(problemMessage(error, t)).toBe("A user with e-mail a@b.cn already exists.");
  });

  it("translates the codes it knows", () => {
    const error = new ProblemError({ status: 401, detail: "Wrong company, e-mail or password.", code: "bad_credentials" });
    expect(problemMessage(error, t)).toBe("t:problem.bad_credentials");
  });

  it("keeps the lockout detail, which says when the lock ends", () => {
    const detail = "This account is locked after 5 failed sign-ins. Try again after 10:15 UTC.";
    expect(problemMessage(new ProblemError({ status: 423, detail, code: "locked" }), t)).toBe(detail);
  });

  it("lists field errors of a validation problem", () => {
    const error = new ProblemError({
      status: 400,
      detail: "The request is not valid: see errors.",
      errors: [{ key: "slug", message: "Expected `str` matching regex" }],
    });
    expect(problemMessage(error, t)).toBe("The request is not valid: see errors. (slug: Expected `str` matching regex)");
  });

  it("says the server is unreachable on a network failure", () => {
    expect(problemMessage(new TypeError("Failed to fetch"), t)).toBe("t:problem.network");
    expect(problemMessage(undefined, t)).toBe("t:problem.unknown");
  });
});
