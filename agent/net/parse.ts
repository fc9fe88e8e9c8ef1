// Reads captured IPv4 datagrams far enough to route each reply to the probe
// that caused it: addresses, TCP ports and numbers, ICMP echo ids and the
// datagram an ICMP error quotes (RFC 791, RFC 793, RFC 792 §"Destination
// Unreachable", RFC 1122 3.2.2). Never throws: short or inconsistent input
// yields undefined, and every read is bounded by the bytes captured.
import { ipv4String, PROTO_ICMP, PROTO_TCP, PROTO_UDP } from './packet.ts';

export interface IpView {
  src: string;
  dst: string;
  protocol: number;
  /** Bytes of IP header (IHL × 4), at most the bytes captured. */
  headerLength: number;
  id: number;
  ttl: number;
}

export interface TcpView {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
}

/** An ICMP error's quote of the datagram that caused it: its header and the first 8 bytes after it. */
export interface QuotedView {
  src: string;
  dst: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
}

export type CapturedPacket =
  | { kind: 'tcp'; ip: IpView; tcp: TcpView }
  | { kind: 'echo-reply'; ip: IpView; code: number; id: number; sequence: number }
  | { kind: 'icmp-error'; ip: IpView; type: number; code: number; quoted: QuotedView }
  | { kind: 'other'; ip: IpView };

const u16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);
const u32 = (b: Uint8Array, at: number) =>
  (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;

/** The IPv4 header at `at`, when all of it was captured. */
export function readIpHeader(b: Uint8Array, at = 0): IpView | undefined {
  if (at < 0 || b.length - at < 20) return undefined;
  const first = b[at] as number;
  if (first >> 4 !== 4) return undefined;
  const headerLength = (first & 0x0f) * 4;
  if (headerLength < 20 || b.length - at < headerLength) return undefined;
  return {
    src: ipv4String(b, at + 12),
    dst: ipv4String(b, at + 16),
    protocol: b[at + 9] as number,
    headerLength,
    id: u16(b, at + 4),
    ttl: b[at + 8] as number,
  };
}

/** ICMP types whose body quotes the offending datagram (RFC 792). */
const ERROR_TYPES = new Set([3, 4, 5, 11, 12]);

/** Reads one captured datagram; undefined for anything that is not a well-formed IPv4 datagram. */
export function readCaptured(b: Uint8Array): CapturedPacket | undefined {
  const ip = readIpHeader(b);
  if (!ip) return undefined;
  const at = ip.headerLength;
  const left = b.length - at;
  if (ip.protocol === PROTO_TCP) {
    if (left < 20) return undefined;
    const offset = ((b[at + 12] as number) >> 4) * 4;
    if (offset < 20 || offset > left) return undefined;
    return {
      kind: 'tcp',
      ip,
      tcp: { srcPort: u16(b, at), dstPort: u16(b, at + 2), seq: u32(b, at + 4), ack: u32(b, at + 8), flags: b[at + 13] as number },
    };
  }
  if (ip.protocol === PROTO_ICMP) {
    if (left < 8) return undefined;
    const type = b[at] as number;
    const code = b[at + 1] as number;
    if (type === 0) return { kind: 'echo-reply', ip, code, id: u16(b, at + 4), sequence: u16(b, at + 6) };
    if (ERROR_TYPES.has(type)) {
      const quotedAt = at + 8;
      const inner = readIpHeader(b, quotedAt);
      // The quote must hold the whole inner header and the 8 bytes that carry the ports.
      if (!inner || b.length - quotedAt - inner.headerLength < 8) return { kind: 'other', ip };
      const portsAt = quotedAt + inner.headerLength;
      const hasPorts = inner.protocol === PROTO_TCP || inner.protocol === PROTO_UDP;
      return {
        kind: 'icmp-error',
        ip,
        type,
        code,
        quoted: {
          src: inner.src,
          dst: inner.dst,
          protocol: inner.protocol,
          srcPort: hasPorts ? u16(b, portsAt) : 0,
          dstPort: hasPorts ? u16(b, portsAt + 2) : 0,
        },
      };
    }
  }
  return { kind: 'other', ip };
}

export interface TcpOption {
  kind: number;
  /** The option's bytes after kind and length (empty for EOL and NOP). */
  data: Uint8Array;
}

/**
 * The options of a TCP header, in order. Unknown kinds are skipped by their
 * length byte; a length below 2 or running past the end stops the walk and
 * marks the list malformed, so hostile bytes cannot loop or over-read.
 */
export function readTcpOptions(options: Uint8Array): { options: TcpOption[]; malformed: boolean } {
  const out: TcpOption[] = [];
  let i = 0;
  while (i < options.length) {
    const kind = options[i] as number;
    if (kind === 0 || kind === 1) {
      out.push({ kind, data: new Uint8Array(0) });
      i += 1;
      continue;
    }
    const length = options[i + 1];
    if (length === undefined || length < 2 || i + length > options.length) return { options: out, malformed: true };
    out.push({ kind, data: options.subarray(i + 2, i + length) });
    i += length;
  }
  return { options: out, malformed: false };
}

/** The options bytes of a captured TCP datagram (between the 20-byte header and the data offset). */
export function tcpOptionBytes(b: Uint8Array): Uint8Array {
  const ip = readIpHeader(b);
  if (!ip || ip.protocol !== PROTO_TCP || b.length - ip.headerLength < 20) return new Uint8Array(0);
  const offset = ((b[ip.headerLength + 12] as number) >> 4) * 4;
  if (offset < 20 || ip.headerLength + offset > b.length) return new Uint8Array(0);
  return b.subarray(ip.headerLength + 20, ip.headerLength + offset);
}
