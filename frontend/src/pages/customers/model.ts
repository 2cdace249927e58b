// CRM-1 customer records: the form's state and what goes to the API (custom fields as rows,
// tags and numbers cleaned), and the list's filters. Pure functions, tested in model.test.ts.

export interface FieldRow {
  name: string;
  value: string;
}

export interface CustomerDraft {
  name: string;
  company: string;
  phones: string[];
  email: string;
  category: string;
  tags: string[];
  fields: FieldRow[];
  notes: string;
}

export interface CustomerLike {
  name: string;
  company: string;
  phones: { phone: string; hidden: boolean }[];
  email: string;
  category: string;
  tags: string[];
  custom: Record<string, string>;
  notes: string;
}

export const EMPTY_DRAFT: CustomerDraft = { name: "", company: "", phones: [], email: "", category: "", tags: [], fields: [], notes: "" };

export const MAX_TAGS = 20;
export const MAX_FIELDS = 50;

/** A record as the form edits it. Masked numbers (`138****8000`) are not editable: they are left
 * out of the draft and the server keeps them. */
export function toDraft(c: CustomerLike): CustomerDraft {
  return {
    name: c.name,
    company: c.company,
    phones: c.phones.filter((p) => !p.phone.includes("*")).map((p) => p.phone),
    email: c.email,
    category: c.category,
    tags: [...c.tags],
    fields: Object.entries(c.custom).map(([name, value]) => ({ name, value })),
    notes: c.notes,
  };
}

/** Trimmed, without blanks or repeats, in order. */
export function cleanList(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    const s = v.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Custom field rows -> the flat map the API takes; blank names dropped, a later row with the
 * same name wins. */
export function fieldsToCustom(rows: readonly FieldRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) {
    const name = row.name.trim();
    if (name) out[name] = row.value;
  }
  return out;
}

/** Names used by more than one row (the form flags them). */
export function duplicateFieldNames(rows: readonly FieldRow[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const row of rows) {
    const name = row.name.trim();
    if (!name) continue;
    if (seen.has(name)) dup.add(name);
    seen.add(name);
  }
  return [...dup];
}

export function isValidEmail(email: string): boolean {
  const e = email.trim();
  return e === "" || /^[^@\s]+@[^@\s]+$/.test(e);
}

/** What keeps the form from being saved, as i18n keys under `customers.` (empty: fine). */
export function draftProblems(d: CustomerDraft): string[] {
  const problems: string[] = [];
  if (!d.name.trim()) problems.push("nameRequired");
  if (!isValidEmail(d.email)) problems.push("emailInvalid");
  if (cleanList(d.tags).length > MAX_TAGS) problems.push("tooManyTags");
  if (d.fields.filter((f) => f.name.trim()).length > MAX_FIELDS) problems.push("tooManyFields");
  if (duplicateFieldNames(d.fields).length > 0) problems.push("duplicateField");
  return problems;
}

export interface CustomerBody {
  name: string;
  company: string;
  email: string;
  category: string;
  tags: string[];
  custom: Record<string, string>;
  notes: string;
}

/** The body of a create or edit (numbers apart: a record from a call takes the call's). */
export function toBody(d: CustomerDraft): CustomerBody {
  return {
    name: d.name.trim(),
    company: d.company.trim(),
    email: d.email.trim(),
    category: d.category.trim(),
    tags: cleanList(d.tags),
    custom: fieldsToCustom(d.fields),
    notes: d.notes,
  };
}

export interface CustomerFilters {
  q: string;
  phone: string;
  tag: string;
  category: string;
}

export const EMPTY_FILTERS: CustomerFilters = { q: "", phone: "", tag: "", category: "" };

/** The search's query string: only what is filled in. */
export function toQuery(f: CustomerFilters): Partial<CustomerFilters> {
  const out: Partial<CustomerFilters> = {};
  for (const key of ["q", "phone", "tag", "category"] as const) {
    const v = f[key].trim();
    if (v) out[key] = v;
  }
  return out;
}

/** The problem+json of a refused number: the record that holds it already. */
export function duplicateOf(error: unknown): string | null {
  if (error && typeof error === "object" && (error as { code?: unknown }).code === "duplicate_number") {
    const id = (error as { customerId?: unknown }).customerId;
    return typeof id === "string" ? id : null;
  }
  return null;
}
