import { describe, expect, it } from "vitest";

import { can, homeFor, navFor } from "./permissions";

const paths = (role: string) => navFor(role).map((item) => item.path);

describe("navigation by role", () => {
  it("shows agents their profile and the seat console", () => {
    expect(paths("agent")).toEqual(["/portal/profile", "/seat", "/portal/recordings", "/portal/customers", "/portal/tickets", "/portal/knowledge"]);
    expect(homeFor("agent")).toBe("/portal/profile");
  });

  it("shows admins every portal screen", () => {
    expect(paths("admin")).toEqual([
      "/portal",
      "/portal/users",
      "/portal/businesses",
      "/portal/numbers",
      "/portal/trunks",
      "/portal/calendars",
      "/portal/lists",
      "/portal/audit",
      "/portal/security",
      "/portal/profile",
      "/ivr",
      "/seat",
      "/wallboard",
      "/portal/queues",
      "/portal/agents",
      "/portal/campaigns",
      "/portal/calls",
      "/portal/recordings",
      "/portal/reports",
      "/portal/customers",
      "/portal/tickets",
      "/portal/knowledge",
      "/portal/billing",
      "/portal/api-clients",
      "/portal/webhooks",
    ]);
    expect(homeFor("admin")).toBe("/portal");
  });

  it("gives supervisors the audit log but not the security settings", () => {
    expect(paths("supervisor")).toContain("/portal/audit");
    expect(paths("supervisor")).not.toContain("/portal/security");
    expect(paths("supervisor")).toContain("/wallboard");
    expect(paths("agent")).not.toContain("/wallboard");
    expect(can("supervisor", "users.write")).toBe(false);
    expect(can("supervisor", "lists.write")).toBe(true);
  });

  it("gives QA read-only settings and no audit log", () => {
    expect(paths("qa")).not.toContain("/portal/audit");
    expect(can("qa", "settings.write")).toBe(false);
  });

  it("gives calls and recordings to QA, recordings only to agents, reports to supervisors", () => {
    expect(paths("qa")).toEqual(expect.arrayContaining(["/portal/calls", "/portal/recordings"]));
    expect(paths("qa")).not.toContain("/portal/reports");
    expect(paths("agent")).not.toContain("/portal/calls");
    expect(paths("supervisor")).toEqual(expect.arrayContaining(["/portal/calls", "/portal/recordings", "/portal/reports"]));
  });

  it("gives queues and agents to admins and supervisors, campaigns also to QA (read-only)", () => {
    expect(paths("supervisor")).toEqual(expect.arrayContaining(["/portal/queues", "/portal/agents", "/portal/campaigns"]));
    expect(paths("qa")).toContain("/portal/campaigns");
    expect(paths("qa")).not.toContain("/portal/queues");
    expect(paths("agent")).not.toContain("/portal/campaigns");
    expect(can("supervisor", "acd.write")).toBe(false);
    expect(can("supervisor", "acd.assign")).toBe(true);
    expect(can("qa", "dialer.write")).toBe(false);
  });

  it("lets every role serving callers read the knowledge base, admins and supervisors write it", () => {
    for (const role of ["admin", "supervisor", "qa", "agent"]) expect(paths(role)).toContain("/portal/knowledge");
    expect(can("supervisor", "knowledge.write")).toBe(true);
    expect(can("qa", "knowledge.write")).toBe(false);
    expect(can("agent", "knowledge.write")).toBe(false);
  });

  it("lets every role see tickets (CRM-5), agents work them, supervisors assign them", () => {
    for (const role of ["admin", "supervisor", "qa", "agent"]) expect(paths(role)).toContain("/portal/tickets");
    expect(can("agent", "tickets.work")).toBe(true);
    expect(can("agent", "tickets.assign")).toBe(false);
    expect(can("qa", "tickets.work")).toBe(false);
    expect(can("supervisor", "tickets.assign")).toBe(true);
  });

  it("gives an unknown or missing role nothing", () => {
    expect(navFor("intruder")).toEqual([]);
    expect(navFor(undefined)).toEqual([]);
  });
});
