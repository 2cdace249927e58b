// The seat's softphone: JsSIP registered over SIP-over-WebSocket (RFC 7118) to Kamailio as
// `<extension>@<tenant sip domain>` with the extension's password (edge/kamailio/README.md).
// Media is WebRTC toward callcontrol/rtpengine, which converts it for trunks.
//
// The extension password: the API never returns it (only digests are stored), so the agent
// types it once; it is kept in sessionStorage (this tab only, gone when the tab closes).
import { UA, WebSocketInterface } from "jssip";
import type { RTCSession } from "jssip/lib/RTCSession";

export type Registration = "unregistered" | "registering" | "registered" | "failed";
export type CallPhase = "idle" | "incoming" | "calling" | "active" | "ended";

export interface MediaStats {
  packetsSent: number;
  packetsReceived: number;
}

export interface PhoneSnapshot {
  registration: Registration;
  cause: string;
  phase: CallPhase;
  peer: string;
  held: boolean;
  muted: boolean;
  endCause: string;
  stats: MediaStats | null;
  /** The platform's id of the current or last call (X-Call-Key on the INVITE); "" if unknown. */
  callKey: string;
}

export interface PhoneSettings {
  server: string;
  domain: string;
  extension: string;
  password: string;
}

const SETTINGS_KEY = "fastline.sip.server";
const PASSWORD_KEY = "fastline.sip.password";

/** Where browsers reach Kamailio's WebSocket listener: remembered per browser, else the
 * build's VITE_SIP_WS_URL, else wss on this host's 8443 (the edge's default wss port). */
export function defaultServer(location: { hostname: string }): string {
  return (
    localStorage.getItem(SETTINGS_KEY) ??
    (import.meta.env.VITE_SIP_WS_URL as string | undefined) ??
    `wss://${location.hostname}:8443`
  );
}

export function rememberServer(url: string): void {
  localStorage.setItem(SETTINGS_KEY, url);
}

export function storedPassword(extension: string): string {
  return sessionStorage.getItem(`${PASSWORD_KEY}.${extension}`) ?? "";
}

export function storePassword(extension: string, password: string): void {
  sessionStorage.setItem(`${PASSWORD_KEY}.${extension}`, password);
}

/** A dial string -> SIP URI in the tenant's domain (extensions and numbers alike: callcontrol
 * decides whether it is a seat or a number). Keeps only what a dialer would send. */
export function dialTarget(input: string, domain: string): string | null {
  const cleaned = input.replace(/[\s()-]/g, "");
  if (!/^\+?[0-9*#]{1,32}$/.test(cleaned)) return null;
  return `sip:${cleaned}@${domain}`;
}

const IDLE: PhoneSnapshot = {
  registration: "unregistered",
  cause: "",
  phase: "idle",
  peer: "",
  held: false,
  muted: false,
  endCause: "",
  stats: null,
  callKey: "",
};

/** The call id the edge puts on a seat's INVITE (X-Call-Key), if it looks like one. */
export function callKeyOf(request: { getHeader?: (name: string) => string | undefined } | undefined): string {
  const key = request?.getHeader?.("X-Call-Key")?.trim() ?? "";
  return /^[A-Za-z0-9_.@-]{1,100}$/.test(key) ? key : "";
}

/** Sum RTP counters of the audio streams (RFC 3550 packet counts, from getStats). */
export function audioPackets(report: Iterable<Record<string, unknown>>): MediaStats {
  let packetsSent = 0;
  let packetsReceived = 0;
  for (const s of report) {
    if (s.kind !== "audio" && s.mediaType !== "audio") continue;
    if (s.type === "outbound-rtp") packetsSent += Number(s.packetsSent ?? 0);
    if (s.type === "inbound-rtp") packetsReceived += Number(s.packetsReceived ?? 0);
  }
  return { packetsSent, packetsReceived };
}

export class Softphone {
  private ua: UA | null = null;
  private session: RTCSession | null = null;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private snapshot: PhoneSnapshot = IDLE;
  private readonly listeners = new Set<(s: PhoneSnapshot) => void>();

  constructor(private readonly audio: () => HTMLAudioElement | null) {}

  subscribe(listener: (s: PhoneSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot);
    return () => this.listeners.delete(listener);
  }

  get state(): PhoneSnapshot {
    return this.snapshot;
  }

  private set(patch: Partial<PhoneSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.listeners.forEach((l) => l(this.snapshot));
  }

  register(settings: PhoneSettings): void {
    this.stop();
    const socket = new WebSocketInterface(settings.server);
    const ua = new UA({
      sockets: [socket],
      uri: `sip:${settings.extension}@${settings.domain}`,
      password: settings.password,
      register: true,
      session_timers: false,
      user_agent: "Fastline seat (JsSIP)",
    });
    ua.on("registered", () => this.set({ registration: "registered", cause: "" }));
    ua.on("unregistered", () => this.set({ registration: "unregistered" }));
    ua.on("registrationFailed", (e) => this.set({ registration: "failed", cause: String(e.cause ?? "") }));
    ua.on("disconnected", () => {
      if (this.snapshot.registration === "registering") this.set({ registration: "failed", cause: "WebSocket" });
    });
    ua.on("newRTCSession", (e: { session: RTCSession; originator: string; request?: { getHeader?: (name: string) => string | undefined } }) =>
      this.adopt(e.session, e.originator === "remote", callKeyOf(e.request)),
    );
    this.ua = ua;
    this.set({ registration: "registering", cause: "" });
    ua.start();
  }

  stop(): void {
    this.session?.terminate();
    this.ua?.stop();
    this.ua = null;
    this.set({ registration: "unregistered" });
  }

  private adopt(session: RTCSession, incoming: boolean, callKey = ""): void {
    if (this.session && this.session !== session) {
      // One call per seat: a second offer while busy is refused (486 Busy Here).
      session.terminate({ status_code: 486 });
      return;
    }
    this.session = session;
    const peer = session.remote_identity?.uri?.user ?? "";
    this.set({ phase: incoming ? "incoming" : "calling", peer, held: false, muted: false, endCause: "", stats: null, callKey });
    session.on("peerconnection", (e: { peerconnection: RTCPeerConnection }) => this.attachAudio(e.peerconnection));
    if (session.connection) this.attachAudio(session.connection);
    session.on("confirmed", () => {
      this.set({ phase: "active" });
      this.startStats();
    });
    session.on("hold", () => this.set({ held: true }));
    session.on("unhold", () => this.set({ held: false }));
    session.on("muted", () => this.set({ muted: true }));
    session.on("unmuted", () => this.set({ muted: false }));
    const end = (e: { cause?: string }) => {
      if (this.session !== session) return;
      this.session = null;
      clearInterval(this.statsTimer);
      this.set({ phase: "ended", endCause: String(e.cause ?? ""), held: false, muted: false });
    };
    session.on("ended", end);
    session.on("failed", end);
  }

  private attachAudio(pc: RTCPeerConnection): void {
    pc.addEventListener("track", (event) => {
      const el = this.audio();
      if (el && event.streams[0]) el.srcObject = event.streams[0];
    });
  }

  private startStats(): void {
    clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => void this.readStats(), 1000);
  }

  /** Packets both ways, shown on the call panel: a one-way audio problem is visible at once. */
  async readStats(): Promise<MediaStats | null> {
    const pc = this.session?.connection;
    if (!pc) return null;
    const report = await pc.getStats();
    const stats = audioPackets(report.values() as Iterable<Record<string, unknown>>);
    this.set({ stats });
    return stats;
  }

  call(target: string): void {
    if (!this.ua || this.session) return;
    this.ua.call(target, { mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  answer(): void {
    if (this.snapshot.phase !== "incoming") return;
    this.session?.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  hangup(): void {
    this.session?.terminate();
  }

  toggleHold(): void {
    if (!this.session) return;
    if (this.snapshot.held) this.session.unhold();
    else this.session.hold();
  }

  toggleMute(): void {
    if (!this.session) return;
    if (this.snapshot.muted) this.session.unmute({ audio: true });
    else this.session.mute({ audio: true });
  }

  dtmf(tone: string): void {
    // JsSIP sends SIP INFO by default; callcontrol hears DTMF from rtpengine, which detects
    // RFC 4733 telephone-events in the RTP stream, so send them there.
    this.session?.sendDTMF(tone, { transportType: "RFC2833" } as never);
  }

  transfer(target: string): void {
    // Blind transfer with REFER (RFC 3515); callcontrol decides whether it may go there.
    this.session?.refer(target);
  }
}
