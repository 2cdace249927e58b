// The typed API client, generated from the back end's OpenAPI document (see README:
// `npm run gen:api`). Same origin: the session cookie is sent by the browser.
import createClient, { type Middleware } from "openapi-fetch";

import { ProblemError, toProblem } from "./problem";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type UserOut = Schemas["UserOut"];
export type TenantOut = Schemas["TenantOut"];
export type BusinessOut = Schemas["BusinessOut"];
export type CalendarOut = Schemas["CalendarOut"];
export type CalendarIn = Schemas["CalendarIn"];
export type CallerListOut = Schemas["CallerListOut"];
export type NumberOut = Schemas["NumberOut"];
export type AuditOut = Schemas["AuditOut"];
// Two domains name a schema JobOut; the generator prefixes both with their module.
export type JobOut = Schemas["tenants_schemas_JobOut"];
export type RoleName = Schemas["UserCreateIn"]["role"];

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

type Listener = (error: ProblemError) => void;
const listeners = new Set<Listener>();

/** Hear every API problem (the app uses it for 401 → sign-in and expired passwords). */
export function onProblem(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const problems: Middleware = {
  async onResponse({ response }) {
    if (response.ok) return undefined;
    const text = await response.clone().text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: toProblem keeps a short text body, drops HTML
    }
    const error = new ProblemError(toProblem(response.status, body, response.statusText));
    listeners.forEach((listener) => listener(error));
    throw error;
  },
};
api.use(problems);

/** Unwrap an openapi-fetch result; errors were already thrown as ProblemError. */
export async function data<T>(call: Promise<{ data?: T; error?: unknown }>): Promise<T> {
  const result = await call;
  return result.data as T;
}
