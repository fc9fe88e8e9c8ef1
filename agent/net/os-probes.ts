// Nmap's 16 IPv4 OS-detection probes (plus the OPS/WIN and T1 re-sends) as
// whole datagrams, from one round's random values (nmap-os-detection.md §1.2–1.8).
import { randomInt } from 'node:crypto';
import type { OsProbeName } from '../../collector/fingerprint/os/index.ts';
import {
  buildIcmpEcho,
  buildTcp,
  buildUdp,
  TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_SYN, TCP_URG,
  type IpHeaderFields,
  type TcpFields,
} from './packet.ts';

export type { OsProbeName };

/** The random values of one round; replies are read against them. */
export interface RoundValues {
  seqBase: number;
  ackConst: number;
  icmpId: number;
  udpTtl: number;
}

/** Where one round's probes go and come from. */
export interface ProbeAddressing {
  src: string;
  dst: string;
  openTcpPort?: number;
  closedTcpPort: number;
  closedUdpPort: number;
}

const hex = (s: string) => Uint8Array.from((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));

// TCP options of the six SEQ SYNs (nmap-os-detection.md §1.4).
const SEQ_OPTIONS = [
  '03030A01020405B4080AFFFFFFFF000000000402',
  '020405780303000402080AFFFFFFFF0000000000',
  '080AFFFFFFFF0000000001010303050102040280',
  '0402080AFFFFFFFF000000000303 0A00',
  '020402180402080AFFFFFFFF000000000303 0A00',
  '020401090402080AFFFFFFFF00000000',
].map((s) => hex(s.replace(/ /g, '')));
const SEQ_WINDOWS = [1, 63, 4, 4, 16, 512];
const ECN_OPTIONS = hex('03030A01020405B404020101');
const OPTIONS_A = hex('03030A0102040109080AFFFFFFFF000000000402');
const OPTIONS_B = hex('03030F0102040109080AFFFFFFFF000000000402');

/** T2–T7 (§1.7): [flags, DF, window, options, to the closed port]. */
const T_PROBES: Record<string, [number, boolean, number, Uint8Array, boolean]> = {
  T2: [0, true, 128, OPTIONS_A, false],
  T3: [TCP_SYN | TCP_FIN | TCP_PSH | TCP_URG, false, 256, OPTIONS_A, false],
  T4: [TCP_ACK, true, 1024, OPTIONS_A, false],
  T5: [TCP_SYN, false, 31337, OPTIONS_A, true],
  T6: [TCP_ACK, true, 32768, OPTIONS_A, true],
  T7: [TCP_FIN | TCP_PSH | TCP_URG, false, 65535, OPTIONS_B, true],
};

/** U1's fixed fields (§1.8). */
export const U1_IP_ID = 0x1042;
const U1_PAYLOAD = new Uint8Array(300).fill(0x43);

/** IE payloads and sequence numbers (§1.5). */
const IE1_PAYLOAD = new Uint8Array(120);
const IE2_PAYLOAD = new Uint8Array(150);
export const IE_SEQUENCES = [295, 296] as const;

export function drawRoundValues(now = Date.now()): RoundValues {
  return {
    seqBase: randomInt(0, 2 ** 32 - 1) >>> 0,
    ackConst: randomInt(0, 2 ** 32 - 1) >>> 0,
    icmpId: randomInt(0, 0xffff),
    udpTtl: (Math.floor(now / 1000) % 14) + 51,
  };
}

/** Every TCP and ICMP probe gets a random TTL in 37–59 and a random non-zero IP ID (§1.3). */
function ipFields(a: ProbeAddressing, extra: Partial<IpHeaderFields> = {}): IpHeaderFields {
  return { src: a.src, dst: a.dst, id: randomInt(1, 0x10000), ttl: randomInt(37, 60), ...extra };
}

/** Whether the probe goes to the open TCP port (and is skipped when none is known). */
export function needsOpenPort(name: OsProbeName): boolean {
  return /^(SEQ|OPS)\d$/.test(name) || name === 'ECN' || name === 'T1' || name === 'T2' || name === 'T3' || name === 'T4';
}

/** The TCP or UDP destination port of a probe, or undefined for the ICMP echoes. */
export function probeDestinationPort(name: OsProbeName, a: ProbeAddressing): number | undefined {
  if (name === 'IE1' || name === 'IE2') return undefined;
  if (name === 'U1') return a.closedUdpPort;
  return needsOpenPort(name) ? a.openTcpPort : a.closedTcpPort;
}

/**
 * One transmission of `name`. `srcPort` is the TCP or UDP source port chosen
 * by the caller (Nmap's base+offset, or a fresh port for a re-send);
 * `icmpId` likewise for the echoes.
 */
export function buildProbe(name: OsProbeName, v: RoundValues, a: ProbeAddressing, srcPort: number, icmpId = v.icmpId): Uint8Array {
  const seqMatch = /^(SEQ|OPS)(\d)$/.exec(name);
  if (seqMatch) {
    const i = Number(seqMatch[2]) - 1;
    // A SEQ SYN carries seqBase+i so its SYN/ACK names it; an OPS re-send uses seqBase.
    const seq = seqMatch[1] === 'SEQ' ? v.seqBase + i : v.seqBase;
    return tcpProbe(a, { srcPort, dstPort: openPort(a, name), seq, ack: v.ackConst, flags: TCP_SYN, window: SEQ_WINDOWS[i] as number, options: SEQ_OPTIONS[i] as Uint8Array });
  }
  switch (name) {
    case 'IE1':
      return buildIcmpEcho(ipFields(a, { df: true }), 9, icmpId, IE_SEQUENCES[0], IE1_PAYLOAD);
    case 'IE2':
      return buildIcmpEcho(ipFields(a, { tos: 0x04 }), 0, icmpId, IE_SEQUENCES[1], IE2_PAYLOAD);
    case 'U1':
      return buildUdp({ src: a.src, dst: a.dst, id: U1_IP_ID, ttl: v.udpTtl }, srcPort, a.closedUdpPort, U1_PAYLOAD);
    case 'ECN':
      return tcpProbe(a, {
        srcPort, dstPort: openPort(a, name), seq: v.seqBase, ack: 0, flags: TCP_SYN | TCP_ECE | TCP_CWR, window: 3,
        urgentPointer: 0xf7f5, reserved: 0x8, options: ECN_OPTIONS,
      });
    case 'T1':
      return tcpProbe(a, { srcPort, dstPort: openPort(a, name), seq: v.seqBase, ack: v.ackConst, flags: TCP_SYN, window: 1, options: SEQ_OPTIONS[0] as Uint8Array });
    default: {
      const t = T_PROBES[name];
      if (!t) throw new RangeError(`unknown OS probe ${name}`);
      const [flags, df, window, options, closed] = t;
      const dstPort = closed ? a.closedTcpPort : openPort(a, name);
      return tcpProbe(a, { srcPort, dstPort, seq: v.seqBase, ack: v.ackConst, flags, window, options }, df);
    }
  }
}

function openPort(a: ProbeAddressing, name: string): number {
  if (a.openTcpPort === undefined) throw new RangeError(`${name} needs an open TCP port`);
  return a.openTcpPort;
}

function tcpProbe(a: ProbeAddressing, tcp: TcpFields, df = false): Uint8Array {
  return buildTcp(ipFields(a, { df }), tcp);
}

/** Nmap's source-port offsets from the round's base (§1.2): SEQ i → i, OPS i → 6+i, ECN → 12, T1…T7 → 13…19. */
export function portOffset(name: OsProbeName): number | undefined {
  const m = /^(SEQ|OPS)(\d)$/.exec(name);
  if (m) return Number(m[2]) - 1 + (m[1] === 'OPS' ? 6 : 0);
  if (name === 'ECN') return 12;
  const t = /^T(\d)$/.exec(name);
  return t ? 12 + Number(t[1]) : undefined;
}
