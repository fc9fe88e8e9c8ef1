// Hand-built IPv4/TCP/UDP/ICMP packets and Nmap's OS probes for the tests
// (probe contents: nmap-os-detection.md §1.3–1.8).
import { internetChecksum } from '../../../collector/fingerprint/os/index.ts';
import type { OsProbeName, OsProbeRecord, OsScanEvidence } from '../../../collector/fingerprint/os/index.ts';

export const hexBytes = (hex: string) => Uint8Array.from((hex.replace(/\s+/g, '').match(/../g) ?? []).map((b) => parseInt(b, 16)));
export const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

const be16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export interface IpFields {
  id?: number;
  ttl?: number;
  df?: boolean;
  tos?: number;
  src?: number[];
  dst?: number[];
  /** Overrides the total length field (e.g. to claim more than is captured). */
  totalLength?: number;
  checksum?: number;
}

export function ipv4(protocol: number, payload: Uint8Array, f: IpFields = {}): Uint8Array {
  const header = [
    0x45, f.tos ?? 0, ...be16(f.totalLength ?? 20 + payload.length), ...be16(f.id ?? 0),
    f.df ? 0x40 : 0, 0, f.ttl ?? 64, protocol, 0, 0,
    ...(f.src ?? [198, 18, 0, 2]), ...(f.dst ?? [198, 18, 0, 1]),
  ];
  const bytes = new Uint8Array([...header, ...payload]);
  const sum = f.checksum ?? internetChecksum(bytes.subarray(0, 20));
  bytes[10] = sum >> 8;
  bytes[11] = sum & 0xff;
  return bytes;
}

export interface TcpFields {
  srcPort?: number;
  dstPort?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  urgent?: number;
  reserved?: number;
  options?: Uint8Array;
  payload?: Uint8Array;
}

export function tcp(f: TcpFields = {}): Uint8Array {
  const options = f.options ?? new Uint8Array();
  const offset = 5 + options.length / 4;
  return new Uint8Array([
    ...be16(f.srcPort ?? 80), ...be16(f.dstPort ?? 40000), ...be32(f.seq ?? 0), ...be32(f.ack ?? 0),
    (offset << 4) | (f.reserved ?? 0), f.flags ?? 0, ...be16(f.window ?? 0), 0, 0, ...be16(f.urgent ?? 0),
    ...options, ...(f.payload ?? []),
  ]);
}

export const tcpPacket = (t: TcpFields, ip: IpFields = {}) => ipv4(6, tcp(t), ip);

export function icmp(type: number, code: number, rest: number, payload: Uint8Array = new Uint8Array()): Uint8Array {
  const bytes = new Uint8Array([type, code, 0, 0, ...be32(rest), ...payload]);
  const sum = internetChecksum(bytes);
  bytes[2] = sum >> 8;
  bytes[3] = sum & 0xff;
  return bytes;
}

export function udp(srcPort: number, dstPort: number, checksum: number, payload: Uint8Array): Uint8Array {
  return new Uint8Array([...be16(srcPort), ...be16(dstPort), ...be16(8 + payload.length), ...be16(checksum), ...payload]);
}

// TCP options of Nmap's probes, as in the doc's tables.
export const SEQ_OPTIONS = [
  '03030A01020405B4080AFFFFFFFF000000000402',
  '020405780303000402080AFFFFFFFF0000000000',
  '080AFFFFFFFF0000000001010303050102040280',
  '0402080AFFFFFFFF000000000303 0A00',
  '020402180402080AFFFFFFFF000000000303 0A00',
  '020401090402080AFFFFFFFF00000000',
].map(hexBytes);
export const SEQ_WINDOWS = [1, 63, 4, 4, 16, 512];
const OPTS_A = hexBytes('03030A0102040109080AFFFFFFFF000000000402');
const OPTS_B = hexBytes('03030F0102040109080AFFFFFFFF000000000402');

export const SEQ_BASE = 0x1a2b3c4d;
export const ACK_CONST = 0x55667788;
export const PORT_BASE = 45000;
export const OPEN = 80;
export const CLOSED = 1;
export const UDP_PORT = 51000;
export const CLOSED_UDP = 38358;
export const UDP_TTL = 55;
export const UDP_CHECKSUM = 0x9c2e;

const flagsOf = { SYN: 0x02, ACK: 0x10, FIN: 0x01, PSH: 0x08, URG: 0x20, ECE: 0x40, CWR: 0x80 };

/** The probe Nmap sends under `name`, as IPv4 bytes. */
export function probePacket(name: OsProbeName): Uint8Array {
  const seqIndex = /^(SEQ|OPS)(\d)$/.exec(name);
  if (seqIndex) {
    const i = Number(seqIndex[2]) - 1;
    const resend = seqIndex[1] === 'OPS';
    return tcpPacket({
      srcPort: PORT_BASE + i + (resend ? 6 : 0), dstPort: OPEN, seq: resend ? SEQ_BASE : SEQ_BASE + i, ack: ACK_CONST,
      flags: flagsOf.SYN, window: SEQ_WINDOWS[i], options: SEQ_OPTIONS[i],
    }, { ttl: 47, id: 1000 + i });
  }
  switch (name) {
    case 'ECN':
      return tcpPacket({ srcPort: PORT_BASE + 12, dstPort: OPEN, seq: SEQ_BASE, ack: 0, flags: flagsOf.SYN | flagsOf.ECE | flagsOf.CWR, window: 3, urgent: 0xf7f5, reserved: 8, options: hexBytes('03030A01020405B404020101') });
    case 'T1':
      return tcpPacket({ srcPort: PORT_BASE + 13, dstPort: OPEN, seq: SEQ_BASE, ack: ACK_CONST, flags: flagsOf.SYN, window: 1, options: SEQ_OPTIONS[0] });
    case 'T2':
      return tcpPacket({ srcPort: PORT_BASE + 14, dstPort: OPEN, seq: SEQ_BASE, ack: ACK_CONST, flags: 0, window: 128, options: OPTS_A }, { df: true });
    case 'T3':
      return tcpPacket({ srcPort: PORT_BASE + 15, dstPort: OPEN, seq: SEQ_BASE, ack: ACK_CONST, flags: flagsOf.SYN | flagsOf.FIN | flagsOf.PSH | flagsOf.URG, window: 256, options: OPTS_A });
    case 'T4':
      return tcpPacket({ srcPort: PORT_BASE + 16, dstPort: OPEN, seq: SEQ_BASE, ack: ACK_CONST, flags: flagsOf.ACK, window: 1024, options: OPTS_A }, { df: true });
    case 'T5':
      return tcpPacket({ srcPort: PORT_BASE + 17, dstPort: CLOSED, seq: SEQ_BASE, ack: ACK_CONST, flags: flagsOf.SYN, window: 31337, options: OPTS_A });
    case 'T6':
      return tcpPacket({ srcPort: PORT_BASE + 18, dstPort: CLOSED, seq: SEQ_BASE, ack: ACK_CONST, flags: flagsOf.ACK, window: 32768, options: OPTS_A }, { df: true });
    case 'T7':
      return tcpPacket({ srcPort: PORT_BASE + 19, dstPort: CLOSED, seq: SEQ_BASE, ack: ACK_CONST, flags: flagsOf.FIN | flagsOf.PSH | flagsOf.URG, window: 65535, options: OPTS_B });
    case 'IE1':
      return ipv4(1, icmp(8, 9, (0x1234 << 16) | 295, new Uint8Array(120)), { df: true });
    case 'IE2':
      return ipv4(1, icmp(8, 0, (0x1235 << 16) | 296, new Uint8Array(150)), { tos: 4 });
    case 'U1':
      return u1Probe();
    default:
      throw new Error(`no probe ${name}`);
  }
}

export function u1Probe(): Uint8Array {
  return ipv4(17, udp(UDP_PORT, CLOSED_UDP, UDP_CHECKSUM, new Uint8Array(300).fill(0x43)), { id: 0x1042, ttl: UDP_TTL });
}

const MS = 1_000_000n;
export const T0 = 1_000_000_000_000n;

/** One probe record: sent at `sentMs` after T0, with replies (packet, ms after T0). */
export function record(name: OsProbeName, sentMs: number, replies: Array<[Uint8Array, number]> = []): OsProbeRecord {
  return {
    name,
    sentAt: String(T0 + BigInt(Math.round(sentMs * 1000)) * 1000n),
    sent: b64(probePacket(name)),
    replies: replies.map(([packet, ms]) => ({ at: String(T0 + BigInt(Math.round(ms * 1000)) * 1000n), packet: b64(packet) })),
  };
}

export function evidence(probes: OsProbeRecord[], extra: Partial<OsScanEvidence> = {}): OsScanEvidence {
  return { probes, openTcpPort: OPEN, closedTcpPort: CLOSED, ...extra };
}

export { MS, flagsOf };
