// Skills as the ACD stores them: name -> level 0..10, names lower-case letters, digits, - and _
// (app/seats/acd_controllers.py SKILL_NAME). The editor works on rows; the API takes a map.

export interface SkillRow {
  name: string;
  level: number | string;
}

export const SKILL_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function skillsFromMap(map: Record<string, number> | undefined | null): SkillRow[] {
  return Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, level]) => ({ name, level }));
}

export function skillsToMap(rows: SkillRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const name = r.name.trim();
    if (name) out[name] = Number(r.level);
  }
  return out;
}

/** Adds errors (keys under acd.errors.) at `${at}.${i}.name|level`. */
export function validateSkills(rows: SkillRow[], at: string, errors: Record<string, string>): void {
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const name = r.name.trim();
    if (!SKILL_NAME.test(name)) errors[`${at}.${i}.name`] = "skillName";
    else if (seen.has(name)) errors[`${at}.${i}.name`] = "skillDuplicate";
    seen.add(name);
    const level = Number(r.level);
    if (r.level === "" || !Number.isInteger(level) || level < 0 || level > 10) errors[`${at}.${i}.level`] = "skillLevel";
  });
}

/** "billing 8, vip 3" for tables. */
export function skillsLabel(map: Record<string, number> | undefined | null): string {
  return skillsFromMap(map)
    .map((s) => `${s.name} ${s.level}`)
    .join(", ");
}
