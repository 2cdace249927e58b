// The permission matrix of app/tenants/permissions.py, generated into role-permissions.json by
// `npm run gen:api`, used for the navigation only: the server enforces it on every call.
// tests/e2e/test_permission_matrix.py fails when the two drift.
import matrix from "./role-permissions.json";

export type Perm =
  | "self"
  | "users.read"
  | "users.write"
  | "audit.read"
  | "tenant.admin"
  | "settings.read"
  | "settings.write"
  | "lists.read"
  | "lists.write"
  | "flows.read"
  | "flows.write"
  | "calls.read"
  | "calls.control"
  | "platform"
  | "cti"
  | "agents.force"
  | "agents.monitor"
  | "marquee.write"
  | "wallboard"
  | "acd.read"
  | "acd.write"
  | "acd.assign"
  | "dialer.read"
  | "dialer.write"
  | "dialer.work"
  | "recordings.listen"
  | "reports.read"
  | "billing.read"
  | "billing.manage"
  | "api.manage"
  | "webhooks.manage"
  | "knowledge.read"
  | "knowledge.write"
  | "tickets.read"
  | "tickets.work"
  | "tickets.assign"
  | "customers.read"
  | "customers.write"
  | "customers.delete";

const MATRIX = matrix as Record<string, readonly string[]>;

export function can(role: string | undefined, perm: Perm): boolean {
  if (!role) return false;
  return (MATRIX[role] ?? []).includes(perm);
}

export interface NavItem {
  key: string; // i18n key under nav.
  path: string;
  perm: Perm;
  section: "portal" | "settings" | "admin" | "account";
}

// Later faces (seat console, wallboard, IVR builder) add their entries here.
export const NAV: readonly NavItem[] = [
  { key: "dashboard", path: "/portal", perm: "settings.read", section: "portal" },
  { key: "users", path: "/portal/users", perm: "users.read", section: "admin" },
  { key: "businesses", path: "/portal/businesses", perm: "settings.read", section: "settings" },
  { key: "numbers", path: "/portal/numbers", perm: "settings.read", section: "settings" },
  // EDGE-3 / TEN-9 (app/edge/): carrier trunks and site gateways.
  { key: "trunks", path: "/portal/trunks", perm: "settings.read", section: "settings" },
  { key: "calendars", path: "/portal/calendars", perm: "settings.read", section: "settings" },
  { key: "lists", path: "/portal/lists", perm: "lists.read", section: "settings" },
  { key: "audit", path: "/portal/audit", perm: "audit.read", section: "admin" },
  { key: "security", path: "/portal/security", perm: "tenant.admin", section: "admin" },
  { key: "profile", path: "/portal/profile", perm: "self", section: "account" },
  // Last, so that no role's landing page changes; shown under "Portal".
  { key: "ivr", path: "/ivr", perm: "flows.read", section: "portal" },
  { key: "seat", path: "/seat", perm: "cti", section: "portal" },
  { key: "wallboard", path: "/wallboard", perm: "wallboard", section: "portal" },
  { key: "queues", path: "/portal/queues", perm: "acd.read", section: "portal" },
  { key: "agents", path: "/portal/agents", perm: "acd.read", section: "portal" },
  { key: "campaigns", path: "/portal/campaigns", perm: "dialer.read", section: "portal" },
  { key: "calls", path: "/portal/calls", perm: "calls.read", section: "portal" },
  { key: "recordings", path: "/portal/recordings", perm: "recordings.listen", section: "portal" },
  { key: "reports", path: "/portal/reports", perm: "reports.read", section: "portal" },
  // CRM-1 (app/crm/customers.py): customer records; every role serving callers reads them.
  { key: "customers", path: "/portal/customers", perm: "customers.read", section: "portal" },
  // CRM-5 (app/crm/tickets.py): tickets / work orders.
  { key: "tickets", path: "/portal/tickets", perm: "tickets.read", section: "portal" },
  // CRM-4 (app/crm/knowledge.py): every role serving callers reads it.
  { key: "knowledge", path: "/portal/knowledge", perm: "knowledge.read", section: "portal" },
  // BILL-1, BILL-2 (app/billing/): shown under "Administration".
  { key: "billing", path: "/portal/billing", perm: "billing.read", section: "admin" },
  // API-1, API-2 (app/api/): shown under "Administration".
  { key: "apiClients", path: "/portal/api-clients", perm: "api.manage", section: "admin" },
  { key: "webhooks", path: "/portal/webhooks", perm: "webhooks.manage", section: "admin" },
];

export function navFor(role: string | undefined): NavItem[] {
  return NAV.filter((item) => can(role, item.perm));
}

/** Where a role lands after signing in: the first screen it may open. */
export function homeFor(role: string | undefined): string {
  return navFor(role)[0]?.path ?? "/portal/profile";
}
