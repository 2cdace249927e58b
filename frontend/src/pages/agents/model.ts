// Agent profiles (SEAT-2/3: seat, skills, auto-answer, max ACW, business) and the tenant's
// not-ready reason codes, with the checks of app/seats/acd_controllers.py.
import type { Schemas } from "../../api/client";
import { skillsFromMap, skillsToMap, validateSkills, type SkillRow } from "../../components/skills";

export type AgentOut = Schemas["AgentOut"];
export type AgentIn = Schemas["AgentIn"];
export type AgentPatch = Schemas["AgentPatch"];
export type Reason = Schemas["ReasonIO"];

export interface AgentDraft {
  userId: string | null;
  businessId: string | null;
  extensionId: string | null;
  skills: SkillRow[];
  autoAnswer: boolean;
  maxAcw: number | string; // "" = the queue's ACW timeout
}

export function draftFromAgent(a?: AgentOut | null): AgentDraft {
  return {
    userId: a?.userId ?? null,
    businessId: a?.businessId ?? null,
    extensionId: a?.extensionId ?? null,
    skills: skillsFromMap(a?.skills),
    autoAnswer: a?.autoAnswer ?? false,
    maxAcw: a?.maxAcw ?? "",
  };
}

export function validateAgent(d: AgentDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!d.userId) errors.userId = "required";
  if (!d.businessId) errors.businessId = "required";
  if (d.maxAcw !== "") {
    const n = Number(d.maxAcw);
    if (!Number.isFinite(n) || n < 0 || n > 3600) errors.maxAcw = "acwTimeout";
  }
  validateSkills(d.skills, "skills", errors);
  return errors;
}

export function agentCreateBody(d: AgentDraft): AgentIn {
  return {
    userId: d.userId ?? "",
    businessId: d.businessId ?? "",
    extensionId: d.extensionId,
    skills: skillsToMap(d.skills),
    autoAnswer: d.autoAnswer,
    maxAcw: d.maxAcw === "" ? null : Number(d.maxAcw),
  };
}

/** Only what changed (the PATCH cannot clear a seat or max ACW: null means "leave it"). */
export function agentPatchBody(before: AgentOut, d: AgentDraft): AgentPatch {
  const body: AgentPatch = {};
  if (d.businessId && d.businessId !== before.businessId) body.businessId = d.businessId;
  if (d.extensionId && d.extensionId !== before.extensionId) body.extensionId = d.extensionId;
  const skills = skillsToMap(d.skills);
  if (JSON.stringify(skills) !== JSON.stringify(skillsToMap(skillsFromMap(before.skills)))) body.skills = skills;
  if (d.autoAnswer !== before.autoAnswer) body.autoAnswer = d.autoAnswer;
  if (d.maxAcw !== "" && Number(d.maxAcw) !== before.maxAcw) body.maxAcw = Number(d.maxAcw);
  return body;
}

const REASON_CODE = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** Error keys by "reasons.<i>.code|label", plus "reasons" for the list as a whole. */
export function validateReasons(rows: Reason[]): Record<string, string> {
  const errors: Record<string, string> = {};
  if (rows.length < 1 || rows.length > 50) errors.reasons = "reasonCount";
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (!REASON_CODE.test(r.code)) errors[`reasons.${i}.code`] = "reasonCode";
    else if (seen.has(r.code)) errors[`reasons.${i}.code`] = "reasonDuplicate";
    seen.add(r.code);
    const label = r.label.trim();
    if (!label || label.length > 100) errors[`reasons.${i}.label`] = "required";
  });
  return errors;
}
