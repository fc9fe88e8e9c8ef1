// Computes the per-reply tests ECN, T1–T7, U1 and IE from captured replies
// and the probes that caused them (nmap-os-detection.md §2.4–2.6).
import { crc32 } from 'node:zlib';
import {
  internetChecksum,
  parseIcmp,
  parseIpv4,
  parseTcp,
  parseUdp,
  tcpOptionsString,
  TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  type Ipv4Packet,
  type TcpSegment,
} from './packets.ts';
import type { FingerprintAttribute } from './types.ts';

/** A test before TTLs are finalised: `T` still holds the received TTL. */
export interface PendingTest {
  name: string;
  attributes: FingerprintAttribute[];
  /** The TTL of the reply, to become T (true distance known) or TG (guessed). */
  rawTtl?: number;
}

const hex = (n: number) => n.toString(16).toUpperCase();
const yn = (b: boolean) => (b ? 'Y' : 'N');

const FLAG_LETTERS: Array<[number, string]> = [
  [TCP_ECE, 'E'], [TCP_URG, 'U'], [TCP_ACK, 'A'], [TCP_PSH, 'P'], [TCP_RST, 'R'], [TCP_SYN, 'S'], [TCP_FIN, 'F'],
];

/** F: the reply's flags in Nmap's fixed order E U A P R S F (CWR is not shown). */
export function flagLetters(flags: number): string {
  return FLAG_LETTERS.filter(([bit]) => flags & bit).map(([, c]) => c).join('');
}

/** Q: R for non-zero reserved bits, U for an urgent pointer without URG. */
export function quirks(tcp: TcpSegment): string {
  return (tcp.reserved ? 'R' : '') + (!(tcp.flags & TCP_URG) && tcp.urgentPointer ? 'U' : '');
}

/** S: the reply's sequence number against the probe's acknowledgment number. */
export function seqClass(replySeq: number, probeAck: number): string {
  if (replySeq === 0) return 'Z';
  if (replySeq === probeAck) return 'A';
  if (replySeq === ((probeAck + 1) >>> 0)) return 'A+';
  return 'O';
}

/** A: the reply's acknowledgment number against the probe's sequence number. */
export function ackClass(replyAck: number, probeSeq: number): string {
  if (replyAck === 0) return 'Z';
  if (replyAck === probeSeq) return 'S';
  if (replyAck === ((probeSeq + 1) >>> 0)) return 'S+';
  return 'O';
}

/** RD: CRC-32 of the payload of a RST, %08X as 7.93 prints it; 0 otherwise. */
export function resetDataChecksum(tcp: TcpSegment): string {
  if (!(tcp.flags & TCP_RST) || tcp.payload.length === 0) return '0';
  return crc32(tcp.payload).toString(16).toUpperCase().padStart(8, '0');
}

/** A TCP reply as IP and TCP headers, or undefined when it is not a usable TCP segment. */
export function tcpReply(packet: Uint8Array): { ip: Ipv4Packet; tcp: TcpSegment } | undefined {
  const ip = parseIpv4(packet);
  const tcp = ip && parseTcp(ip);
  return ip && tcp ? { ip, tcp } : undefined;
}

/** T1–T7 (`index` 1–7): T1 has no W and no O. */
export function tTest(index: number, ip: Ipv4Packet, tcp: TcpSegment, probe: TcpSegment): PendingTest {
  const a: FingerprintAttribute[] = [{ name: 'R', value: 'Y' }, { name: 'DF', value: yn(ip.df) }, { name: 'T', value: String(ip.ttl) }];
  if (index !== 1) a.push({ name: 'W', value: hex(tcp.window) });
  a.push({ name: 'S', value: seqClass(tcp.seq, probe.ack) }, { name: 'A', value: ackClass(tcp.ack, probe.seq) }, { name: 'F', value: flagLetters(tcp.flags) });
  if (index !== 1) a.push({ name: 'O', value: tcpOptionsString(tcp.options) });
  a.push({ name: 'RD', value: resetDataChecksum(tcp) }, { name: 'Q', value: quirks(tcp) });
  return { name: `T${index}`, attributes: a, rawTtl: ip.ttl };
}

/** CC: how the SYN/ACK answered our ECE+CWR SYN. */
export function congestionClass(flags: number): string {
  const ece = (flags & TCP_ECE) !== 0;
  const cwr = (flags & TCP_CWR) !== 0;
  if (ece && cwr) return 'S';
  if (ece) return 'Y';
  if (!cwr) return 'N';
  return 'O';
}

export function ecnTest(ip: Ipv4Packet, tcp: TcpSegment): PendingTest {
  return {
    name: 'ECN',
    attributes: [
      { name: 'R', value: 'Y' },
      { name: 'DF', value: yn(ip.df) },
      { name: 'T', value: String(ip.ttl) },
      { name: 'W', value: hex(tcp.window) },
      { name: 'O', value: tcpOptionsString(tcp.options) },
      { name: 'CC', value: congestionClass(tcp.flags) },
      { name: 'Q', value: quirks(tcp) },
    ],
    rawTtl: ip.ttl,
  };
}

/** Nmap's fixed U1 probe: total length 328, IP ID 0x1042, 300 bytes of 'C'. */
const U1_LENGTH = 328;
const U1_IP_ID = 0x1042;
const U1_FILL = 0x43;

/**
 * U1 from an ICMP port unreachable quoting our UDP probe, plus Nmap's hop
 * count (probe TTL − quoted TTL). Undefined when the reply does not quote
 * the probe's ports or is too short to read.
 */
export function u1Test(reply: Uint8Array, sent: Uint8Array): { test: PendingTest; hops: number } | undefined {
  const ip = parseIpv4(reply);
  const icmp = ip && parseIcmp(ip);
  const sentIp = parseIpv4(sent);
  const sentUdp = sentIp && parseUdp(sentIp);
  if (!ip || !icmp || !sentIp || !sentUdp || icmp.type !== 3 || icmp.code !== 3) return undefined;
  const quotedAt = icmp.offset + 8;
  // Nmap wants a whole IP header and the 8-byte UDP header quoted.
  if (reply.length - quotedAt < 28) return undefined;
  const quoted = parseIpv4(reply.subarray(quotedAt));
  if (!quoted || reply.length - quotedAt - quoted.headerLength < 8) return undefined;
  const udpAt = quotedAt + quoted.headerLength;
  const view = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
  if (view.getUint16(udpAt) !== sentUdp.srcPort || view.getUint16(udpAt + 2) !== sentUdp.dstPort) return undefined;

  const header = new Uint8Array(reply.subarray(quotedAt, quotedAt + 20));
  const quotedChecksum = view.getUint16(quotedAt + 10);
  header[10] = 0;
  header[11] = 0;
  const ripck = quotedChecksum === 0 ? 'Z' : internetChecksum(header) === quotedChecksum ? 'G' : 'I';
  const udpChecksum = view.getUint16(udpAt + 6);
  const dataEnd = Math.min(reply.length, ip.totalLength);
  let rud = 'G';
  for (let i = udpAt + 8; i < dataEnd; i++) {
    if (reply[i] !== U1_FILL) {
      rud = 'I';
      break;
    }
  }
  const test: PendingTest = {
    name: 'U1',
    attributes: [
      { name: 'R', value: 'Y' },
      { name: 'DF', value: yn(ip.df) },
      { name: 'T', value: String(ip.ttl) },
      { name: 'IPL', value: hex(ip.totalLength) },
      // 7.93 prints only the low 16 bits of the unused field.
      { name: 'UN', value: hex(icmp.rest & 0xffff) },
      { name: 'RIPL', value: quoted.totalLength === U1_LENGTH ? 'G' : hex(quoted.totalLength) },
      { name: 'RID', value: quoted.id === U1_IP_ID ? 'G' : hex(quoted.id) },
      { name: 'RIPCK', value: ripck },
      { name: 'RUCK', value: udpChecksum === sentUdp.checksum ? 'G' : hex(udpChecksum) },
      { name: 'RUD', value: rud },
    ],
    rawTtl: ip.ttl,
  };
  return { test, hops: sentIp.ttl - quoted.ttl };
}

/** An ICMP echo reply, or undefined. */
export function echoReply(packet: Uint8Array): { ip: Ipv4Packet; code: number } | undefined {
  const ip = parseIpv4(packet);
  const icmp = ip && parseIcmp(ip);
  return ip && icmp && icmp.type === 0 ? { ip, code: icmp.code } : undefined;
}

/** IE from the replies to IE1 and IE2. */
export function ieTest(first: { ip: Ipv4Packet; code: number }, second: { ip: Ipv4Packet; code: number }): PendingTest {
  const df1 = first.ip.df;
  const df2 = second.ip.df;
  const dfi = df1 && df2 ? 'Y' : df1 && !df2 ? 'S' : !df1 && !df2 ? 'N' : 'O';
  const cd = first.code === second.code ? (first.code === 0 ? 'Z' : hex(first.code)) : first.code === 9 && second.code === 0 ? 'S' : 'O';
  return {
    name: 'IE',
    attributes: [{ name: 'R', value: 'Y' }, { name: 'DFI', value: dfi }, { name: 'T', value: String(first.ip.ttl) }, { name: 'CD', value: cd }],
    rawTtl: first.ip.ttl,
  };
}
