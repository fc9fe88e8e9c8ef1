// Builds whole IPv4 datagrams (header included, for IP_HDRINCL) carrying TCP,
// UDP or ICMP, with correct checksums (RFC 791, RFC 793, RFC 768, RFC 792, RFC 1071).

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../../shared/tcp.ts';

export interface IpHeaderFields {
  src: string;
  dst: string;
  id: number;
  ttl: number;
  tos?: number;
  df?: boolean;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgentPointer?: number;
  /** The 4 reserved bits after the data offset. */
  reserved?: number;
  /** Already padded to a multiple of 4 bytes. */
  options?: Uint8Array;
}

/** Four bytes of a dotted-quad IPv4 address; throws on anything else (callers pass validated literals). */
export function ipv4Bytes(address: string): Uint8Array {
  const parts = address.split('.');
  const bytes = parts.map(Number);
  if (parts.length !== 4 || bytes.some((b, i) => !/^\d{1,3}$/.test(parts[i] as string) || b > 255)) {
    throw new TypeError(`not an IPv4 address: ${address}`);
  }
  return Uint8Array.from(bytes);
}

export function ipv4String(bytes: Uint8Array, at = 0): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** The one's-complement sum of 16-bit words, not yet folded or inverted. */
function sum16(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) sum += (bytes[i] as number) << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The Internet checksum (RFC 1071) of a byte range. */
export function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return fold(sum16(bytes, start, end));
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** A 20-byte IPv4 header (no options) in front of `payload`, header checksum filled in. */
function ipv4(protocol: number, ip: IpHeaderFields, payload: Uint8Array): Uint8Array {
  const total = 20 + payload.length;
  const b = new Uint8Array(total);
  b[0] = 0x45;
  b[1] = ip.tos ?? 0;
  put16(b, 2, total);
  put16(b, 4, ip.id & 0xffff);
  b[6] = ip.df ? 0x40 : 0;
  b[8] = ip.ttl & 0xff;
  b[9] = protocol;
  b.set(ipv4Bytes(ip.src), 12);
  b.set(ipv4Bytes(ip.dst), 16);
  b.set(payload, 20);
  put16(b, 10, checksum(b, 0, 20));
  return b;
}

/** TCP and UDP checksums cover a pseudo-header of addresses, protocol and length. */
function transportChecksum(datagram: Uint8Array, protocol: number): number {
  const length = datagram.length - 20;
  let sum = sum16(datagram, 12, 20);
  sum += protocol + length;
  sum = sum16(datagram, 20, datagram.length, sum);
  return fold(sum);
}

export function buildTcp(ip: IpHeaderFields, tcp: TcpFields): Uint8Array {
  const options = tcp.options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40) throw new RangeError('TCP options must be padded to 4 bytes, at most 40');
  const h = new Uint8Array(20 + options.length);
  put16(h, 0, tcp.srcPort);
  put16(h, 2, tcp.dstPort);
  put32(h, 4, tcp.seq >>> 0);
  put32(h, 8, tcp.ack >>> 0);
  h[12] = (((20 + options.length) / 4) << 4) | ((tcp.reserved ?? 0) & 0x0f);
  h[13] = tcp.flags & 0xff;
  put16(h, 14, tcp.window);
  put16(h, 18, tcp.urgentPointer ?? 0);
  h.set(options, 20);
  const d = ipv4(PROTO_TCP, ip, h);
  put16(d, 36, transportChecksum(d, PROTO_TCP));
  return d;
}

export function buildUdp(ip: IpHeaderFields, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + payload.length);
  put16(u, 0, srcPort);
  put16(u, 2, dstPort);
  put16(u, 4, u.length);
  u.set(payload, 8);
  const d = ipv4(PROTO_UDP, ip, u);
  // A computed 0 is sent as 0xFFFF (RFC 768: 0 means "no checksum").
  put16(d, 26, transportChecksum(d, PROTO_UDP) || 0xffff);
  return d;
}

export function buildIcmpEcho(ip: IpHeaderFields, code: number, id: number, sequence: number, payload: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + payload.length);
  m[0] = 8;
  m[1] = code;
  put16(m, 4, id);
  put16(m, 6, sequence);
  m.set(payload, 8);
  put16(m, 2, checksum(m));
  return ipv4(PROTO_ICMP, ip, m);
}
