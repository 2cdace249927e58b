// RFC 9457 problem details: every API error is application/problem+json with a `detail` the
// user can act on, and sometimes a machine-readable `code` we translate.

export interface ProblemBody {
  type?: string;
  title?: string;
  status: number;
  detail: string;
  code?: string;
  errors?: unknown;
  [key: string]: unknown;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly code?: string;
  readonly problem: ProblemBody;

  constructor(problem: ProblemBody) {
    super(problem.detail);
    this.name = "ProblemError";
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Turn whatever an error response carried into a problem body (never throws). */
export function toProblem(status: number, body: unknown, statusText = ""): ProblemBody {
  if (isRecord(body) && typeof body.detail === "string" && body.detail) {
    const status_ = typeof body.status === "number" ? body.status : status;
    return { ...body, status: status_, detail: body.detail } as ProblemBody;
  }
  if (typeof body === "string" && body.trim() && !body.trimStart().startsWith("<")) {
    return { status, detail: body.trim() };
  }
  return { status, detail: statusText || `HTTP ${status}` };
}

/** Validation problems list their field errors; show them after the detail. */
function fieldErrors(problem: ProblemBody): string[] {
  if (!Array.isArray(problem.errors)) return [];
  return problem.errors
    .filter(isRecord)
    .map((e) => [e.key, e.message].filter((part) => typeof part === "string" && part).join(": "))
    .filter(Boolean);
}

type Translate = (key: string, options?: Record<string, unknown>) => string;

/** Codes the portal knows how to say in the user's language; the rest show the server's detail. */
const TRANSLATED_CODES = new Set([
  "bad_credentials",
  "totp_required",
  "totp_invalid",
  "password_expired",
  "slug_taken",
]);

/**
 * The message to show for an error. `locked` keeps the server's detail (it carries the time the
 * lock ends); a network failure gets a translated line.
 */
export function problemMessage(error: unknown, t: Translate): string {
  if (error instanceof ProblemError) {
    const { code } = error;
    if (code && TRANSLATED_CODES.has(code)) return t(`problem.${code}`);
    const extra = fieldErrors(error.problem);
    return extra.length ? `${error.message} (${extra.join("; ")})` : error.message;
  }
  if (error instanceof TypeError) return t("problem.network");
  if (error instanceof Error && error.message) return error.message;
  return t("problem.unknown");
}
