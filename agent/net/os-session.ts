// One round of OS probes against one host: the six SEQ SYNs 100 ms apart,
// then IE, U1, ECN and T1–T7 with Nmap's re-sends, every transmission and
// every matched reply recorded with its bytes and hrtime (nmap-os-detection.md §1.4–1.10).
import type { OsProbeName, OsProbeRecord, OsScanEvidence } from '../../collector/fingerprint/os/index.ts';
import { buildProbe, IE_SEQUENCES, portOffset, type ProbeAddressing, type RoundValues } from './os-probes.ts';
import type { CapturedPacket } from './parse.ts';

export interface RoundTiming {
  /** Gap between SEQ sends (Nmap: at least 100 ms). */
  seqGapMs: number;
  /** Gap between TUI sends of one host. */
  tuiGapMs: number;
  /** Re-send timeout before any reply gave a round-trip time. */
  initialTimeoutMs: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Transmissions per TUI probe, the first included (Nmap: 4). */
  transmissions: number;
}

export const DEFAULT_TIMING: RoundTiming = {
  seqGapMs: 100,
  tuiGapMs: 10,
  initialTimeoutMs: 1000,
  minTimeoutMs: 100,
  maxTimeoutMs: 1000,
  transmissions: 4,
};

/** TCP source ports a round owns: Nmap's 20 (base+0…19), then fresh ports for re-sends. */
export const TCP_PORT_BLOCK = 64;
/** UDP source ports: U1 and its re-sends. */
export const UDP_PORT_BLOCK = 4;

export interface RoundPlan {
  addressing: ProbeAddressing;
  values: RoundValues;
  tcpPortBase: number;
  udpPortBase: number;
  /** The closed TCP port came from a port scan (or the user), not a guess. */
  closedTcpKnown: boolean;
  closedUdpKnown: boolean;
  localhost: boolean;
  timing: RoundTiming;
}

export interface SessionIo {
  /** Sends one datagram; resolves with the hrtime of the send, or undefined when the kernel refused it. */
  send(datagram: Uint8Array, dst: string): Promise<bigint | undefined>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface RoundOutcome {
  evidence: OsScanEvidence;
  replies: number;
  sendErrors: number;
}

interface Sent {
  name: OsProbeName;
  record: OsProbeRecord;
  sentNs: bigint;
  /** Destination port the reply must come from (TCP). */
  dstPort?: number;
}

const nowMs = () => Number(process.hrtime.bigint() / 1_000_000n);
const nowMsPrecise = () => Number(process.hrtime.bigint()) / 1e6;
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

export interface RoundSession {
  readonly plan: RoundPlan;
  /** Takes a captured packet if it answers one of this round's probes. */
  accept(packet: CapturedPacket, bytes: Uint8Array, atNs: bigint): boolean;
  run(signal?: AbortSignal): Promise<RoundOutcome>;
}

export function createRoundSession(plan: RoundPlan, io: SessionIo): RoundSession {
  const { addressing: a, values: v, timing } = plan;
  const records: OsProbeRecord[] = [];
  const tcpByPort = new Map<number, Sent>();
  const udpByPort = new Map<number, Sent>();
  const echoes: Sent[] = [];
  const answered = new Set<OsProbeName>();
  const rtts: number[] = [];
  let nextTcpPort = plan.tcpPortBase + 20;
  let nextUdpPort = plan.udpPortBase;
  let sendErrors = 0;
  let replies = 0;
  let wake: (() => void) | undefined;

  // Four times the median round trip: a reply that sat in our receive queue while the event
  // loop was busy must not stretch every later timeout, as the maximum would.
  let medianRtt: number | undefined;
  const timeoutMs = () => {
    if (rtts.length === 0) return timing.initialTimeoutMs;
    medianRtt ??= [...rtts].sort((x, y) => x - y)[rtts.length >> 1] as number;
    return Math.min(timing.maxTimeoutMs, Math.max(timing.minTimeoutMs, 4 * medianRtt));
  };

  async function transmit(name: OsProbeName): Promise<Sent | undefined> {
    let srcPort = 0;
    if (name === 'U1') srcPort = nextUdpPort++;
    else if (name !== 'IE1' && name !== 'IE2') {
      const first = !records.some((r) => r.name === name);
      srcPort = first ? plan.tcpPortBase + (portOffset(name) as number) : nextTcpPort++;
      if (srcPort >= plan.tcpPortBase + TCP_PORT_BLOCK) return undefined;
    }
    const icmpId = name === 'IE2' ? (v.icmpId + 1) & 0xffff : v.icmpId;
    const bytes = buildProbe(name, v, a, srcPort, icmpId);
    const sentAt = await io.send(bytes, a.dst);
    if (sentAt === undefined) {
      sendErrors++;
      return undefined;
    }
    const record: OsProbeRecord = { name, sentAt: String(sentAt), sent: b64(bytes), replies: [] };
    const sent: Sent = { name, record, sentNs: sentAt };
    records.push(record);
    if (name === 'U1') udpByPort.set(srcPort, sent);
    else if (name === 'IE1' || name === 'IE2') echoes.push(sent);
    else {
      sent.dstPort = name === 'T5' || name === 'T6' || name === 'T7' ? a.closedTcpPort : a.openTcpPort;
      tcpByPort.set(srcPort, sent);
    }
    return sent;
  }

  function take(sent: Sent, bytes: Uint8Array, atNs: bigint): true {
    sent.record.replies.push({ at: String(atNs), packet: b64(bytes) });
    answered.add(sent.name);
    rtts.push(Number(atNs - sent.sentNs) / 1e6);
    medianRtt = undefined;
    replies++;
    wake?.();
    return true;
  }

  function accept(p: CapturedPacket, bytes: Uint8Array, atNs: bigint): boolean {
    if (p.kind === 'tcp') {
      const sent = tcpByPort.get(p.tcp.dstPort);
      // The source port check also keeps our own probes out when the target is this host.
      if (!sent || p.ip.src !== a.dst || p.ip.dst !== a.src || p.tcp.srcPort !== sent.dstPort) return false;
      return take(sent, bytes, atNs);
    }
    if (p.kind === 'echo-reply') {
      if (p.ip.src !== a.dst) return false;
      const which = p.sequence === IE_SEQUENCES[0] ? 'IE1' : p.sequence === IE_SEQUENCES[1] ? 'IE2' : undefined;
      const id = which === 'IE2' ? (v.icmpId + 1) & 0xffff : v.icmpId;
      if (!which || p.id !== id) return false;
      // A reply belongs to the latest transmission sent before it arrived.
      const sent = echoes.filter((s) => s.name === which && s.sentNs <= atNs).pop();
      return sent ? take(sent, bytes, atNs) : false;
    }
    if (p.kind === 'icmp-error') {
      const q = p.quoted;
      if (q.protocol !== 17 || q.dst !== a.dst || q.src !== a.src || q.dstPort !== a.closedUdpPort) return false;
      const sent = udpByPort.get(q.srcPort);
      return sent ? take(sent, bytes, atNs) : false;
    }
    return false;
  }

  /** Resolves on the next accepted reply or after `ms`. */
  async function waitForReply(ms: number, signal?: AbortSignal): Promise<void> {
    const replied = new Promise<void>((resolve) => {
      wake = resolve;
    });
    await Promise.race([replied, io.sleep(Math.max(0, ms), signal)]);
    wake = undefined;
  }

  async function seqPhase(signal?: AbortSignal): Promise<void> {
    // Each SYN waits a full gap after the previous one actually left (Nmap: at least 100 ms).
    let previous: number | undefined;
    for (let i = 0; i < 6 && !signal?.aborted; i++) {
      // Timers have millisecond granularity and may fire a little early: check hrtime again.
      while (previous !== undefined && !signal?.aborted && nowMsPrecise() < previous + timing.seqGapMs) {
        await io.sleep(Math.max(1, Math.ceil(previous + timing.seqGapMs - nowMsPrecise())), signal);
      }
      const sent = await transmit(`SEQ${i + 1}` as OsProbeName);
      previous = sent ? Number(sent.sentNs) / 1e6 : nowMsPrecise();
    }
    // The TUI phase starts once every SEQ probe is answered, or a timeout after the last.
    const last = nowMs();
    const seqNames = [1, 2, 3, 4, 5, 6].map((i) => `SEQ${i}` as OsProbeName);
    while (!signal?.aborted && !seqNames.every((n) => answered.has(n))) {
      const left = last + timeoutMs() - nowMs();
      if (left <= 0) break;
      await waitForReply(left, signal);
    }
  }

  function tuiList(): OsProbeName[] {
    const names: OsProbeName[] = ['IE1', 'IE2', 'U1'];
    if (a.openTcpPort !== undefined) {
      names.push('ECN');
      if (!answered.has('SEQ1')) names.push('T1');
      names.push('T2', 'T3', 'T4');
    }
    names.push('T5', 'T6', 'T7');
    if (a.openTcpPort !== undefined) {
      // The OPS/WIN re-send of every SEQ probe that drew no reply.
      for (let i = 1; i <= 6; i++) if (!answered.has(`SEQ${i}` as OsProbeName)) names.push(`OPS${i}` as OsProbeName);
    }
    return names;
  }

  async function tuiPhase(signal?: AbortSignal): Promise<void> {
    const state = tuiList().map((name) => ({ name, count: 0, lastMs: 0 }));
    for (;;) {
      if (signal?.aborted) return;
      const now = nowMs();
      const due = state.find((s) => !answered.has(s.name) && s.count < timing.transmissions && (s.count === 0 || now - s.lastMs >= timeoutMs()));
      if (due) {
        due.count++;
        due.lastMs = now;
        if (!(await transmit(due.name))) {
          due.count = timing.transmissions;
          due.lastMs = 0;
        }
        await io.sleep(timing.tuiGapMs, signal);
        continue;
      }
      const waiting = state.filter((s) => !answered.has(s.name) && now - s.lastMs < timeoutMs());
      if (waiting.length === 0) return;
      await waitForReply(Math.min(...waiting.map((s) => s.lastMs + timeoutMs() - now)), signal);
    }
  }

  return {
    plan,
    accept,
    async run(signal) {
      if (a.openTcpPort !== undefined) await seqPhase(signal);
      await tuiPhase(signal);
      const evidence: OsScanEvidence = { probes: records };
      if (a.openTcpPort !== undefined) evidence.openTcpPort = a.openTcpPort;
      if (plan.closedTcpKnown) evidence.closedTcpPort = a.closedTcpPort;
      if (plan.closedUdpKnown) evidence.closedUdpPort = a.closedUdpPort;
      if (plan.localhost) evidence.localhost = true;
      return { evidence, replies, sendErrors };
    },
  };
}
