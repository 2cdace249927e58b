// The trunk form's draft, its checks (the same rules the server applies in app/edge/services.py)
// and the bodies sent to /api/v1/trunks.
import type { Schemas } from "../../api/client";

export type TrunkOut = Schemas["TrunkOut"];
export type TrunkIn = Schemas["TrunkIn"];
export type TrunkPatch = Schemas["TrunkPatch"];
export type Transport = "udp" | "tcp" | "tls";
export type TrunkKind = "carrier" | "gateway";
export const TRANSPORTS: Transport[] = ["udp", "tcp", "tls"];
export const KINDS: TrunkKind[] = ["carrier", "gateway"];

/** Field -> i18n key under `trunks.errors.` */
export type Errors = Record<string, string>;

export interface TrunkDraft {
  name: string;
  kind: TrunkKind;
  host: string;
  port: string;
  transport: Transport;
  businessId: string | null;
  /** One address or CIDR block per line (commas and spaces also separate). */
  sources: string;
  username: string;
  /** Empty when editing = keep the stored password (unless clearPassword). */
  password: string;
  clearPassword: boolean;
  callerId: string;
  maxChannels: string;
  isActive: boolean;
}

export function emptyDraft(t?: TrunkOut): TrunkDraft {
  return {
    name: t?.name ?? "",
    kind: (t?.kind as TrunkKind | undefined) ?? "carrier",
    host: t?.host ?? "",
    port: String(t?.port ?? 5060),
    transport: (t?.transport as Transport | undefined) ?? "udp",
    businessId: t?.businessId ?? null,
    sources: (t?.sourceIps ?? []).join("\n"),
    username: t?.username ?? "",
    password: "",
    clearPassword: false,
    callerId: t?.callerId ?? "",
    maxChannels: String(t?.maxChannels ?? 30),
    isActive: t?.isActive ?? true,
  };
}

export function splitSources(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function ipv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith("0"))) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out;
}

/** 16 bytes of an IPv6 address (no zone ids, no embedded IPv4), or null. */
function ipv6(text: string): number[] | null {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split("::").length > 2) return null;
  const [head, tail] = text.includes("::") ? text.split("::") : [text, null];
  const groups = (s: string) => (s ? s.split(":") : []);
  const h = groups(head);
  const tl = tail === null ? [] : groups(tail);
  const missing = 8 - h.length - tl.length;
  if (tail === null ? h.length !== 8 : missing < 1) return null;
  const all = [...h, ...Array(tail === null ? 0 : missing).fill("0"), ...tl];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 255);
  }
  return bytes;
}

export type SourceCheck = "ok" | "invalid" | "hostBits" | "tooWide" | "unusable";

/** One source address or block, as the server would judge it. */
export function checkSource(source: string): SourceCheck {
  const [addr, prefixText, ...rest] = source.split("/");
  if (rest.length) return "invalid";
  const v4 = ipv4(addr);
  const bytes = v4 ?? ipv6(addr);
  if (!bytes) return "invalid";
  const bits = bytes.length * 8;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return "invalid";
    prefix = Number(prefixText);
    if (prefix > bits) return "invalid";
  }
  for (let bit = prefix; bit < bits; bit++) {
    if (bytes[bit >> 3] & (0x80 >> (bit & 7))) return "hostBits";
  }
  if (prefix < (v4 ? 16 : 48)) return "tooWide";
  if (bytes.every((b) => b === 0)) return "unusable";
  if (v4 ? bytes[0] >= 224 && bytes[0] <= 239 : bytes[0] === 0xff) return "unusable";
  return "ok";
}

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

export function validHost(host: string): boolean {
  const h = host.trim();
  if (!h || h.length > 253) return false;
  if (ipv4(h) || ipv6(h.replace(/^\[|\]$/g, ""))) return true;
  return h.replace(/\.$/, "").split(".").every((label) => HOST_LABEL.test(label));
}

function intIn(text: string, min: number, max: number): boolean {
  if (!/^\d+$/.test(text.trim())) return false;
  const n = Number(text);
  return n >= min && n <= max;
}

export function validateTrunk(d: TrunkDraft): Errors {
  const e: Errors = {};
  const name = d.name.trim();
  if (!name || name.length > 100) e.name = "name";
  if (!validHost(d.host)) e.host = "host";
  if (!intIn(d.port, 1, 65535)) e.port = "port";
  const sources = splitSources(d.sources);
  if (sources.length > 32) e.sources = "tooMany";
  for (const s of sources) {
    const check = checkSource(s);
    if (check !== "ok") {
      e.sources = check;
      e.sourcesValue = s;
      break;
    }
  }
  if (d.username.length > 100) e.username = "tooLong";
  if (d.password.length > 200) e.password = "tooLong";
  if (d.callerId && !/^\+?[0-9]{3,20}$/.test(d.callerId.trim())) e.callerId = "callerId";
  if (!intIn(d.maxChannels, 1, 10000)) e.maxChannels = "channels";
  return e;
}

export function trunkBody(d: TrunkDraft): TrunkIn {
  return {
    name: d.name.trim(),
    kind: d.kind,
    host: d.host.trim(),
    port: Number(d.port),
    transport: d.transport,
    businessId: d.businessId,
    sourceIps: splitSources(d.sources),
    username: d.username.trim(),
    password: d.password,
    callerId: d.callerId.trim(),
    maxChannels: Number(d.maxChannels),
    isActive: d.isActive,
  };
}

/** A PATCH that sends everything the form shows; the password only when typed or cleared. */
export function trunkPatch(d: TrunkDraft): TrunkPatch {
  const { password, ...rest } = trunkBody(d);
  const patch: TrunkPatch = { ...rest, clearBusiness: d.businessId === null };
  if (d.clearPassword) patch.password = "";
  else if (password) patch.password = password;
  return patch;
}
