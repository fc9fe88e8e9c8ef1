// TCP SYN port scan over raw sockets, the way Nmap's -sS and zmap/masscan do
// it: crafted SYNs from one random source port per scan, whose sequence
// numbers are a keyed hash of target and port, so every reply is checked
// without keeping a record per probe (a SYN-ACK or RST must acknowledge
// hash + 1; an ICMP error must quote the hash). SYN-ACK = open (the kernel
// answers it with RST, no socket owns the port), RST = closed, ICMP
// unreachable = filtered or unreachable, silence after every retry =
// filtered. Unanswered probes are sent again after an adaptive wait (RFC 6298
// estimator over the replies), so a dropped SYN-ACK does not lose an open
// port. Packets are written into one reused buffer per host and sent with a
// synchronous sendto(2), paced by the task's token bucket, in bounded batches
// between event-loop turns; replies are read in place from the capture
// buffer. Per probe there is no object, promise or closure.
import { randomInt } from 'node:crypto';
import type { RateLimiter } from '../scan/limits.ts';
import { ipv4Bytes } from './packet.ts';
import type { PacketTransport } from './raw.ts';
import { sourceAddressFor } from './route.ts';

/** A port's state as a byte (`states[i]` is the state of `ports[i]`). */
export const SYN_PENDING = 0;
export const SYN_OPEN = 1;
export const SYN_CLOSED = 2;
export const SYN_FILTERED = 3;
export const SYN_UNREACHABLE = 4;
export type SynStateCode = 0 | 1 | 2 | 3 | 4;

export interface SynScannerOptions {
  /** The task's pacing; the scanner takes from it synchronously. */
  limiter: RateLimiter;
  /** Sends of one probe at most (first send plus retransmissions). Nmap-like default 3. */
  tries?: number;
  /** Bounds of the wait after a pass before unanswered ports are sent again (Nmap: --min/--max-rtt-timeout). */
  minWaitMs?: number;
  maxWaitMs?: number;
  /** Packets sent per event-loop turn at most; replies are read between batches. */
  batch?: number;
  /** Our address towards a target (default: the kernel's choice, route.ts). */
  source?: (ip: string) => Promise<string>;
  /** Fixed source port and hash keys (tests); random by default. */
  srcPort?: number;
  keys?: [number, number];
  now?: () => number;
}

export interface SynStats {
  sent: number;
  retransmitted: number;
  sendFailures: number;
  replies: number;
  /** Current retransmission wait, ms. */
  waitMs: number;
}

export interface SynScanner {
  readonly srcPort: number;
  /** Scans `ports` of one IPv4 host; resolves with one state byte per port, never rejects. */
  scan(ip: string, ports: readonly number[], signal?: AbortSignal): Promise<Uint8Array>;
  readonly stats: SynStats;
  /** Stops listening; hosts still scanning resolve with what they have. */
  close(): void;
}

const IP_HEADER = 20;
const TCP_HEADER = 24; // 20 + MSS option, as Nmap sends
const DATAGRAM = IP_HEADER + TCP_HEADER;
const MSS = 1460;
const WINDOW = 1024; // Nmap's SYN scan window
const TTL = 64;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

/**
 * A keyed 32-bit mix of address and port (MurmurHash3's finaliser around
 * two secret words). Hand-written: node:crypto's HMAC allocates per call and
 * costs microseconds, this runs at every packet sent and received. It only
 * has to make blind or stale replies (an earlier scan, another scanner)
 * unlikely to match; anyone who sees our SYNs can answer them anyway.
 */
export function synCookie(k0: number, k1: number, ip32: number, port: number): number {
  let h = Math.imul((ip32 ^ k0) >>> 0, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = Math.imul(h, 0x1b873593) ^ k1;
  h = Math.imul(h ^ port ^ (port << 16), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function ipv4ToNumber(address: string): number {
  const b = ipv4Bytes(address);
  return (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
}

/** What a captured datagram says, as far as the SYN scan cares; filled in place, never allocated per packet. */
export interface SynReply {
  /** 'tcp' or 'icmp' when the datagram is one the scanner might want; '' for anything else. */
  kind: '' | 'tcp' | 'icmp';
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  icmpType: number;
  icmpCode: number;
}

export function emptyReply(): SynReply {
  return { kind: '', src: 0, dst: 0, srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, icmpType: 0, icmpCode: 0 };
}

const u16 = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);
const u32 = (b: Uint8Array, at: number) => (((b[at] as number) << 24) | ((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number)) >>> 0;

/**
 * Reads a captured IPv4 datagram into `out`: a TCP segment's addresses,
 * ports, numbers and flags, or for an ICMP destination unreachable the
 * datagram it quotes (addresses, ports, and the sequence number in `seq`).
 * Never throws, never reads past `b.length`: anything short, fragmented
 * (not the first fragment) or of another kind leaves `out.kind` ''.
 */
export function readSynReply(b: Uint8Array, out: SynReply): SynReply {
  out.kind = '';
  const n = b.length;
  if (n < IP_HEADER || (b[0] as number) >> 4 !== 4) return out;
  const ihl = ((b[0] as number) & 0x0f) * 4;
  if (ihl < IP_HEADER || n < ihl) return out;
  if ((u16(b, 6) & 0x1fff) !== 0) return out; // a later fragment: no transport header
  const protocol = b[9] as number;
  out.src = u32(b, 12);
  out.dst = u32(b, 16);
  if (protocol === 6) {
    if (n - ihl < 20) return out;
    out.srcPort = u16(b, ihl);
    out.dstPort = u16(b, ihl + 2);
    out.seq = u32(b, ihl + 4);
    out.ack = u32(b, ihl + 8);
    out.flags = b[ihl + 13] as number;
    out.kind = 'tcp';
    return out;
  }
  if (protocol === 1) {
    // Type 3 (destination unreachable): 8 bytes of ICMP, then the quoted IP header and 8 bytes of TCP.
    if (n - ihl < 8 || b[ihl] !== 3) return out;
    const q = ihl + 8;
    if (n - q < IP_HEADER || (b[q] as number) >> 4 !== 4) return out;
    const qihl = ((b[q] as number) & 0x0f) * 4;
    if (qihl < IP_HEADER || n - q - qihl < 8 || b[q + 9] !== 6) return out;
    out.icmpType = 3;
    out.icmpCode = b[ihl + 1] as number;
    // The quoted datagram is ours: its source is us, its destination the target.
    out.src = u32(b, q + 12);
    out.dst = u32(b, q + 16);
    out.srcPort = u16(b, q + qihl);
    out.dstPort = u16(b, q + qihl + 2);
    out.seq = u32(b, q + qihl + 4);
    out.ack = 0;
    out.flags = 0;
    out.kind = 'icmp';
    return out;
  }
  return out;
}

/** RFC 1122 3.2.2.1 / RFC 1812 codes: the network or host cannot be reached vs. something on the path refused the port. */
export function icmpUnreachableState(code: number): SynStateCode {
  switch (code) {
    case 0: // net unreachable
    case 1: // host unreachable
    case 5: // source route failed
    case 6: // destination network unknown
    case 7: // destination host unknown
    case 8: // source host isolated
    case 11: // net unreachable for TOS
    case 12: // host unreachable for TOS
      return SYN_UNREACHABLE;
    default: // 2 protocol, 3 port, 9/10/13 administratively prohibited, 4 fragmentation: Nmap calls these filtered
      return SYN_FILTERED;
  }
}

interface HostScan {
  ip: string;
  ip32: number;
  src32: number;
  ports: readonly number[];
  index: Int32Array;
  states: Uint8Array;
  /** When each port was last sent, for the round-trip estimate. */
  sentAt: Float64Array;
  pending: number;
  /** 0-based pass; each pass sends every still-pending port once. */
  pass: number;
  cursor: number;
  /** When the current pass sent its last packet (-1 while it is sending). */
  passDoneAt: number;
  packet: Buffer;
  /** One's-complement sums of the fields that never change for this host. */
  ipBase: number;
  tcpBase: number;
  ipId: number;
  resolve: (states: Uint8Array) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Port → index tables, one per distinct port list (a task has one). */
const indexCache = new WeakMap<readonly number[], Int32Array>();
function portIndex(ports: readonly number[]): Int32Array {
  let index = indexCache.get(ports);
  if (!index) {
    index = new Int32Array(65536).fill(-1);
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i] as number;
      if ((index[p] as number) < 0) index[p] = i;
    }
    indexCache.set(ports, index);
  }
  return index;
}

/**
 * A SYN scanner over a transport that can send synchronously and lend
 * captured datagrams; undefined when this one cannot (the caller falls
 * back to connect scanning).
 */
export function createSynScanner(transport: PacketTransport, options: SynScannerOptions): SynScanner | undefined {
  if (!transport.sendNow || !transport.onBorrowed) return undefined;
  const sendNow = transport.sendNow.bind(transport);
  const limiter = options.limiter;
  const tries = Math.max(1, options.tries ?? 3);
  const minWait = options.minWaitMs ?? 100;
  const maxWait = Math.max(minWait, options.maxWaitMs ?? 1000);
  const batch = Math.max(1, options.batch ?? 128);
  const source = options.source ?? sourceAddressFor;
  const now = options.now ?? (() => performance.now());
  const srcPort = options.srcPort ?? randomInt(33000, 61000);
  const [k0, k1] = options.keys ?? [randomInt(0, 2 ** 32 - 1), randomInt(0, 2 ** 32 - 1)];
  const stats: SynStats = { sent: 0, retransmitted: 0, sendFailures: 0, replies: 0, waitMs: Math.min(1000, maxWait) };
  // RFC 6298 estimator: no sample yet until srtt >= 0.
  let srtt = -1;
  let rttvar = 0;
  const hosts: HostScan[] = [];
  const byIp = new Map<number, HostScan>();
  let rr = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let closed = false;
  const reply = emptyReply();

  function sample(rtt: number) {
    if (srtt < 0) {
      srtt = rtt;
      rttvar = rtt / 2;
    } else {
      rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - rtt);
      srtt = 0.875 * srtt + 0.125 * rtt;
    }
    stats.waitMs = Math.min(maxWait, Math.max(minWait, srtt + 4 * rttvar));
  }

  function finish(h: HostScan) {
    if (h.done) return;
    h.done = true;
    for (let i = 0; i < h.states.length; i++) if (h.states[i] === SYN_PENDING) h.states[i] = SYN_FILTERED;
    if (h.onAbort) h.signal?.removeEventListener('abort', h.onAbort);
    byIp.delete(h.ip32);
    const at = hosts.indexOf(h);
    if (at >= 0) hosts.splice(at, 1);
    h.resolve(h.states);
  }

  function settle(h: HostScan, i: number, state: SynStateCode) {
    if (h.states[i] !== SYN_PENDING) return;
    h.states[i] = state;
    stats.replies++;
    const sentAt = h.sentAt[i] as number;
    if (sentAt > 0) sample(now() - sentAt);
    if (--h.pending === 0) finish(h);
  }

  function onDatagram(b: Uint8Array) {
    readSynReply(b, reply);
    if (reply.kind === '' || hosts.length === 0) return;
    if (reply.kind === 'tcp') {
      if (reply.dstPort !== srcPort || (reply.flags & (RST | ACK)) === 0) return;
      const h = byIp.get(reply.src);
      if (!h || reply.dst !== h.src32) return;
      const i = h.index[reply.srcPort] as number;
      if (i < 0 || i === undefined) return;
      if (reply.ack !== ((synCookie(k0, k1, h.ip32, reply.srcPort) + 1) >>> 0)) return;
      if ((reply.flags & (SYN | ACK)) === (SYN | ACK)) settle(h, i, SYN_OPEN);
      else if (reply.flags & RST) settle(h, i, SYN_CLOSED);
      return;
    }
    // ICMP: the quoted SYN went from us to the target.
    if (reply.srcPort !== srcPort) return;
    const h = byIp.get(reply.dst);
    if (!h || reply.src !== h.src32) return;
    const i = h.index[reply.dstPort] as number;
    if (i < 0 || i === undefined) return;
    if (reply.seq !== synCookie(k0, k1, h.ip32, reply.dstPort)) return;
    settle(h, i, icmpUnreachableState(reply.icmpCode));
  }

  const unsubscribe = transport.onBorrowed((d) => {
    try {
      onDatagram(d);
    } catch {
      // A reader bug must not take the capture loop down; the probe is retried or ends filtered.
    }
  });

  /** Writes the probe for `ports[i]` into the host's buffer and sends it. */
  function sendProbe(h: HostScan, i: number): boolean {
    const port = h.ports[i] as number;
    const seq = synCookie(k0, k1, h.ip32, port);
    const p = h.packet;
    h.ipId = (h.ipId + 1) & 0xffff;
    p[4] = h.ipId >>> 8;
    p[5] = h.ipId & 0xff;
    p[10] = 0;
    p[11] = 0;
    const ipSum = fold(h.ipBase + h.ipId);
    p[10] = ipSum >>> 8;
    p[11] = ipSum & 0xff;
    p[22] = port >>> 8;
    p[23] = port & 0xff;
    p[24] = seq >>> 24;
    p[25] = (seq >>> 16) & 0xff;
    p[26] = (seq >>> 8) & 0xff;
    p[27] = seq & 0xff;
    const tcpSum = fold(h.tcpBase + port + (seq >>> 16) + (seq & 0xffff));
    p[36] = tcpSum >>> 8;
    p[37] = tcpSum & 0xff;
    h.sentAt[i] = now();
    if (!sendNow(p, h.ip)) {
      stats.sendFailures++;
      return false;
    }
    stats.sent++;
    if (h.pass > 0) stats.retransmitted++;
    return true;
  }

  /** The next host with a packet to send now, round robin; advances its cursor past answered ports. */
  function nextSender(): HostScan | undefined {
    for (let k = 0; k < hosts.length; k++) {
      if (rr >= hosts.length) rr = 0;
      const h = hosts[rr++] as HostScan;
      if (h.passDoneAt >= 0) continue;
      while (h.cursor < h.ports.length && h.states[h.cursor] !== SYN_PENDING) h.cursor++;
      if (h.cursor < h.ports.length) return h;
      h.passDoneAt = now();
    }
    return undefined;
  }

  function schedule(ms: number) {
    if (closed || timer || immediate) return;
    if (ms <= 0) immediate = setImmediate(pump);
    else timer = setTimeout(pump, ms);
  }

  function pump() {
    timer = undefined;
    immediate = undefined;
    if (closed) return;
    // Passes whose wait is over: send the unanswered ports again, or give up on them.
    const t = now();
    let soonest = Infinity;
    for (let k = hosts.length - 1; k >= 0; k--) {
      const h = hosts[k] as HostScan;
      if (h.passDoneAt < 0) continue;
      const due = h.passDoneAt + stats.waitMs;
      if (t < due) {
        soonest = Math.min(soonest, due - t);
        continue;
      }
      if (h.pending === 0 || h.pass + 1 >= tries) finish(h);
      else {
        h.pass++;
        h.cursor = 0;
        h.passDoneAt = -1;
      }
    }
    let granted = limiter.tryTake(batch);
    let failed = false;
    while (granted > 0) {
      const h = nextSender();
      if (!h) break;
      const ok = sendProbe(h, h.cursor);
      granted--;
      if (!ok) {
        // ENOBUFS and the like: the kernel is behind. The port counts as sent
        // (a later pass retries it); pause a moment instead of spinning.
        failed = true;
        h.cursor++;
        break;
      }
      h.cursor++;
    }
    if (granted > 0) limiter.refund(granted);
    // Mark hosts whose pass just ended, so their wait starts now.
    let sending = false;
    const t2 = now();
    for (const h of hosts) {
      if (h.passDoneAt < 0) {
        while (h.cursor < h.ports.length && h.states[h.cursor] !== SYN_PENDING) h.cursor++;
        if (h.cursor < h.ports.length) {
          sending = true;
          continue;
        }
        h.passDoneAt = t2;
      }
      soonest = Math.min(soonest, h.passDoneAt + stats.waitMs - t2);
    }
    if (hosts.length === 0) return;
    if (sending) schedule(failed ? 1 : limiter.msUntilNext());
    else if (soonest < Infinity) schedule(Math.max(1, Math.ceil(soonest)));
  }

  async function scan(ip: string, ports: readonly number[], signal?: AbortSignal): Promise<Uint8Array> {
    const states = new Uint8Array(ports.length);
    if (ports.length === 0 || closed || signal?.aborted) return states.fill(SYN_FILTERED);
    let src: string;
    let ip32: number;
    try {
      ip32 = ipv4ToNumber(ip);
      src = await source(ip);
    } catch {
      return states.fill(SYN_UNREACHABLE);
    }
    if (closed || signal?.aborted) return states.fill(SYN_FILTERED);
    const previous = byIp.get(ip32);
    if (previous) {
      // The same address twice at once in one task cannot happen through the scheduler; wait for the first.
      await new Promise<void>((r) => {
        const check = () => (byIp.has(ip32) ? setTimeout(check, 10) : r());
        check();
      });
    }
    return new Promise<Uint8Array>((resolve) => {
      const packet = Buffer.alloc(DATAGRAM);
      packet[0] = 0x45;
      packet.writeUInt16BE(DATAGRAM, 2);
      packet[8] = TTL;
      packet[9] = 6;
      packet.set(ipv4Bytes(src), 12);
      packet.set(ipv4Bytes(ip), 16);
      packet.writeUInt16BE(srcPort, 20);
      packet[32] = (TCP_HEADER / 4) << 4;
      packet[33] = SYN;
      packet.writeUInt16BE(WINDOW, 34);
      packet[40] = 2; // MSS
      packet[41] = 4;
      packet.writeUInt16BE(MSS, 42);
      let ipBase = 0;
      for (let i = 0; i < IP_HEADER; i += 2) ipBase += packet.readUInt16BE(i);
      // Pseudo-header (addresses, protocol, TCP length) and the TCP words that never change.
      let tcpBase = 6 + TCP_HEADER;
      for (let i = 12; i < 20; i += 2) tcpBase += packet.readUInt16BE(i);
      for (let i = IP_HEADER; i < DATAGRAM; i += 2) tcpBase += packet.readUInt16BE(i);
      const h: HostScan = {
        ip, ip32, src32: ipv4ToNumber(src), ports, index: portIndex(ports), states,
        sentAt: new Float64Array(ports.length), pending: ports.length, pass: 0, cursor: 0, passDoneAt: -1,
        packet, ipBase, tcpBase, ipId: randomInt(0, 0xffff), resolve, signal, onAbort: undefined, done: false,
      };
      if (signal) {
        h.onAbort = () => {
          finish(h);
          if (hosts.length === 0) schedule(0);
        };
        signal.addEventListener('abort', h.onAbort, { once: true });
      }
      hosts.push(h);
      byIp.set(ip32, h);
      schedule(0);
    });
  }

  return {
    srcPort,
    scan,
    stats,
    close() {
      if (closed) return;
      for (const h of [...hosts]) finish(h);
      closed = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      unsubscribe();
    },
  };
}
