// A round of OS probe evidence against a Linux-like stack one hop away,
// built from hand-made packets; every part can be changed by a test.
import {
  computeOsFingerprint,
  formatSubjectFingerprint,
  subjectValue,
  type OsProbeRecord,
  type SubjectFingerprint,
} from '../../../collector/fingerprint/os/index.ts';
import { OPEN, PORT_BASE, SEQ_BASE, ACK_CONST, UDP_TTL, evidence, flagsOf, hexBytes, icmp, ipv4, record, tcpPacket, u1Probe } from './packet-builder.ts';

export const { SYN, ACK, ECE, CWR, FIN } = flagsOf;
export const RST = 0x04;
const ts = (val: number, ecr = 0xffffffff) => [0x08, 0x0a, ...[val >>> 24, (val >>> 16) & 255, (val >>> 8) & 255, val & 255], ...[ecr >>> 24, (ecr >>> 16) & 255, (ecr >>> 8) & 255, ecr & 255]];
// Linux's answers to the six SEQ probes: O1–O6 M5B4ST11NWA … M5B4ST11.
const linuxOptions = (tsval: number) => [
  [2, 4, 5, 0xb4, 4, 2, ...ts(tsval), 1, 3, 3, 10],
  [2, 4, 5, 0xb4, 4, 2, ...ts(tsval), 1, 3, 3, 10],
  [2, 4, 5, 0xb4, 1, 1, ...ts(tsval), 1, 3, 3, 10],
  [2, 4, 5, 0xb4, 4, 2, ...ts(tsval), 1, 3, 3, 10],
  [2, 4, 5, 0xb4, 4, 2, ...ts(tsval), 1, 3, 3, 10],
  [2, 4, 5, 0xb4, 4, 2, ...ts(tsval)],
].map((o) => Uint8Array.from(o));

export interface Round {
  isns: number[];
  tsvals: number[];
  seqIpIds: number[];
  seqReply: (i: number) => Uint8Array | undefined;
  extra: OsProbeRecord[];
  omit: string[];
  ieIds: [number, number];
  ieCodes: [number, number];
  ieDf: [boolean, boolean];
  u1: Uint8Array | undefined;
  replyTtl: number;
}

// ISN steps 100, 300, 100, 300, 100 in 100 ms: rates 1000/3000 per second, GCD 100 (0x64);
// ISR = trunc(8·log2(1800) + 0.5) = 87 (0x57); SP: sd of rates/100 = sqrt(480/4), trunc(8·log2(10.954) + 0.5) = 28 (0x1C).
export const ISNS = [0x10000000, 0x10000064, 0x10000190, 0x100001f4, 0x10000320, 0x10000384];

export function seqSynAck(i: number, r: Partial<Round>, ttl: number, isns = ISNS): Uint8Array {
  const tsvals = r.tsvals ?? [1000, 1100, 1200, 1300, 1400, 1500];
  return tcpPacket(
    { srcPort: OPEN, dstPort: PORT_BASE + i, seq: isns[i], ack: SEQ_BASE + i + 1, flags: SYN | ACK, window: 0xfe88, options: linuxOptions(tsvals[i]!)[i] },
    { df: true, ttl, id: r.seqIpIds?.[i] ?? 0 },
  );
}

export function u1Reply(ttl: number, quotedTtl = UDP_TTL, mutate?: (quoted: Uint8Array) => void): Uint8Array {
  const quoted = u1Probe();
  quoted[8] = quotedTtl;
  mutate?.(quoted);
  return ipv4(1, icmp(3, 3, 0, quoted), { ttl });
}

/** A round against a Linux-like stack one hop away; every part can be changed. */
export function linuxRound(r: Partial<Round> = {}): OsProbeRecord[] {
  const ttl = r.replyTtl ?? 64;
  const isns = r.isns ?? ISNS;
  const probes: OsProbeRecord[] = [];
  for (let i = 0; i < 6; i++) {
    const reply = r.seqReply ? r.seqReply(i) : seqSynAck(i, r, ttl, isns);
    probes.push(record(`SEQ${i + 1}` as OsProbeRecord['name'], i * 100, reply ? [[reply, i * 100 + 1]] : []));
  }
  const [id1, id2] = r.ieIds ?? [1000, 1001];
  const [code1, code2] = r.ieCodes ?? [9, 0];
  const [df1, df2] = r.ieDf ?? [false, false];
  probes.push(record('IE1', 600, [[ipv4(1, icmp(0, code1, (0x1234 << 16) | 295, new Uint8Array(120)), { ttl, id: id1, df: df1 }), 601]]));
  probes.push(record('IE2', 625, [[ipv4(1, icmp(0, code2, (0x1235 << 16) | 296, new Uint8Array(150)), { ttl, id: id2, df: df2 }), 626]]));
  const u1 = 'u1' in r ? r.u1 : u1Reply(ttl);
  probes.push(record('U1', 650, u1 ? [[u1, 651]] : []));
  const synAckEcn = tcpPacket({ srcPort: OPEN, dstPort: PORT_BASE + 12, seq: 0x77777777, ack: SEQ_BASE + 1, flags: SYN | ACK | ECE, window: 0xfaf0, options: hexBytes('020405B40101040201030 30A'.replace(/ /g, '')) }, { df: true, ttl });
  probes.push(record('ECN', 675, [[synAckEcn, 676]]));
  probes.push(record('T2', 700));
  probes.push(record('T3', 725));
  const rstA = (port: number) => tcpPacket({ srcPort: OPEN, dstPort: port, seq: ACK_CONST, ack: 0, flags: RST }, { df: true, ttl });
  const rstAck = (port: number) => tcpPacket({ srcPort: 1, dstPort: port, seq: 0, ack: SEQ_BASE + 1, flags: RST | ACK }, { df: true, ttl });
  probes.push(record('T4', 750, [[rstA(PORT_BASE + 16), 751]]));
  probes.push(record('T5', 775, [[rstAck(PORT_BASE + 17), 776]]));
  probes.push(record('T6', 800, [[rstA(PORT_BASE + 18), 801]]));
  probes.push(record('T7', 825, [[rstAck(PORT_BASE + 19), 826]]));
  return [...probes.filter((p) => !(r.omit ?? []).includes(p.name)), ...(r.extra ?? [])];
}

export const compute = (probes: OsProbeRecord[], extra = {}) => computeOsFingerprint(evidence(probes, extra));
export const value = (fp: SubjectFingerprint, test: string, attr: string) => subjectValue(fp, test, attr);
export const testText = (fp: SubjectFingerprint, name: string) => formatSubjectFingerprint({ tests: fp.tests.filter((t) => t.name === name) }, { wrap: false }).trim();
