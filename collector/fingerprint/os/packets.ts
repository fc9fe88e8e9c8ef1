// Reads IPv4 datagrams carrying TCP, UDP or ICMP, as the OS probes capture
// them (RFC 791, RFC 793, RFC 768, RFC 792). Never throws: anything short or
// inconsistent yields undefined, and every offset is bounded.

export interface Ipv4Packet {
  bytes: Uint8Array;
  /** Header length in bytes. */
  headerLength: number;
  totalLength: number;
  id: number;
  df: boolean;
  ttl: number;
  protocol: number;
  checksum: number;
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset × 4). */
  headerLength: number;
  /** The 4 reserved bits (low nibble of byte 12). */
  reserved: number;
  flags: number;
  window: number;
  urgentPointer: number;
  options: Uint8Array;
  /** Payload up to the IP total length, bounded by what was captured. */
  payload: Uint8Array;
}

export { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../../../shared/tcp.ts';

const u16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);
const u32 = (b: Uint8Array, at: number) => (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;

export function readU16(b: Uint8Array, at: number): number | undefined {
  return at >= 0 && at + 2 <= b.length ? u16(b, at) : undefined;
}

export function readU32(b: Uint8Array, at: number): number | undefined {
  return at >= 0 && at + 4 <= b.length ? u32(b, at) : undefined;
}

/** An IPv4 header; requires the whole header and 4 bytes beyond it to be present (as Nmap's processResp does). */
export function parseIpv4(bytes: Uint8Array): Ipv4Packet | undefined {
  if (bytes.length < 20 || (bytes[0] as number) >> 4 !== 4) return undefined;
  const headerLength = ((bytes[0] as number) & 0x0f) * 4;
  if (headerLength < 20 || bytes.length < headerLength + 4) return undefined;
  return {
    bytes,
    headerLength,
    totalLength: u16(bytes, 2),
    id: u16(bytes, 4),
    df: ((bytes[6] as number) & 0x40) !== 0,
    ttl: bytes[8] as number,
    protocol: bytes[9] as number,
    checksum: u16(bytes, 10),
  };
}

export function parseTcp(ip: Ipv4Packet): TcpSegment | undefined {
  const b = ip.bytes;
  const at = ip.headerLength;
  if (ip.protocol !== 6 || b.length - at < 20) return undefined;
  const headerLength = ((b[at + 12] as number) >> 4) * 4;
  if (headerLength < 20 || b.length - at < headerLength) return undefined;
  const payloadEnd = Math.min(b.length, ip.totalLength);
  return {
    srcPort: u16(b, at),
    dstPort: u16(b, at + 2),
    seq: u32(b, at + 4),
    ack: u32(b, at + 8),
    headerLength,
    reserved: (b[at + 12] as number) & 0x0f,
    flags: b[at + 13] as number,
    window: u16(b, at + 14),
    urgentPointer: u16(b, at + 18),
    options: b.subarray(at + 20, at + headerLength),
    payload: b.subarray(Math.min(at + headerLength, payloadEnd), Math.max(at + headerLength, payloadEnd)),
  };
}

/**
 * The TCP options as Nmap's OPS/O letters: L (EOL), N (NOP), M+hex MSS,
 * W+hex shift, S (SACK permitted), T+two bits (TSval, TSecr non-zero).
 * Unknown options are skipped by their length byte (7.93 loops on them); a
 * truncated or malformed list yields the empty string, as in Nmap.
 */
export function tcpOptionsString(options: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < options.length) {
    const left = options.length - i;
    const kind = options[i] as number;
    if (kind === 0) {
      out += 'L';
      i += 1;
    } else if (kind === 1) {
      out += 'N';
      i += 1;
    } else if (kind === 2) {
      if (left < 4) return '';
      out += `M${u16(options, i + 2).toString(16).toUpperCase()}`;
      i += 4;
    } else if (kind === 3) {
      if (left < 3) return '';
      out += `W${(options[i + 2] as number).toString(16).toUpperCase()}`;
      i += 3;
    } else if (kind === 4) {
      if (left < 2) return '';
      out += 'S';
      i += 2;
    } else if (kind === 8) {
      if (left < 10) return '';
      out += `T${u32(options, i + 2) !== 0 ? 1 : 0}${u32(options, i + 6) !== 0 ? 1 : 0}`;
      i += 10;
    } else {
      const len = options[i + 1];
      if (len === undefined || len < 2 || len > left) return '';
      i += len;
    }
  }
  return out;
}

/** The TSval of the timestamp option, or undefined when the segment carries none. */
export function tcpTimestamp(options: Uint8Array): number | undefined {
  let i = 0;
  while (i < options.length) {
    const kind = options[i] as number;
    if (kind === 0) return undefined;
    if (kind === 1) {
      i += 1;
      continue;
    }
    const len = options[i + 1];
    if (len === undefined || len < 2 || i + len > options.length) return undefined;
    if (kind === 8 && len === 10) return u32(options, i + 2);
    i += len;
  }
  return undefined;
}

/** The Internet checksum (RFC 1071) of `bytes`, as a 16-bit value. */
export function internetChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += u16(bytes, i);
  if (bytes.length % 2 === 1) sum += (bytes[bytes.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface IcmpMessage {
  type: number;
  code: number;
  /** Offset of the ICMP header in the IP datagram. */
  offset: number;
  /** The 4 bytes after the checksum (echo id/seq, or "unused"). */
  rest: number;
  id: number;
}

/** An ICMP header; needs its 8 bytes captured. */
export function parseIcmp(ip: Ipv4Packet): IcmpMessage | undefined {
  const at = ip.headerLength;
  if (ip.protocol !== 1 || ip.bytes.length - at < 8) return undefined;
  return { type: ip.bytes[at] as number, code: ip.bytes[at + 1] as number, offset: at, rest: u32(ip.bytes, at + 4), id: u16(ip.bytes, at + 4) };
}

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  checksum: number;
}

/** The UDP header of an IPv4 datagram as sent (the U1 probe). */
export function parseUdp(ip: Ipv4Packet): UdpDatagram | undefined {
  const at = ip.headerLength;
  if (ip.protocol !== 17 || ip.bytes.length - at < 8) return undefined;
  return { srcPort: u16(ip.bytes, at), dstPort: u16(ip.bytes, at + 2), checksum: u16(ip.bytes, at + 6) };
}
